/// Following pointers into kernel memory: `p->f`, `r.f`, `*p`, `&x`, `a[i]`, with the record
/// layouts of `TypeChecker+KernelTypes.swift`. A value read through a user pointer (uprobe and
/// syscall arguments) is user memory too, and so is everything its pointers point to.
extension TypeChecker {
    /// `base->name` / `base.name` where base is not `args`.
    mutating func checkRecordField(_ e: Expr, base: Expr, name: String, arrow: Bool) -> Expr? {
        let tb = checkExpr(base)
        guard tb.type != .none else { return e }
        if let copied = checkCopiedField(e, base: tb, name: name, arrow: arrow) { return copied }
        let record: RecordType
        switch tb.type {
        case .pointer(let pointee, _):
            guard arrow else {
                diagnostics.append(.error(e.range,
                    "Can not access field '\(name)' on type '\(tb.type)'. Try dereferencing it first, or using '->'"))
                return e
            }
            guard case .record(let recordName) = pointee else {
                diagnostics.append(.error(e.range,
                    "Can not access field '\(name)' on type '\(tb.type)': it does not point to a struct or union"))
                return e
            }
            guard let r = lookupRecord(named: recordName) else {
                reportUnknownRecord(recordName, at: e.range)
                return e
            }
            record = r
        case .record(let recordName):
            guard !arrow else {
                diagnostics.append(.error(e.range, "Can not dereference struct/union of type '\(recordName)'. It is not a pointer."))
                return e
            }
            guard Self.isInMemory(tb) else {
                diagnostics.append(.error(e.range,
                    "Can not access field '\(name)' here: a whole struct is not copied into variables or maps; keep the pointer and use '->'"))
                return e
            }
            if case .record(let r)? = tb.memberLayout {
                record = r
            } else if let r = lookupRecord(named: recordName) {
                record = r
            } else {
                reportUnknownRecord(recordName, at: e.range)
                return e
            }
        default:
            diagnostics.append(.error(e.range, "Can not access field '\(name)' on expression of type '\(tb.type)'"))
            return e
        }
        guard let steps = record.path(to: name), let member = steps.last?.recordMember else {
            reportUnknownField(name, in: record, at: e.range)
            return e
        }
        fieldsRead.insert("\(record.displayName).\(name)")
        let user = Self.pointsIntoUserMemory(tb)
        guard let type = member.type.scriptType(user: user, stringLength: settings.stringLength) else {
            diagnostics.append(.error(e.range, "Field '\(name)' of \(record.displayName) has a type scripts cannot read"))
            return e
        }
        if let width = member.bitfieldSize, !Self.isReadableBitfield(bitOffset: member.bitOffset % 8, width: width) {
            diagnostics.append(.error(e.range, "Bitfield '\(name)' spans more than 8 bytes and cannot be read"))
            return e
        }
        return Expr(.recordField(tb, RecordAccess(steps: steps, member: member)), range: e.range, type: type)
    }

    /// A bitfield is read as the 8 bytes starting at its first byte, so it must fit there.
    static func isReadableBitfield(bitOffset: Int, width: Int) -> Bool {
        bitOffset + width <= 64
    }

