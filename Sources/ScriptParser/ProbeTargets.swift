/// What the catalog knows about the things non-tracepoint probes attach to: kernel functions
/// and their BTF signatures, raw tracepoints, a binary's function symbols and USDT notes.
/// Plain values, so the front end stays free of libbpf and libelf.

/// One parameter (or the return value) of a BTF function prototype.
public struct FunctionParameter: Equatable, Sendable {
    public var name: String
    /// The script type a value of this C type gets.
    public var type: SType
    /// The C type as listings print it: `struct sock *`, `const char *`, `size_t`.
    public var declaration: String
    public init(name: String, type: SType, declaration: String) {
        self.name = name; self.type = type; self.declaration = declaration
    }
}

/// A function prototype from BTF: a kernel function (fentry/fexit) or the arguments a raw
/// tracepoint passes (from its `btf_trace_NAME` typedef, without the leading `void *`).
public struct FunctionSignature: Equatable, Sendable {
    public var name: String
    public var parameters: [FunctionParameter]
    /// nil when the function returns void.
    public var returnValue: FunctionParameter?
    public init(name: String, parameters: [FunctionParameter], returnValue: FunctionParameter?) {
        self.name = name; self.parameters = parameters; self.returnValue = returnValue
    }
    public func parameter(named n: String) -> (index: Int, parameter: FunctionParameter)? {
        guard let i = parameters.firstIndex(where: { $0.name == n }) else { return nil }
        return (i, parameters[i])
    }
}

/// A function symbol of an ELF binary, as uprobes name it.
public struct UserSymbol: Equatable, Sendable {
    public var name: String
    /// The symbol's value: its virtual address in the binary.
    public var address: UInt64
    public var size: UInt64
    public init(name: String, address: UInt64, size: UInt64) {
        self.name = name; self.address = address; self.size = size
    }
}

/// One USDT probe of a binary, from its `.note.stapsdt` notes (all sites of `provider:name`).
public struct USDTProbeInfo: Equatable, Sendable {
    public var provider: String
    public var name: String
    /// Argument sizes and signs from the note's argument string (`-4@%eax 8@%rdx`).
    public var arguments: [USDTArgument]
    /// Places the probe is compiled in (a marker inlined twice has two): bpftrace counts each.
    public var sites: Int
    public init(provider: String, name: String, arguments: [USDTArgument], sites: Int = 1) {
        self.provider = provider; self.name = name; self.arguments = arguments; self.sites = sites
    }
}

/// `-4@%eax`: a 4-byte signed argument. The location part is libbpf's business at attach time.
public struct USDTArgument: Equatable, Sendable {
    public var size: Int
    public var isSigned: Bool
    public init(size: Int, isSigned: Bool) { self.size = size; self.isSigned = isSigned }
    /// The script type: the note's width and sign (values arrive widened to 64 bits).
    public var type: SType {
        [1, 2, 4, 8].contains(size) ? .integer(bits: size * 8, signed: isSigned) : .int64
    }

    /// Parses one note argument spec (`-4@%eax`, `8@-8(%rbp)`, `4@$5`); nil when it has no `N@`.
    public static func parse(_ spec: String) -> USDTArgument? {
        guard let at = spec.firstIndex(of: "@") else { return nil }
        let sizeText = spec[..<at]
        guard let n = Int(sizeText) else { return nil }
        return USDTArgument(size: abs(n), isSigned: n < 0)
    }
}
