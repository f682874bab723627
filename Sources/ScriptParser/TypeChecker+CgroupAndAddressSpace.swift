/// `cgroup_path(id)`, `uptr(p)`/`kptr(p)` (which address space a pointer is in) and `sargN`.
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

    /// `sargN` (x86-64): the Nth argument passed on the stack, the u64 at `sp + 8 * (N + 1)`
    /// on entry (above the return address): `*(uint64 *)(reg("sp") + …)`, checked as written.
    mutating func checkStackArgument(_ e: Expr, _ n: Int) -> Expr {
        let r = e.range
        let sp = Expr(.call(name: "reg", args: [Expr(.string(Array("sp".utf8)), range: r)]), range: r)
        let address = Expr(.binary(.add, sp, Expr(.integer(UInt64(8 * (n + 1))), range: r)), range: r)
        let pointer = Expr(.cast(TypeName(name: "uint64", pointerDepth: 1, range: r), address), range: r)
        return checkExpr(Expr(.unary(.deref, pointer), range: r))
    }
}