    /// `*p` and `&x`.
    mutating func checkPointerOperator(_ e: Expr, _ op: UnaryOp, _ inner: Expr) -> Expr? {
        switch op {
        case .deref:
            let ti = checkExpr(inner)
            guard ti.type != .none else { return e }
            guard case .pointer(let pointee, let user) = ti.type else {
                diagnostics.append(.error(e.range,
                    "Can not dereference type '\(ti.type)': it is not a pointer (cast it first, e.g. *(uint64 *)x)"))
                return e
            }
            guard pointee.isInteger || pointee.isPointer || Self.isRecord(pointee) else {
                diagnostics.append(.error(e.range, "Can not dereference type '\(ti.type)'"))
                return e
            }
            return Expr(.dereference(ti), range: e.range, type: pointee.inAddressSpace(user: user))
        case .addressOf:
            let ti = checkExpr(inner)
            guard ti.type != .none else { return e }
            guard Self.isInMemory(ti) else {
                diagnostics.append(.error(e.range,
                    "The & operator takes the address of a struct/union field, an array element or *p, not of \(Self.kindWord(ti.type)) values"))
                return e
            }
            if case .recordField(_, let access) = ti.kind, access.member.bitfieldSize != nil {
                diagnostics.append(.error(e.range, "Can not take the address of a bitfield"))
                return e
            }
            let user = Self.pointsIntoUserMemory(ti)
            let pointee: SType
            switch ti.type {
            case .string: pointee = .char
            case .array(let element, _): pointee = element
            default: pointee = ti.type
            }
            return Expr(.addressOf(ti), range: e.range, type: .pointer(to: pointee, user: user))
        default:
            return nil
        }
    }

    /// `a[i]` on arrays (literal, bounds-checked indexes, as bpftrace has it) and on pointers
    /// (any index: `p[i]` is `*(p + i)`).
    mutating func checkIndex(_ e: Expr, _ base: Expr, _ index: Expr) -> Expr? {
        let tb = checkExpr(base), ti = checkExpr(index)
        guard tb.type != .none, ti.type != .none else { return e }
        guard ti.type.isInteger else {
            diagnostics.append(.error(index.range, "The array index must be an integer, got \(ti.type)"))
            return e
        }
        if let copied = checkCopiedElement(e, base: tb, index: ti) { return copied }
        switch tb.type {
        case .array(let element, let count):
            guard Self.isInMemory(tb) || Self.isTracepointArray(tb) else {
                diagnostics.append(.error(e.range, "Can not index this array here: a whole array is not copied into variables or maps"))
                return e
            }
            guard let i = literalIndex(ti, count: count, at: e.range) else { return e }
            let literal = Expr(.integer(UInt64(i)), range: ti.range, type: .int64)
            return Expr(.index(tb, literal), range: e.range, type: element)
        case .pointer(let pointee, let user):
            guard let size = byteSize(of: pointee), size > 0 else {
                diagnostics.append(.error(e.range, "Can not index a pointer to \(pointee): its size is unknown"))
                return e
            }
            let element = Expr(.pointerOffset(tb, ti, elementSize: size), range: e.range, type: tb.type)
            return Expr(.dereference(element), range: e.range, type: pointee.inAddressSpace(user: user))
        default:
            let found = tb.type.isString ? "string" : "\(tb.type)"
            diagnostics.append(.error(e.range, "The array index operator [] can only be used on arrays and pointers, found \(found)."))
            return e
        }
    }

    // MARK: Places in memory

    /// Whether `e` denotes memory codegen can address: a field, an array element, `*p`.
    static func isInMemory(_ e: Expr) -> Bool {
        switch e.kind {
        case .recordField, .dereference: return true
        case .index(let base, _): return isInMemory(base)
        default: return false
        }
    }

    static func isTracepointArray(_ e: Expr) -> Bool {
        if case .tracepointField = e.kind, case .array = e.type { return true }
        return false
    }

    /// Whether the memory `e` reads (or, for a pointer, points to) is user memory.
    static func pointsIntoUserMemory(_ e: Expr) -> Bool {
        if case .pointer(_, let user) = e.type { return user }
        switch e.kind {
        case .recordField(let base, _), .index(let base, _), .dereference(let base): return pointsIntoUserMemory(base)
        case .pointerOffset(let base, _, _): return pointsIntoUserMemory(base)
        default: return false
        }
    }

    static func isRecord(_ t: SType) -> Bool {
        if case .record = t { return true }
        return false
    }

    /// An integer literal, negative ones included; nil for anything computed at run time.
    static func literalValue(_ e: Expr) -> Int64? {
        switch e.kind {
        case .integer(let v): return Int64(bitPattern: v)
        case .unary(.negate, let inner): return literalValue(inner).map { 0 &- $0 }
        default: return nil
        }
    }
}
