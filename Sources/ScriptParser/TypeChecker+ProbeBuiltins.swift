/// Names whose meaning depends on the probe type (`arg0`, `args.x`, `retval`, `func`, `probe`,
/// `cpid`), and how a probe's attach points are split into programs.
extension TypeChecker {
    /// Attach points that share one BPF program, and the tracepoint record `args` reads there.
    struct ProgramGroup {
        var attachPoints: [ResolvedAttachPoint]
        var format: TracepointFormat?
    }

    /// How one probe's concrete attach points become programs. One program serves as many
    /// attach points as the kernel allows, because loading (and verifying) is most of start-up:
    /// - attach points of different program types (tracepoint, kprobe/uprobe, perf event, …)
    ///   cannot share a program;
    /// - fentry/fexit programs are bound to one function when loaded, so each gets its own;
    /// - a body reading `args` is typed per layout: one program per tracepoint or raw tracepoint;
    /// - `probe` and `func` tell the attach points apart through the BPF cookie, which raw
    ///   tracepoints lack (through libbpf 1.1), so there they split the program too.
    func programGroups(_ probe: Probe, _ resolved: [ResolvedAttachPoint]) -> Result<[ProgramGroup], Diagnostic> {
        let usesArgs = Self.usesArgs(probe)
        var usesNames = false
        ASTWalker.visitExprs(probe) { e in
            if case .identifier(let n) = e.kind, n == "probe" || n == "func" { usesNames = true }
        }
        var buckets: [(kind: String, attachPoints: [ResolvedAttachPoint])] = []
        for ap in resolved {
            let kind = Self.programKind(ap)
            if let i = buckets.firstIndex(where: { $0.kind == kind }) {
                buckets[i].attachPoints.append(ap)
            } else {
                buckets.append((kind, [ap]))
            }
        }
        let hasTracepoints = buckets.contains { $0.kind == "tracepoint" }
        if usesArgs, hasTracepoints, buckets.count > 1 {
            return .failure(.error(probe.range, "args cannot be used in a probe that mixes tracepoints with other probe types"))
        }
        var groups: [ProgramGroup] = []
        for bucket in buckets {
            switch bucket.kind {
            case "tracepoint" where usesArgs:
                for ap in bucket.attachPoints {
                    guard case .tracepoint(let id) = ap, let format = catalog.tracepointFormat(id) else { continue }
                    groups.append(ProgramGroup(attachPoints: [ap], format: format))
                }
            case "rawtracepoint" where usesArgs || usesNames, "fentry":
                groups += bucket.attachPoints.map { ProgramGroup(attachPoints: [$0], format: nil) }
            default:
                groups.append(ProgramGroup(attachPoints: bucket.attachPoints, format: nil))
            }
        }
        return .success(groups)
    }

    /// Attach points of the same kind can share a program.
    static func programKind(_ ap: ResolvedAttachPoint) -> String {
        switch ap {
        case .begin: return "BEGIN"
        case .end: return "END"
        case .tracepoint: return "tracepoint"
        case .rawTracepoint: return "rawtracepoint"
        // One BPF program type; kprobe and uprobe registers read the same way.
        case .kprobe, .kretprobe, .uprobe, .uretprobe: return "kprobe"
        case .usdt: return "usdt"
        case .fentry, .fexit: return "fentry"
        case .profile, .interval, .perfEvent, .watchpoint: return "perf_event"
        }
    }

    /// The resolved expression when `name` is a probe-dependent builtin here, else nil.
    mutating func checkProbeBuiltin(_ e: Expr, _ name: String) -> Expr? {
        switch name {
        case "probe":
            let longest = attachPoints.map { $0.description.utf8.count }.max() ?? 0
            return Expr(.probeValue(.probe), range: e.range, type: .string(capacity: longest + 1))
        case "func":
            guard attachPoints.allSatisfy(Self.hasFunction), !attachPoints.isEmpty else {
                return refuse(e, name, "kprobe, kretprobe, uprobe, uretprobe, usdt, fentry and fexit")
            }
            let longest = attachPoints.compactMap { $0.functionName?.utf8.count }.max() ?? 0
            return Expr(.probeValue(.function), range: e.range, type: .string(capacity: longest + 1))
        case "retval":
            return checkRetval(e)
        case "cpid":
            guard settings.hasChildCommand else {
                diagnostics.append(.error(e.range, "cpid cannot be used without child command (-c)"))
                return e
            }
            return Expr(.probeValue(.childPID), range: e.range, type: .uint64)
        case "ctx":
            if attachPoints.contains(where: { if case .tracepoint = $0 { return true }; return false }) {
                diagnostics.append(.error(e.range, "Use args instead of ctx in tracepoint"))
                return e
            }
            // A kernel address: what it points to is read with bpf_probe_read_kernel.
            return Expr(.probeValue(.context), range: e.range, type: .pointer(to: .integer(bits: 8, signed: false), user: false))
        case _ where name.hasPrefix("sarg") && name.count > 4:
            guard let n = Int(name.dropFirst(4)), n >= 0 else { return nil }
            return checkStackArgument(e, n)
        default:
            guard name.hasPrefix("arg"), let n = Int(name.dropFirst(3)), n >= 0, name.count > 3 else { return nil }
            return checkArgument(e, name, n)
        }
    }

    private static func hasFunction(_ ap: ResolvedAttachPoint) -> Bool {
        switch ap {
        case .kprobe, .kretprobe, .uprobe, .uretprobe, .usdt, .fentry, .fexit: return true
        default: return false
        }
    }

