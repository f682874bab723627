/// What the front end needs to know about the running system. `swtrace` implements it over
/// tracefs and BTF; tests use a fixture. Implementations read lazily: one format file when one
/// tracepoint is named, the full list only for wildcards and "did you mean" suggestions.
public protocol Catalog: AnyObject {
    /// Every tracepoint on the system (tracefs `available_events`).
    func tracepoints() -> [TracepointID]
    /// The parsed `format` file of one tracepoint, or nil when it does not exist.
    func tracepointFormat(_ id: TracepointID) -> TracepointFormat?

    // Probe targets beyond tracepoints (see ProbeTargets.swift). Each has a default below that
    // knows nothing, so a catalog only implements what its tests need.

    /// Kernel functions kprobes can attach to (available_filter_functions, else kallsyms), sorted.
    func kernelFunctions() -> [KernelFunction]
    /// Whether kprobes can attach to `function`; a single lookup, cheaper than the whole list.
    func isKernelFunction(_ function: KernelFunction) -> Bool
    /// Functions with a BTF prototype (fentry/fexit targets), sorted.
    func btfFunctions() -> [KernelFunction]
    /// A kernel function's BTF prototype, or nil when BTF does not describe it.
    func btfFunction(_ function: KernelFunction) -> FunctionSignature?
    /// Raw tracepoints: names of the `btf_trace_NAME` typedefs, sorted.
    func rawTracepoints() -> [String]
    /// A raw tracepoint's arguments from BTF, or nil when there is no such tracepoint.
    func rawTracepoint(_ name: String) -> FunctionSignature?
    /// The path a binary or library name means (`libc` → `/lib/x86_64-linux-gnu/libc.so.6`),
    /// or nil when there is no such file.
    func resolveBinary(_ name: String) -> String?
    /// The function symbols of an ELF file, or why they could not be read.
    func functionSymbols(inBinary path: String) -> Result<[UserSymbol], CatalogError>
    /// The USDT probes of an ELF file, or why they could not be read.
    func usdtProbes(inBinary path: String) -> Result<[USDTProbeInfo], CatalogError>
    /// The file offset of a virtual address in an ELF file (what a uprobe attaches at), nil
    /// when no loaded section holds it.
    func fileOffset(ofAddress address: UInt64, inBinary path: String) -> UInt64?
    /// Regular files a shell wildcard pattern matches (`./bin/app*`), sorted.
    func files(matching pattern: String) -> [String]

    // Kernel types (BTF), for `->`, casts, `sizeof`, `offsetof` and enum constants; each
    // defaults to knowing nothing. Reading BTF costs milliseconds: only on first use.

    /// A struct or union by `struct NAME`, `union NAME` or a typedef name (`atomic_t`).
    func recordType(named name: String) -> RecordType?
    /// Every `struct NAME` and `union NAME` there is, for "did you mean" suggestions.
    func recordTypeNames() -> [String]
    /// The value of a kernel enum constant (`TASK_RUNNING`), nil when no enum has it.
    func enumeratorValue(named name: String) -> Int64?

    // Symbols for `kaddr`/`uaddr`, resolved when the script is compiled.

    /// A kernel symbol's address (/proc/kallsyms), nil when there is none.
    func kernelSymbolAddress(_ name: String) -> UInt64?
    /// A symbol (variable or function) of an ELF file, nil when there is none.
    func userSymbol(_ name: String, inBinary path: String) -> UserSymbol?

    /// The kernel's `nr_cpu_ids` (the highest possible CPU + 1): the verifier knows `cpu` is
    /// below it (TypeChecker+Loops.swift). Nil when unknown.
    func possibleCPUCount() -> Int?

}

/// Why the catalog could not answer about a binary, phrased for a diagnostic.
public struct CatalogError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Catalog {
    public func files(matching pattern: String) -> [String] { [] }
    public func kernelFunctions() -> [KernelFunction] { [] }
    public func isKernelFunction(_ function: KernelFunction) -> Bool { kernelFunctions().contains(function) }
    public func btfFunctions() -> [KernelFunction] { [] }
    public func btfFunction(_ function: KernelFunction) -> FunctionSignature? { nil }
    public func rawTracepoints() -> [String] { [] }
    public func rawTracepoint(_ name: String) -> FunctionSignature? { nil }
    public func resolveBinary(_ name: String) -> String? { nil }
    public func functionSymbols(inBinary path: String) -> Result<[UserSymbol], CatalogError> {
        .failure(CatalogError("cannot read symbols of \(path)"))
    }
    public func usdtProbes(inBinary path: String) -> Result<[USDTProbeInfo], CatalogError> {
        .failure(CatalogError("cannot read USDT notes of \(path)"))
    }
    public func fileOffset(ofAddress address: UInt64, inBinary path: String) -> UInt64? { nil }
    public func recordType(named name: String) -> RecordType? { nil }
    public func recordTypeNames() -> [String] { [] }
    public func enumeratorValue(named name: String) -> Int64? { nil }
    public func kernelSymbolAddress(_ name: String) -> UInt64? { nil }
    public func userSymbol(_ name: String, inBinary path: String) -> UserSymbol? { nil }
    public func possibleCPUCount() -> Int? { nil }
}

/// One field of a tracepoint's record, from a line of its tracefs `format` file:
/// `field:const char * filename;	offset:16;	size:8;	signed:0;`
public struct TracepointField: Equatable, Sendable {
    /// The text between `field:` and `;`: `const char * filename`, `char comm[16]`, `__data_loc char[] name`.
    public var declaration: String
    /// The C type without the field name and array suffix: `const char *`, `char`, `__data_loc char[]`.
    public var cType: String
    public var name: String
    public var offset: Int
    public var size: Int
    public var isSigned: Bool
    /// `char comm[16]` → 16; nil when not an array.
    public var arrayCount: Int?
    /// `__data_loc` fields hold a u32: low 16 bits offset of the data in the record, high 16 its length.
    public var isDataLoc: Bool
    /// `common_type`, `common_pid`, …: present in every record, hidden by listings.
    public var isCommon: Bool

    public init(declaration: String, cType: String, name: String, offset: Int, size: Int, isSigned: Bool,
                arrayCount: Int?, isDataLoc: Bool, isCommon: Bool) {
        self.declaration = declaration; self.cType = cType; self.name = name; self.offset = offset
        self.size = size; self.isSigned = isSigned; self.arrayCount = arrayCount
        self.isDataLoc = isDataLoc; self.isCommon = isCommon
    }
}

/// A tracepoint's record layout, parsed from tracefs `events/CATEGORY/NAME/format`.
public struct TracepointFormat: Equatable, Sendable {
    public var id: TracepointID
    /// The `ID:` line; the kernel's event id.
    public var eventID: Int?
    /// All fields in file order, the common ones first.
    public var fields: [TracepointField]
    public init(id: TracepointID, eventID: Int?, fields: [TracepointField]) {
        self.id = id; self.eventID = eventID; self.fields = fields
    }
    public func field(named name: String) -> TracepointField? { fields.first { $0.name == name } }
}
