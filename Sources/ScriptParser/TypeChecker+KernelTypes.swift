/// Kernel types through BTF: `curtask`, `->`/`.` on struct pointers, casts to struct pointers,
/// `*p`, `&x`, `a[i]`, `sizeof(struct x)`, `offsetof`. Each returns nil when the construct is not
/// about kernel types, so the caller reports its usual error.
extension TypeChecker {
    /// A name that is a kernel-type builtin (`curtask`).
    mutating func checkKernelTypeIdentifier(_ e: Expr, _ name: String) -> Expr? { nil }

    /// `base->name` / `base.name` where base is not `args` (already typed or not).
    mutating func checkRecordField(_ e: Expr, base: Expr, name: String, arrow: Bool) -> Expr? { nil }

    /// `(struct task_struct *)p`, `(int *)p`: casts the integer-cast rules do not cover.
    mutating func checkPointerCast(_ e: Expr, _ typeName: TypeName, _ inner: Expr) -> Expr? { nil }

    /// `*p`, `&x`.
    mutating func checkPointerOperator(_ e: Expr, _ op: UnaryOp, _ inner: Expr) -> Expr? { nil }

    /// `a[i]` on arrays and pointers.
    mutating func checkIndex(_ e: Expr, _ base: Expr, _ index: Expr) -> Expr? { nil }

    /// `sizeof(struct x)`, `offsetof(struct x, f)`.
    mutating func checkKernelTypeQuery(_ e: Expr) -> Expr? { nil }

    /// Identifiers offered in suggestions.
    static let kernelTypeNames = ["curtask"]
}
