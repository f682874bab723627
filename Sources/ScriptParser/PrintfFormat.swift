/// A printf format string split into literal text and conversions, as `printf` checks and prints it.
public struct PrintfFormat: Equatable, Sendable {
    /// One `%…` conversion: `%-16s` → flags "-", width 16, specifier `s`.
    public struct Conversion: Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            /// `d i u x X o c`: takes an integer.
            case integer
            /// `s`: takes a string.
            case string
            /// `p`: takes an integer or pointer, printed as an address.
            case pointer
        }
        public var flags: String
        public var width: Int?
        public var precision: Int?
        /// `h`, `hh`, `l`, `ll`, `z`, `j`, `t` as written; the value is always 64-bit underneath.
        public var length: String
        public var specifier: Character
        public var kind: Kind {
            switch specifier {
            case "s": return .string
            case "p": return .pointer
            default: return .integer
            }
        }
        /// The spec for C's snprintf taking a 64-bit argument: `%-8ld` → `%-8lld`.
        public var cSpec: String {
            var s = "%" + flags
            if let w = width { s += String(w) }
            if let p = precision { s += "." + String(p) }
            switch kind {
            case .integer where specifier == "c": break
            case .integer: s += "ll"
            case .string, .pointer: break
            }
            s.append(specifier)
            return s
        }
    }

    public enum Segment: Equatable, Sendable {
        case literal(String)
        case conversion(Conversion)
    }

    public var segments: [Segment]

    public var conversions: [Conversion] {
        segments.compactMap { if case .conversion(let c) = $0 { return c }; return nil }
    }

    /// Splits a format. An unknown conversion (`%q`) stays literal text, as in bpftrace.
    public init(_ text: String) {
        var segs: [Segment] = []
        var lit: [UInt8] = []
        let b = Array(text.utf8)
        var i = 0
        func flush() {
            if !lit.isEmpty { segs.append(.literal(String(decoding: lit, as: UTF8.self))); lit = [] }
        }
        while i < b.count {
            guard b[i] == UInt8(ascii: "%") else { lit.append(b[i]); i += 1; continue }
            if i + 1 < b.count, b[i + 1] == UInt8(ascii: "%") { lit.append(b[i]); i += 2; continue }
            var j = i + 1
            var flags = ""
            while j < b.count, "-+ #0".utf8.contains(b[j]) { flags.append(Character(UnicodeScalar(b[j]))); j += 1 }
            func number() -> Int? {
                var v: Int?
                while j < b.count, b[j] >= 48, b[j] <= 57 {
                    v = min(((v ?? 0) * 10) + Int(b[j] - 48), 1 << 20)
                    j += 1
                }
                return v
            }
            let width = number()
            var precision: Int?
            if j < b.count, b[j] == UInt8(ascii: ".") { j += 1; precision = number() ?? 0 }
            var length = ""
            while j < b.count, "hlzjt".utf8.contains(b[j]), length.count < 2 {
                length.append(Character(UnicodeScalar(b[j]))); j += 1
            }
            if j < b.count, "diuxXocsp".utf8.contains(b[j]) {
                flush()
                segs.append(.conversion(Conversion(flags: flags, width: width, precision: precision,
                                                   length: length, specifier: Character(UnicodeScalar(b[j])))))
                i = j + 1
            } else {
                lit.append(b[i]); i += 1
            }
        }
        flush()
        segments = segs
    }
}
