/// Builtins and functions beyond the core set: stacks and symbols, string and network helpers,
/// time, `cat`/`system`, `signal`/`override`, `cgroup`, `username`, `rand`, …
/// Each returns nil when the name is not one of its own.
extension TypeChecker {
    /// A builtin variable name (`kstack`, `rand`, `cgroup`, …).
    mutating func checkFunctionBuiltin(_ e: Expr, _ name: String) -> Expr? { nil }

    /// A call to a function this file owns.
    mutating func checkExtraFunction(_ e: Expr, _ name: String, _ args: [Expr]) -> Expr? { nil }

    /// Names offered in suggestions and accepted as functions.
    static let extraFunctionNames: [String] = []
    static let extraBuiltinNames: [String] = []
}
