/// Functions that act outside the program: `time`, `strftime`, `cat`, `system`, `exit(code)`,
/// `signal`, `override`. The last three change what happens to the traced system, so they
/// need `--unsafe` (as `system` does).
extension TypeChecker {
    /// `time()`, `time(fmt)`: the local time when user space receives the event, formatted by
    /// `strftime` (bpftrace's default: `%H:%M:%S\n`).
    mutating func checkTime(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "time", args, 0...1) else { return e }
        var format = Array("%H:%M:%S\n".utf8)
        if let first = args.first {
            guard let bytes = stringLiteral(e, "time", first) else { return e }
            format = bytes
        }
        let literal = Expr(.string(format), range: args.first?.range ?? e.range, type: .string(capacity: format.count + 1))
        return Expr(.call(name: "time", args: [literal]), range: e.range, type: .void)
    }

    /// `strftime(fmt, nsecs)`: a timestamp (nanoseconds since boot, as `nsecs` gives) printed as
    /// wall-clock time in `fmt`; `%f` is the microseconds.
    mutating func checkStrftime(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "strftime", args, 2...2), let format = stringLiteral(e, "strftime", args[0]),
              let time = integerArgument("strftime", args[1]) else { return e }
        let literal = Expr(.string(format), range: args[0].range, type: .string(capacity: format.count + 1))
        return Expr(.call(name: "strftime", args: [literal, time]), range: e.range,
                    type: .rendered(.timestamp(format: String(decoding: format, as: UTF8.self))))
    }

    /// `cat(fmt, args…)` prints a file, `system(fmt, args…)` runs a command: both take their
    /// argument as printf does.
    mutating func checkCatOrSystem(_ e: Expr, _ name: String, _ args: [Expr]) -> Expr {
        if name == "system", !requireUnsafe(e, name) { return e }
        guard !args.isEmpty else {
            diagnostics.append(.error(e.range, "\(name)() requires at least 1 argument (0 provided)"))
            return e
        }
        let typed = args.map { checkExpr($0) }
        guard !typed.contains(where: { $0.type == .none }) else { return e }
        // printf's checks, its messages named after this function.
        let before = diagnostics.items.count
        let ok = checkPrintf(e, typed) == .void
        for i in before..<diagnostics.items.count where diagnostics.items[i].message.hasPrefix("printf") {
            diagnostics.items[i].message = name + diagnostics.items[i].message.dropFirst("printf".count)
        }
        guard ok else { return e }
        return Expr(.call(name: name, args: typed), range: e.range, type: .void)
    }

    /// `exit(code)`: stop tracing; swtrace exits with `code` (its low 8 bits, as a process does).
    mutating func checkExitCode(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "exit", args, 0...1), let code = integerArgument("exit", args[0]) else { return e }
        return Expr(.call(name: "exit", args: [code]), range: e.range, type: .void)
    }

    /// `signal(SIG)`: sends a signal to the current process. `SIG` is a number (1–64) or a name,
    /// with or without `SIG` (`"KILL"`, `"SIGKILL"`); names are turned into numbers now.
    mutating func checkSignal(_ e: Expr, _ args: [Expr]) -> Expr {
        guard requireUnsafe(e, "signal"), argumentCount(e, "signal", args, 1...1) else { return e }
        guard probeAllows(e, "signal", { ap in
            switch ap {
            case .begin, .end: return false
            default: return true
            }
        }) else { return e }
        let arg = args[0]
        if case .string(let bytes) = arg.kind {
            var name = String(decoding: bytes, as: UTF8.self)
            if name.hasPrefix("SIG") { name.removeFirst(3) }
            guard let number = Self.signalNumbers[name] else {
                diagnostics.append(.error(e.range, "\(String(decoding: bytes, as: UTF8.self)) is not a valid signal",
                                          suggestion: Suggestion.closest(to: name, among: Self.signalNumbers.keys.map { "SIG" + $0 })))
                return e
            }
            let n = Expr(.integer(UInt64(number)), range: arg.range, type: .uint32)
            return Expr(.call(name: "signal", args: [n]), range: e.range, type: .void)
        }
        if case .integer(let v) = arg.kind, !(1...64).contains(v) {
            diagnostics.append(.error(e.range, "\(v) is not a valid signal, allowed range: [1,64]"))
            return e
        }
        guard let n = integerArgument("signal", arg) else { return e }
        return Expr(.call(name: "signal", args: [n]), range: e.range, type: .void)
    }

    /// Linux's signal numbers by name (SignalNames.swift).
    static var signalNumbers: [String: Int] { SignalNames.numbers }

    /// `override(rc)`: make the probed kernel function return `rc` without running it. Only
    /// kprobes on functions the kernel marks for error injection, with CONFIG_BPF_KPROBE_OVERRIDE.
    mutating func checkOverride(_ e: Expr, _ args: [Expr]) -> Expr {
        guard requireUnsafe(e, "override"), argumentCount(e, "override", args, 1...1) else { return e }
        let kprobesOnly = attachPoints.allSatisfy { if case .kprobe = $0 { return true }; return false }
        guard kprobesOnly, !attachPoints.isEmpty else {
            diagnostics.append(.error(e.range, "override can only be used with kprobes."))
            return e
        }
        guard let rc = integerArgument("override", args[0]) else { return e }
        return Expr(.call(name: "override", args: [rc]), range: e.range, type: .void)
    }
}
