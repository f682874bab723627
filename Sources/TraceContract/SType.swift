/// The type of a script value, as the type checker settles it.
public indirect enum SType: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Not yet typed (parser output) or an expression with an error already reported.
    case none
    /// Statements and calls with no value: `printf`, `exit`.
    case void
    case integer(bits: Int, signed: Bool)
    /// A NUL-terminated string held in a buffer of `capacity` bytes (NUL included).
    case string(capacity: Int)
    /// A raw pointer; `user` pointers are read with `bpf_probe_read_user`.
    case pointer(to: SType, user: Bool)
    case array(of: SType, count: Int)
    /// A struct or union by name (BTF or the script's preamble).
    case record(name: String)
    case tuple([SType])
    /// A value user space turns into text: a stack, a symbol, a timestamp, … (Rendering.swift).
    case rendered(Rendering)

    public static let int64 = SType.integer(bits: 64, signed: true)
    public static let uint64 = SType.integer(bits: 64, signed: false)
    public static let uint32 = SType.integer(bits: 32, signed: false)
    public static let int32 = SType.integer(bits: 32, signed: true)
    public static let char = SType.integer(bits: 8, signed: true)

    public var isInteger: Bool { if case .integer = self { return true }; return false }
    public var isString: Bool { if case .string = self { return true }; return false }
    public var isPointer: Bool { if case .pointer = self { return true }; return false }
    public var isSigned: Bool { if case .integer(_, let s) = self { return s }; return false }

    /// Bytes the value occupies in an event record or a map slot.
    public var size: Int {
        switch self {
        case .none, .void: return 0
        case .integer(let bits, _): return bits / 8
        case .string(let n): return n
        case .pointer: return 8
        case .array(let t, let n): return t.size * n
        case .record: return 0
        case .tuple(let ts): return ts.reduce(0) { $0 + ((max($1.size, 1) + 7) & ~7) }
        case .rendered(let r): return r.size
        }
    }

    public var isTuple: Bool { if case .tuple = self { return true }; return false }
    /// Values kept in memory rather than a register: strings, tuples and rendered values.
    public var isAggregate: Bool { isString || isTuple || isRendered }

    /// Byte offset of each tuple element; every element starts 8-byte aligned.
    public var tupleOffsets: [Int] {
        guard case .tuple(let ts) = self else { return [] }
        var offsets: [Int] = []
        var at = 0
        for t in ts {
            offsets.append(at)
            at += (t.size + 7) & ~7
        }
        return offsets
    }

    /// bpftrace's spelling in messages: `int64`, `uint32`, `string[64]`, `const char *`.
    public var description: String {
        switch self {
        case .none: return "none"
        case .void: return "void"
        case .integer(let bits, let s): return (s ? "int" : "uint") + String(bits)
        case .string(let n): return "string[\(n)]"
        case .pointer(let t, _): return "\(t) *"
        case .array(let t, let n): return "\(t)[\(n)]"
        case .record(let n): return n
        case .tuple(let ts): return "(" + ts.map(\.description).joined(separator: ", ") + ")"
        case .rendered(let r): return r.description
        }
    }
}
