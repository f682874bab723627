/// What needs the probe's context, and where there is none.
///
/// A probe's program gets a context from the kernel (`pt_regs`, a tracepoint record, BTF
/// argument slots, …; see `ProbeContext`). The body of `for ($kv : @m)` is a callback that
/// `bpf_for_each_map_elem` calls with the map's key and value only, so anything read from the
/// context (arguments, `args`, `retval`, registers, stacks, the attach cookie behind `probe` and
/// `func`) cannot be computed there. The checker refuses it, located, with the other errors;
/// codegen then never meets a context read it cannot emit.
extension TypeChecker {
    /// Types `e` and applies the rules every typed node follows: a checked call becomes
    /// `.function`, and a node reading the context is refused where there is none. Operands are
    /// checked through here too, so each offending node is reported once, at its own range.
    mutating func checkExpr(_ e: Expr) -> Expr {
        let typed = typeExpr(e)
        if !function.hasProbeContext, typed.type != .none, let what = contextRead(typed) {
            let written = source.map { $0.text(of: typed.range) } ?? ""
            let example = written.isEmpty ? "" : " (@v = \(written);)"
            diagnostics.append(Diagnostic(.error, typed.range,
                "\(what) cannot be used inside a for loop over a map: the loop body runs as a callback, without the probe's context",
                notes: ["HINT: read it before the loop into a map\(example), which the loop body can read"]))
            var refused = typed
            refused.type = .none
            return refused
        }
        return typed
    }

    /// What `e` itself (not its operands) reads from the probe's context, named as written;
    /// nil when it reads nothing from it.
    func contextRead(_ e: Expr) -> String? {
        let needs: Bool
        switch e.kind {
        case .tracepointField:
            needs = true
        case .probeValue(let v):
            switch v {
            case .argument, .contextSlot, .usdtArgument, .retval, .context: needs = true
            case .childPID: needs = false
            // One name for every attach point is a constant; several are told apart by the
            // attach cookie, which only the context gives (IRGen+ProbeBuiltins.swift).
            case .probe: needs = Set(attachPoints.map(\.description)).count > 1
            case .function: needs = Set(attachPoints.map { $0.functionName ?? "" }).count > 1
            }
        case .function(let f, _):
            switch f {
            case .kstack, .ustack, .reg, .override: needs = true
            default: needs = false
            }
        default:
            needs = false
        }
        guard needs else { return nil }
        let written = source.map { $0.text(of: e.range) } ?? ""
        return written.isEmpty ? "this value" : "'\(written)'"
    }
}
