/// `cgroup_path(id)`, and `uptr(p)`/`kptr(p)`, which say which address space a pointer is in.
extension TypeChecker {
    /// `cgroup_path(id)`: the cgroup's path in every hierarchy, named when printed.
    mutating func checkCgroupPath(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "cgroup_path", args, 1...1), let id = integerArgument("cgroup_path", args[0]) else { return e }
        return Expr(.call(name: "cgroup_path", args: [id]), range: e.range, type: .rendered(.cgroupPath))
    }

    /// `uptr(p)` / `kptr(p)`: the same value, as a pointer into user (kernel) memory, so what it
    /// points to is read with the matching helper (`str(uptr(args->filename))`).
    mutating func checkAddressSpace(_ e: Expr, _ name: String, _ args: [Expr]) -> Expr {
        guard argumentCount(e, name, args, 1...1) else { return e }
        var value = checkExpr(args[0])
        guard value.type != .none else { return e }
        let user = name == "uptr"
        switch value.type {
        case .pointer:
            value.type = value.type.inAddressSpace(user: user)
        case .integer:
            value.type = .pointer(to: .integer(bits: 8, signed: false), user: user)
        default:
            diagnostics.append(.error(args[0].range, "\(name)() expects a pointer or an integer (\(value.type) provided)"))
            return e
        }
        value.range = e.range
        return value
    }
}
