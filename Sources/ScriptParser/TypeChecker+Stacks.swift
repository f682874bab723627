/// Stacks, symbols and registers: `kstack`, `ustack(perf, 8)`, `ksym`, `usym`, `kaddr`, `uaddr`,
/// `reg("ip")`.
extension TypeChecker {
    /// `kstack`, `kstack(N)`, `kstack(perf)`, `kstack(perf, N)` (and `ustack`): the mode and the
    /// depth are part of the type; the call keeps no arguments.
    mutating func checkStack(_ e: Expr, _ name: String, _ args: [Expr]) -> Expr {
        guard args.count <= 2 else {
            diagnostics.append(.error(e.range, "\(name)() takes up to 2 arguments (\(args.count) provided)"))
            return e
        }
        var stack = StackType(user: name == "ustack")
        var rest = args[...]
        if let first = rest.first, case .identifier(let word) = first.kind {
            guard let mode = StackMode(rawValue: word) else {
                diagnostics.append(.error(first.range, "Unknown stack mode: '\(word)' (expected bpftrace or perf)",
                                          suggestion: Suggestion.closest(to: word, among: StackMode.allCases.map(\.rawValue))))
                return e
            }
            stack.mode = mode
            rest = rest.dropFirst()
        }
        if let limitArg = rest.first {
            guard rest.count == 1 else {
                diagnostics.append(.error(rest[rest.startIndex + 1].range, "\(name)() takes a mode and then a depth"))
                return e
            }
            guard let limit = integerLiteral(name, limitArg) else { return e }
            guard limit >= 1 else {
                diagnostics.append(.error(limitArg.range, "\(name)() needs a depth of at least 1 frame"))
                return e
            }
            if limit > UInt64(StackType.defaultLimit) {
                diagnostics.append(.warning(limitArg.range,
                    "\(name)(\(limit)): the kernel records at most \(StackType.defaultLimit) frames (kernel.perf_event_max_stack); using \(StackType.defaultLimit)"))
            }
            stack.limit = Int(min(limit, UInt64(StackType.defaultLimit)))
        }
        return Expr(.call(name: name, args: []), range: e.range, type: .rendered(.stack(stack)))
    }

    /// `ksym(addr)`, `usym(addr)`: the address now, its symbol when printed.
    mutating func checkSymbolize(_ e: Expr, _ name: String, _ args: [Expr]) -> Expr {
        guard argumentCount(e, name, args, 1...1), let address = integerArgument(name, args[0]) else { return e }
        let rendering: Rendering = name == "ksym" ? .kernelSymbol : .userSymbol
        return Expr(.call(name: name, args: [address]), range: e.range, type: .rendered(rendering))
    }

    /// `kaddr("name")`: the kernel symbol's address, looked up now (the program gets a constant).
    mutating func checkKernelAddress(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "kaddr", args, 1...1), let bytes = stringLiteral(e, "kaddr", args[0]) else { return e }
        let symbol = String(decoding: bytes, as: UTF8.self)
        guard let address = catalog.kernelSymbolAddress(symbol) else {
            diagnostics.append(.error(args[0].range, "Failed to resolve kernel symbol: \(symbol)"))
            return e
        }
        return Expr(.integer(address), range: e.range, type: .uint64)
    }

    /// `uaddr("name")` in a uprobe/uretprobe/usdt: the symbol's address in the probed binary, as
    /// a user pointer sized by the symbol (`int x` gives an `int32 *`). The address is the one
    /// in the ELF file, which is where the symbol lives for non-PIE binaries (as bpftrace).
    mutating func checkUserAddress(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "uaddr", args, 1...1), let bytes = stringLiteral(e, "uaddr", args[0]) else { return e }
        let symbol = String(decoding: bytes, as: UTF8.self)
        var binaries: [String] = []
        for ap in attachPoints {
            switch ap {
            case .uprobe(let u), .uretprobe(let u): binaries.append(u.binary)
            case .usdt(let u): binaries.append(u.binary)
            default:
                diagnostics.append(.error(e.range,
                    "uaddr can only be used with uprobe, uretprobe and usdt probes (\(ap) used here)"))
                return e
            }
        }
        var found: UserSymbol?
        for binary in Set(binaries).sorted() {
            guard let s = catalog.userSymbol(symbol, inBinary: binary) else {
                diagnostics.append(.error(args[0].range, "Could not resolve symbol: \(binary):\(symbol)"))
                return e
            }
            if let f = found, f.address != s.address {
                diagnostics.append(.error(args[0].range, "uaddr(\"\(symbol)\") has different addresses in the probed binaries"))
                return e
            }
            found = s
        }
        guard let s = found else { return e }
        let pointee: SType = [1, 2, 4, 8].contains(s.size) ? .integer(bits: Int(s.size) * 8, signed: false) : .uint64
        return Expr(.integer(s.address), range: e.range, type: .pointer(to: pointee, user: true))
    }

    /// `reg("ip")`: a register of the probed context, where the context is a `pt_regs`
    /// (kprobes, uprobes, USDT) or starts with one (perf events: profile, interval, …).
    mutating func checkRegister(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "reg", args, 1...1), let bytes = stringLiteral(e, "reg", args[0]) else { return e }
        let register = String(decoding: bytes, as: UTF8.self)
        guard probeAllows(e, "reg", Self.hasRegisters) else { return e }
        guard let offset = PtRegsLayout.offsets[register] else {
            diagnostics.append(.error(e.range, "'\(register)' is not a valid register on this architecture (\(PtRegsLayout.architecture))",
                                      suggestion: Suggestion.closest(to: register, among: Array(PtRegsLayout.offsets.keys))))
            return e
        }
        let offsetArg = Expr(.integer(UInt64(offset)), range: args[0].range, type: .uint64)
        return Expr(.call(name: "reg", args: [offsetArg]), range: e.range, type: .uint64)
    }

    static func hasRegisters(_ ap: ResolvedAttachPoint) -> Bool {
        switch ap.programContext {
        case .registers, .perfEvent: return true
        case .none, .tracepointRecord, .rawTracepointArguments, .btfArguments: return false
        }
    }
}

/// The kernel's `struct pt_regs` by register name, as `reg()` names them.
enum PtRegsLayout {
    #if arch(arm64)
    static let architecture = "arm64"
    static let offsets: [String: Int] = {
        var table: [String: Int] = ["sp": 248, "pc": 256, "pstate": 264]
        for i in 0...30 { table["x\(i)"] = i * 8 }
        return table
    }()
    #else
    static let architecture = "x86_64"
    static let offsets: [String: Int] = [
        "r15": 0, "r14": 8, "r13": 16, "r12": 24, "bp": 32, "bx": 40, "r11": 48, "r10": 56,
        "r9": 64, "r8": 72, "ax": 80, "cx": 88, "dx": 96, "si": 104, "di": 112, "orig_ax": 120,
        "ip": 128, "cs": 136, "flags": 144, "sp": 152, "ss": 160,
    ]
    #endif
}
