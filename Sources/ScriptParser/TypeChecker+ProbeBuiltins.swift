/// Names whose meaning depends on the probe type (`arg0`, `retval`, `func`, `probe`, `cpid`).
extension TypeChecker {
    /// The resolved expression when `name` is a probe-dependent builtin here, else nil.
    mutating func checkProbeBuiltin(_ e: Expr, _ name: String) -> Expr? {
        nil
    }

    /// Names offered in "did you mean" suggestions for unknown identifiers.
    static let probeBuiltinNames = ["retval", "func", "probe", "cpid", "arg0", "arg1", "arg2", "arg3", "arg4", "arg5"]
}
