/// Kernel types through BTF: `curtask`, kernel enum constants, casts to pointers, `sizeof`,
/// `offsetof` and pointer arithmetic. Field access, `*p`, `&x` and `a[i]` are in
/// `TypeChecker+RecordFields.swift`. Each hook returns nil when the construct is not about
/// kernel types, so the caller reports its usual error; once a hook has checked a
/// subexpression it returns non-nil, so nothing is checked (and reported) twice.
extension TypeChecker {
    /// `curtask`, or a kernel enum constant (`TASK_RUNNING`) the script does not define itself.
    mutating func checkKernelTypeIdentifier(_ e: Expr, _ name: String) -> Expr? {
        if name == "curtask" {
            // Typed without reading BTF: only following the pointer needs the layout.
            return Expr(.currentTask, range: e.range, type: Self.taskPointer)
        }
        guard enumConstants[name] == nil, defines[name] == nil, name != "args" else { return nil }
        // Builtins of TypeChecker+Functions come after this hook; asking BTF about them would
        // load it for nothing.
        if let resolved = checkFunctionBuiltin(e, name) { return resolved }
        guard let value = catalog.enumeratorValue(named: name) else { return nil }
        enumConstants[name] = value
        return Expr(.integer(UInt64(bitPattern: value)), range: e.range, type: .int64)
    }

    static let taskPointer = SType.pointer(to: .record(name: "struct task_struct"), user: false)

    /// `(struct task_struct *)p`, `(int *)p`, `(struct x)v` (refused): casts the integer-cast
    /// rules do not cover.
    mutating func checkPointerCast(_ e: Expr, _ typeName: TypeName, _ inner: Expr) -> Expr? {
        let ti = checkExpr(inner)
        guard ti.type != .none else { return e }
        let name = Self.normalizedTypeName(typeName.name)
        // `(struct x *)`, as bpftrace underlines it; the whole cast when the type name's range
        // is elsewhere (a #define's body).
        let typeInside = typeName.range.end > e.range.start && typeName.range.end < e.range.end
        let castRange = typeInside ? SourceRange(e.range.start, typeName.range.end + 1) : e.range
        guard typeName.pointerDepth > 0 else {
            if lookupRecord(named: name) != nil || Self.isRecordName(name) {
                diagnostics.append(.error(e.range, "Cannot cast to struct type \"\(name)\""))
                return e
            }
            return nil
        }
        if Self.isRecordName(name), lookupRecord(named: name) == nil {
            reportUnknownRecord(name, at: castRange)
            return e
        }
        guard let pointee = pointeeType(named: name) else {
            diagnostics.append(.error(castRange, "Unknown type: '\(name)'"))
            return e
        }
        guard ti.type.isInteger || ti.type.isPointer else {
            diagnostics.append(.error(e.range, "Cannot cast from \"\(ti.type)\" to \"\(typeName)\""))
            return e
        }
        // A pointer keeps the memory it points into; an integer becomes a user pointer where
        // the probe's numbers are user addresses (bpftrace's address-space rule).
        let user = ti.type.isPointer ? ti.type.isUserPointer : integersAreUserAddresses
        var t = pointee
        for _ in 0..<typeName.pointerDepth { t = .pointer(to: t, user: user) }
        return Expr(.cast(typeName, ti), range: e.range, type: t.inAddressSpace(user: user))
    }

    /// Uprobes, USDT probes and syscall tracepoints see user-space addresses.
    var integersAreUserAddresses: Bool {
        if format?.id.category == "syscalls" { return true }
        guard !attachPoints.isEmpty else { return false }
        return attachPoints.allSatisfy {
            switch $0 {
            case .uprobe, .uretprobe, .usdt: return true
            default: return false
            }
        }
    }

    /// `sizeof(struct x)`, `sizeof(expr)`, `offsetof(struct x, a.b)`.
    mutating func checkKernelTypeQuery(_ e: Expr) -> Expr? {
        switch e.kind {
        case .sizeofType(let typeName):
            let name = Self.normalizedTypeName(typeName.name)
            if typeName.pointerDepth > 0 { return Expr(.integer(8), range: e.range, type: .uint64) }
            if Self.integerType(named: typeName) != nil { return nil }
            guard let record = lookupRecord(named: name) else {
                reportUnknownRecord(name, at: e.range)
                return e
            }
            return Expr(.integer(UInt64(record.size)), range: e.range, type: .uint64)
        case .sizeofExpr(let inner):
            let t = checkExpr(inner)
            guard t.type != .none else { return e }
            return Expr(.integer(UInt64(max(0, byteSize(of: t) ?? t.type.size))), range: e.range, type: .uint64)
        case .offsetof(let typeName, let path):
            return checkOffsetof(e, Self.normalizedTypeName(typeName.name), path)
        default:
            return nil
        }
    }

