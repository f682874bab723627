/// How a whole struct or array copied out of memory is laid out, for printing it as bpftrace
/// does (`{ .m = 2, .n = 3 }`, `[1,2,3,4]`): the value travels as its raw bytes
/// (`Rendering.memoryCopy`), and user space reads each member by this layout.
public indirect enum ValueLayout: Hashable, Sendable, CustomStringConvertible {
    case integer(bytes: Int, signed: Bool)
    /// `char name[N]`: text up to its first NUL.
    case text(bytes: Int)
    case array(of: ValueLayout, count: Int)
    case record(name: String, size: Int, fields: [Field])
    /// Bytes scripts cannot read as a value (floats, bitfields): printed as 0.
    case opaque(bytes: Int)

    public struct Field: Hashable, Sendable {
        public var name: String
        public var offset: Int
        public var layout: ValueLayout
        public init(name: String, offset: Int, layout: ValueLayout) {
            self.name = name; self.offset = offset; self.layout = layout
        }
    }

    public var size: Int {
        switch self {
        case .integer(let n, _), .text(let n), .opaque(let n): return n
        case .array(let element, let count): return element.size * count
        case .record(_, let size, _): return size
        }
    }

    /// C's alignment of the value: its largest scalar's.
    public var alignment: Int {
        switch self {
        case .integer(let n, _), .opaque(let n): return max(1, min(n, 8))
        case .text: return 1
        case .array(let element, _): return element.alignment
        case .record(_, _, let fields): return fields.map(\.layout.alignment).max() ?? 1
        }
    }

    /// bpftrace's spelling of the type: `struct Foo`, `int32[4]`.
    public var description: String {
        switch self {
        case .integer(let n, let signed): return (signed ? "int" : "uint") + String(n * 8)
        case .text(let n): return "string[\(n)]"
        case .array(let element, let count): return "\(element)[\(count)]"
        case .record(let name, _, _): return name
        case .opaque(let n): return "opaque[\(n)]"
        }
    }

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

    private static func fields(of record: RecordType, at base: Int) -> [Field] {
        record.members.flatMap { m -> [Field] in
            let offset = base + m.byteOffset
            if m.name.isEmpty, case .record(let inner) = m.type { return fields(of: inner, at: offset) }
            let layout: ValueLayout = m.bitfieldSize == nil ? of(m.type) : .opaque(bytes: m.type.size)
            return [Field(name: m.name, offset: offset, layout: layout)]
        }
    }

    /// The script type of a value with this layout read out of a copy.
    public var scriptType: SType {
        switch self {
        case .integer(let n, let signed): return .integer(bits: n * 8, signed: signed)
        case .text(let n): return .string(capacity: n)
        case .opaque: return .uint64
        case .array, .record: return .rendered(.memoryCopy(self))
        }
    }
}
