/// Whole structs and arrays as values: `$s = *p`, `@s[p->arr] = …`, `(1, *p)`, `print(*p)`.
/// The value is copied out of memory as its bytes (`Rendering.memoryCopy`), printed member by
/// member as bpftrace prints it; `$s.m` and `$a[1]` read a member back out of the copy.
extension TypeChecker {
    /// `e` as a copied value when it denotes a whole struct or (non-char) array in memory; `e`
    /// unchanged otherwise.
    mutating func copiedValue(_ e: Expr) -> Expr {
        guard e.type.isRecordOrArray, Self.isInMemory(e) else { return e }
        let layout: ValueLayout
        if let member = e.memberLayout {
            layout = ValueLayout.of(member)
        } else if case .record(let name) = e.type, let record = lookupRecord(named: name) {
            layout = ValueLayout.of(record)
        } else {
            return e
        }
        var out = e
        out.type = .rendered(.memoryCopy(layout))
        return out
    }

    /// `$s.m` on a copied struct.
    mutating func checkCopiedField(_ e: Expr, base: Expr, name: String, arrow: Bool) -> Expr? {
        guard case .rendered(.memoryCopy(let layout)) = base.type else { return nil }
        guard case .record(let recordName, _, let fields) = layout, !arrow else {
            diagnostics.append(.error(e.range, "Can not access field '\(name)' on type '\(layout)'"))
            return e
        }
        guard let field = fields.first(where: { $0.name == name }) else {
            diagnostics.append(.error(e.range, "Struct/union of type '\(recordName)' does not contain a field named '\(name)'",
                                      suggestion: Suggestion.closest(to: name, among: fields.map(\.name))))
            return e
        }
        return Expr(.copiedMember(base, offset: field.offset), range: e.range, type: field.layout.scriptType)
    }

    /// `$a[1]` on a copied array: literal indexes, checked against its length.
    mutating func checkCopiedElement(_ e: Expr, base: Expr, index: Expr) -> Expr? {
        guard case .rendered(.memoryCopy(let layout)) = base.type else { return nil }
        guard case .array(let element, let count) = layout else {
            diagnostics.append(.error(e.range, "The array index operator [] can only be used on arrays and pointers, found \(layout)."))
            return e
        }
        guard let i = literalIndex(index, count: count, at: e.range) else { return e }
        return Expr(.copiedMember(base, offset: i * element.size), range: e.range, type: element.scriptType)
    }

    /// An array index: a literal integer within the array's `count` elements, or nil with the
    /// error reported (bpftrace's words).
    mutating func literalIndex(_ index: Expr, count: Int, at range: SourceRange) -> Int? {
        guard let i = Self.literalValue(index) else {
            diagnostics.append(.error(range, "The array index operator [] only accepts literal integer indices."))
            return nil
        }
        guard i >= 0, i < count else {
            diagnostics.append(.error(range, "the index \(i) is out of bounds for array of size \(count)"))
            return nil
        }
        return Int(i)
    }

    /// `$a->x == $b->x` on whole arrays or structs, `$a == $b` on buffers: equal bytes.
    mutating func checkValueEquality(_ e: Expr, _ op: BinaryOp, _ a: Expr, _ b: Expr) -> Expr? {
        guard op == .eq || op == .ne else { return nil }
        let ca = copiedValue(a), cb = copiedValue(b)
        switch (ca.type, cb.type) {
        case (.rendered(.memoryCopy(let x)), .rendered(.memoryCopy(let y))) where x == y:
            break
        case (.rendered(.buffer), .rendered(.buffer)):
            break
        case (.rendered(.memoryCopy), .rendered(.memoryCopy)):
            diagnostics.append(.error(e.range, "Type mismatch for '\(op.rawValue)': comparing '\(ca.type)' with '\(cb.type)'"))
            return e
        default:
            return nil
        }
        return Expr(.binary(op, ca, cb), range: e.range, type: .uint64)
    }
}