    private mutating func checkOffsetof(_ e: Expr, _ name: String, _ path: [String]) -> Expr? {
        guard var record = lookupRecord(named: name) else {
            reportUnknownRecord(name, at: e.range)
            return e
        }
        var bits = 0
        for (i, field) in path.enumerated() {
            guard let steps = record.path(to: field), let member = steps.last?.recordMember else {
                reportUnknownField(field, in: record, at: e.range)
                return e
            }
            bits += steps.compactMap { $0.recordMember?.bitOffset }.reduce(0, +)
            if member.bitfieldSize != nil {
                diagnostics.append(.error(e.range, "offsetof() cannot take the offset of bitfield '\(field)'"))
                return e
            }
            guard i < path.count - 1 else { break }
            guard case .record(let inner) = member.type else {
                diagnostics.append(.error(e.range, "'\(field)' is not a struct or union, so it has no field '\(path[i + 1])'"))
                return e
            }
            record = inner
        }
        return Expr(.integer(UInt64(bits / 8)), range: e.range, type: .uint64)
    }

    /// `p + n`, `n + p`, `p - n` on a pointer to something with a size: C's scaled arithmetic.
    mutating func checkPointerArithmetic(_ e: Expr, _ op: BinaryOp, _ a: Expr, _ b: Expr) -> Expr? {
        guard op == .add || op == .sub else { return nil }
        let (pointer, count): (Expr, Expr)
        switch (a.type, b.type) {
        case (.pointer, .integer): (pointer, count) = (a, b)
        case (.integer, .pointer) where op == .add: (pointer, count) = (b, a)
        default: return nil
        }
        guard case .pointer(let pointee, _) = pointer.type, let size = byteSize(of: pointee), size > 0 else { return nil }
        let offset = op == .sub ? Expr(.unary(.negate, count), range: count.range, type: .int64) : count
        return Expr(.pointerOffset(pointer, offset, elementSize: size), range: e.range, type: pointer.type)
    }

    // MARK: Looking types up

    /// A struct or union by name: the preamble's first, then the kernel's.
    mutating func lookupRecord(named name: String) -> RecordType? {
        let name = Self.normalizedTypeName(name)
        if let record = preambleRecords[name] {
            if preambleLaidOut { recordsUsed.insert(name) }
            return record
        }
        return catalog.recordType(named: name)
    }

    /// The size in bytes of a value of type `t`, records included; nil when unknown.
    mutating func byteSize(of t: SType) -> Int? {
        switch t {
        case .record(let name): return lookupRecord(named: name)?.size
        case .array(let element, let count): return byteSize(of: element).map { $0 * count }
        case .tuple: return cLayout(of: t)?.size
        case .none, .void: return nil
        default: return t.size
        }
    }

    /// Size and alignment of `t` laid out as a C struct member: what bpftrace's `sizeof` reports
    /// for a tuple, whose elements it packs as a C struct's (`(int8, int16, int32)` is 8 bytes).
    /// swtrace keeps each element 8-byte aligned in its records; `sizeof` answers in the
    /// language's terms, not the record's.
    mutating func cLayout(of t: SType) -> (size: Int, alignment: Int)? {
        switch t {
        case .integer(let bits, _): return (bits / 8, bits / 8)
        case .pointer: return (8, 8)
        case .string(let capacity): return (capacity, 1)
        case .array(let element, let count):
            return cLayout(of: element).map { ($0.size * count, $0.alignment) }
        case .record(let name):
            return lookupRecord(named: name).map { ($0.size, max(1, $0.alignment)) }
        case .tuple(let elements):
            var offset = 0, alignment = 1
            for element in elements {
                guard let (size, align) = cLayout(of: element) else { return nil }
                offset = (offset + align - 1) / align * align + size
                alignment = max(alignment, align)
            }
            return ((offset + alignment - 1) / alignment * alignment, alignment)
        case .rendered(.memoryCopy(let layout)): return (layout.size, layout.alignment)
        case .rendered(let r): return (r.size, 8)
        case .none, .void: return nil
        }
    }

    /// The size of what `e` denotes, using the member layout for records reached through fields.
    mutating func byteSize(of e: Expr) -> Int? {
        if let layout = e.memberLayout, e.type.isRecordOrArray { return layout.size }
        return byteSize(of: e.type)
    }

    mutating func reportUnknownRecord(_ name: String, at range: SourceRange) {
        // Listing every BTF type costs a scan; only a misspelled name pays for it.
        let names = Array(preambleRecords.keys) + catalog.recordTypeNames()
        diagnostics.append(.error(range, "Unknown struct/union: '\(name)'",
                                  suggestion: Suggestion.closest(to: name, among: names)))
    }

    mutating func reportUnknownField(_ name: String, in record: RecordType, at range: SourceRange) {
        diagnostics.append(.error(range, "Struct/union of type '\(record.displayName)' does not contain a field named '\(name)'",
                                  suggestion: Suggestion.closest(to: name, among: record.memberNames)))
    }

    static func isRecordName(_ name: String) -> Bool {
        name.hasPrefix("struct ") || name.hasPrefix("union ")
    }

    /// `struct  task_struct` → `struct task_struct`; qualifiers dropped.
    static func normalizedTypeName(_ name: String) -> String {
        name.split(separator: " ").filter { $0 != "const" && $0 != "volatile" }.joined(separator: " ")
    }

    /// Identifiers offered in suggestions.
    static let kernelTypeNames = ["curtask"]
}

extension SType {
    var isRecordOrArray: Bool {
        switch self {
        case .record, .array: return true
        default: return false
        }
    }
}
