/// Value layouts of the checker's record and member types (TraceContract's ValueLayout).
extension ValueLayout {
    /// The layout of a member type; anonymous members' fields are lifted into the record, as
    /// C names them through it.
    public static func of(_ type: MemberType) -> ValueLayout {
        switch type {
        case .integer(let n, let signed, _), .enumeration(let n, let signed):
            return [1, 2, 4, 8].contains(n) ? .integer(bytes: n, signed: signed) : .opaque(bytes: n)
        case .pointer: return .integer(bytes: 8, signed: false)
        case .array(.integer(1, _, true), let count): return .text(bytes: count)
        case .array(let element, let count): return .array(of: of(element), count: count)
        case .record(let r): return of(r)
        case .opaque(let n): return .opaque(bytes: n)
        }
    }

    public static func of(_ record: RecordType) -> ValueLayout {
        .record(name: record.displayName, size: record.size, fields: fields(of: record, at: 0))
    }

    static func fields(of record: RecordType, at base: Int) -> [Field] {
        record.members.flatMap { m -> [Field] in
            let offset = base + m.byteOffset
            if m.name.isEmpty, case .record(let inner) = m.type { return fields(of: inner, at: offset) }
            let layout: ValueLayout = m.bitfieldSize == nil ? of(m.type) : .opaque(bytes: m.type.size)
            return [Field(name: m.name, offset: offset, layout: layout)]
        }
    }

}