    /// bpftrace's refusal: `The retval builtin can only be used with … probes (kprobe:f used here)`.
    private mutating func refuse(_ e: Expr, _ name: String, _ allowed: String) -> Expr {
        let here = attachPoints.first.map(\.description) ?? probeName
        diagnostics.append(.error(e.range, "The \(name) builtin can only be used with \(allowed) probes (\(here) used here)"))
        return e
    }

    private mutating func checkRetval(_ e: Expr) -> Expr {
        let registers = attachPoints.allSatisfy {
            if case .kretprobe = $0 { return true }
            if case .uretprobe = $0 { return true }
            return false
        }
        if registers, !attachPoints.isEmpty {
            return Expr(.probeValue(.retval), range: e.range, type: .int64)
        }
        // fexit is one program per function (see programGroups), so one signature applies.
        if attachPoints.count == 1, case .fexit(let f)? = attachPoints.first {
            guard let signature = catalog.btfFunction(f) else { return refuse(e, "retval", "kretprobe, uretprobe and fexit") }
            guard let ret = signature.returnValue else {
                diagnostics.append(.error(e.range, "\(f.name) returns void: there is no retval"))
                return e
            }
            return Expr(.probeValue(.contextSlot(signature.parameters.count)), range: e.range, type: ret.type)
        }
        return refuse(e, "retval", "kretprobe, uretprobe and fexit")
    }

    /// `argN`: a register (kprobe/uprobe), a USDT argument, or a raw tracepoint/fentry slot.
    private mutating func checkArgument(_ e: Expr, _ name: String, _ n: Int) -> Expr {
        guard let first = attachPoints.first else { return refuse(e, name, "kprobe, uprobe, usdt and rawtracepoint") }
        switch Self.programKind(first) {
        case "kprobe" where attachPoints.allSatisfy({ if case .kprobe = $0 { true } else if case .uprobe = $0 { true } else { false } }):
            guard n < Self.registerArgumentCount else {
                diagnostics.append(.error(e.range, "\(name) is out of range: only arg0 to arg\(Self.registerArgumentCount - 1) are passed in registers"))
                return e
            }
            return Expr(.probeValue(.argument(n)), range: e.range, type: .uint64)
        case "usdt":
            return checkUSDTArgument(e, name, n)
        case "rawtracepoint", "fentry":
            var limit = Int.max
            for ap in attachPoints {
                guard let signature = signature(of: ap) else { continue }
                limit = min(limit, signature.parameters.count)
            }
            guard n < limit else {
                diagnostics.append(.error(e.range, "\(name) is out of range: \(first) has \(limit) argument\(limit == 1 ? "" : "s")"))
                return e
            }
            return Expr(.probeValue(.contextSlot(n)), range: e.range, type: .uint64)
        default:
            return refuse(e, name, "kprobe, uprobe, usdt, rawtracepoint and fentry")
        }
    }

    /// Registers that carry arguments in the calling convention (x86-64: rdi rsi rdx rcx r8 r9).
    static let registerArgumentCount = 6

    private mutating func checkUSDTArgument(_ e: Expr, _ name: String, _ n: Int) -> Expr {
        var type: SType?
        for ap in attachPoints {
            guard case .usdt(let u) = ap else { continue }
            let probes = (try? catalog.usdtProbes(inBinary: u.binary).get()) ?? []
            guard let info = probes.first(where: { $0.provider == u.provider && $0.name == u.name }) else { continue }
            guard n < info.arguments.count else {
                let count = info.arguments.count
                diagnostics.append(.error(e.range, "\(name) is out of range: \(ap) has \(count) argument\(count == 1 ? "" : "s")"))
                return e
            }
            let t = info.arguments[n].type
            // Matches that disagree on the width get the widest type; values arrive as 64 bits.
            type = (type == nil || type == t) ? t : .int64
        }
        return Expr(.probeValue(.usdtArgument(n)), range: e.range, type: type ?? .int64)
    }

    private func signature(of ap: ResolvedAttachPoint) -> FunctionSignature? {
        switch ap {
        case .rawTracepoint(let name): return catalog.rawTracepoint(name)
        case .fentry(let f), .fexit(let f): return catalog.btfFunction(f)
        default: return nil
        }
    }

    /// `args.NAME` on a probe type whose arguments are not a tracepoint record (fentry/fexit and
    /// raw tracepoints: typed from BTF). Nil when this probe type has no such arguments.
    mutating func checkProbeArgsField(_ e: Expr, _ name: String) -> Expr? {
        guard attachPoints.count == 1, let ap = attachPoints.first else { return nil }
        switch ap {
        case .uprobe, .uretprobe:
            diagnostics.append(.error(e.range, "args needs DWARF argument info, which swtrace does not read: use arg0, arg1, … for \(ap)"))
            return e
        case .rawTracepoint, .fentry, .fexit:
            break
        default:
            return nil
        }
        guard let signature = signature(of: ap) else { return nil }
        guard let (index, parameter) = signature.parameter(named: name) else {
            let hint = Suggestion.closest(to: name, among: signature.parameters.map(\.name))
            diagnostics.append(.error(e.range, "\(ap) has no argument named '\(name)'", suggestion: hint))
            return e
        }
        return Expr(.probeValue(.contextSlot(index)), range: e.range, type: parameter.type)
    }

    /// Names offered in "did you mean" suggestions for unknown identifiers.
    static let probeBuiltinNames = ["retval", "func", "probe", "cpid", "ctx", "arg0", "arg1", "arg2", "arg3", "arg4", "arg5"]
}
