/// Builtins and functions beyond the core set: stacks and symbols, string and network helpers,
/// time, `cat`/`system`, `signal`/`override`, `cgroup`, `username`, `rand`, …
/// Each returns nil when the name is not one of its own.
///
/// Every one of them becomes a `.call(name, args)` whose type says what codegen emits: a
/// builtin name is a call without arguments, and arguments that are really settings (a stack's
/// mode and depth, a register's name, a signal's name) are folded into the type or into
/// integer literals, so codegen never re-parses them.
extension TypeChecker {
    /// A builtin variable name (`kstack`, `rand`, `cgroup`, …).
    mutating func checkFunctionBuiltin(_ e: Expr, _ name: String) -> Expr? {
        let type: SType
        switch name {
        case "kstack": type = .rendered(.stack(StackType(user: false)))
        case "ustack": type = .rendered(.stack(StackType(user: true)))
        case "cgroup", "jiffies": type = .uint64
        case "rand", "numaid": type = .uint32
        case "username": type = .rendered(.username)
        default: return nil
        }
        return Expr(.call(name: name, args: []), range: e.range, type: type)
    }

    /// A call to a function this file owns.
    mutating func checkExtraFunction(_ e: Expr, _ name: String, _ args: [Expr]) -> Expr? {
        switch name {
        case "kstack", "ustack": return checkStack(e, name, args)
        case "ksym", "usym": return checkSymbolize(e, name, args)
        case "kaddr": return checkKernelAddress(e, args)
        case "uaddr": return checkUserAddress(e, args)
        case "reg": return checkRegister(e, args)
        case "cgroup", "username", "rand", "numaid", "jiffies":
            guard argumentCount(e, name, args, 0...0) else { return e }
            return checkFunctionBuiltin(e, name)
        case "buf": return checkBuffer(e, args)
        case "strncmp": return checkStrncmp(e, args)
        case "strcontains": return checkStrcontains(e, args)
        case "ntop": return checkNtop(e, args)
        case "pton": return checkPton(e, args)
        case "macaddr": return checkMacaddr(e, args)
        case "strerror": return checkStrerror(e, args)
        case "cgroup_path": return checkCgroupPath(e, args)
        case "uptr", "kptr": return checkAddressSpace(e, name, args)
        case "signame": return checkSigname(e, args)
        case "bswap": return checkBswap(e, args)
        case "path": return checkPath(e, args)
        case "time": return checkTime(e, args)
        case "strftime": return checkStrftime(e, args)
        case "cat", "system": return checkCatOrSystem(e, name, args)
        case "exit" where !args.isEmpty: return checkExitCode(e, args)
        case "signal": return checkSignal(e, args)
        case "unwatch":
            guard argumentCount(e, name, args, 1...1), let address = integerArgument(name, args[0]) else { return e }
            return Expr(.call(name: name, args: [address]), range: e.range, type: .void)
        case "override": return checkOverride(e, args)
        case "getopt": return checkGetopt(e, args)
        default: return nil
        }
    }

    /// Names offered in suggestions and accepted as functions.
    static let extraFunctionNames = [
        "kstack", "ustack", "ksym", "usym", "kaddr", "uaddr", "reg", "cgroup", "username", "rand", "numaid",
        "jiffies", "buf", "strncmp", "strcontains", "ntop", "pton", "macaddr", "strerror", "signame", "bswap", "path",
        "time", "strftime", "cat", "system", "signal", "override", "getopt", "unwatch", "cgroup_path", "uptr", "kptr",
    ]
    static let extraBuiltinNames = ["kstack", "ustack", "cgroup", "username", "rand", "numaid", "jiffies"]

    // MARK: Shared argument checks

    /// The bytes of a string literal argument, or nil after reporting that one was expected.
    mutating func stringLiteral(_ e: Expr, _ name: String, _ arg: Expr) -> [UInt8]? {
        if case .string(let bytes) = arg.kind { return bytes }
        // str($N): the command line's argument, known before the program runs.
        if case .call(name: "str", args: let inner) = arg.kind, inner.count == 1, case .positional(let n) = inner[0].kind,
           case .string(let bytes) = positionalString(inner[0], n).kind {
            return bytes
        }
        let typed = checkExpr(arg)
        diagnostics.append(.error(arg.range,
            "\(name)() expects a string literal (\(Self.kindWord(typed.type)) provided)"))
        return nil
    }

    /// The value of an integer literal argument, or nil after reporting that one was expected.
    mutating func integerLiteral(_ name: String, _ arg: Expr) -> UInt64? {
        if case .integer(let v) = arg.kind { return v }
        let typed = checkExpr(arg)
        // $N is a literal too: its value is fixed on the command line.
        if case .positional = arg.kind, case .integer(let v) = typed.kind { return v }
        if typed.type != .none {
            let provided = typed.type.isInteger ? "an expression" : Self.kindWord(typed.type)
            diagnostics.append(.error(arg.range, "\(name)() expects an integer literal (\(provided) provided)"))
        }
        return nil
    }

    /// Checks an argument that must be an integer (or pointer) value.
    mutating func integerArgument(_ name: String, _ arg: Expr) -> Expr? {
        let typed = checkExpr(arg)
        guard typed.type != .none else { return nil }
        guard typed.type.isInteger || typed.type.isPointer else {
            diagnostics.append(.error(arg.range, "\(name)() expects an integer (\(Self.kindWord(typed.type)) provided)"))
            return nil
        }
        return typed
    }

    /// bpftrace's refusal of a function in the wrong kind of probe: `reg can not be used with
    /// "tracepoint" probes`. True when every attach point is of an allowed type.
    mutating func probeAllows(_ e: Expr, _ name: String, _ allowed: (ResolvedAttachPoint) -> Bool) -> Bool {
        guard let bad = attachPoints.first(where: { !allowed($0) }) else { return true }
        diagnostics.append(.error(e.range, "\(name) can not be used with \"\(bad.typeName)\" probes"))
        return false
    }

    /// `system`, `signal` and `override` change the system: only with `--unsafe`.
    mutating func requireUnsafe(_ e: Expr, _ name: String) -> Bool {
        if settings.unsafe { return true }
        diagnostics.append(Diagnostic(.error, e.range, "\(name)() is an unsafe function being used in safe mode",
                                      notes: ["HINT: run swtrace with --unsafe to allow it"]))
        return false
    }
}
