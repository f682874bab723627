/// Names whose meaning depends on the probe type (`arg0`, `retval`, `func`, `probe`, `cpid`).
extension TypeChecker {
    /// The resolved expression when `name` is a probe-dependent builtin here, else nil.
    mutating func checkProbeBuiltin(_ e: Expr, _ name: String) -> Expr? {
        nil
    }

    /// `args.NAME` on a probe type whose arguments are not a tracepoint record (fentry, raw
    /// tracepoints: typed from BTF). Nil when this probe type has no such arguments.
    mutating func checkProbeArgsField(_ e: Expr, _ name: String) -> Expr? {
        nil
    }

    /// Names offered in "did you mean" suggestions for unknown identifiers.
    static let probeBuiltinNames = ["retval", "func", "probe", "cpid", "arg0", "arg1", "arg2", "arg3", "arg4", "arg5"]
}
