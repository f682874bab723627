/// How a whole struct or array copied out of memory is laid out, for printing it as bpftrace
/// does (`{ .m = 2, .n = 3 }`, `[1,2,3,4]`): the value travels as its raw bytes
/// (`Rendering.memoryCopy`), and user space reads each member by this layout.
public indirect enum ValueLayout: Codable, Hashable, Sendable, CustomStringConvertible {
    case integer(bytes: Int, signed: Bool)
    /// `char name[N]`: text up to its first NUL.
    case text(bytes: Int)
    case array(of: ValueLayout, count: Int)
    case record(name: String, size: Int, fields: [Field])
    /// Bytes scripts cannot read as a value (floats, bitfields): printed as 0.
    case opaque(bytes: Int)

    public struct Field: Codable, Hashable, Sendable {
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
