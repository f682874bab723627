/// A printf format string split into literal text and conversions, as `printf` checks and prints it.
public struct PrintfFormat: Codable, Equatable, Sendable {
    /// One `%…` conversion: `%-16s` → flags "-", width 16, specifier `s`.
    public struct Conversion: Equatable, Sendable {
        public enum Kind: Codable, Equatable, Sendable {
            /// `d i u x X o c`: takes an integer.
            case integer
            /// `s`: takes a string; `r`: a buffer (`buf()`), printed with `\xNN` escapes.
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
        /// `%rx` (every byte as `\xNN`) or `%rh` (hex bytes with spaces) after `%r`; nil otherwise.
        public var bufferStyle: Character? = nil
        public var kind: Kind {
            switch specifier {
            case "s", "r": return .string
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

        /// Bits of the argument the conversion prints, as C's varargs would: `%d` an int (32),
        /// `%hd` a short, `%hhd` a char, `%ld`/`%lld`/`%zd` 64. bpftrace prints the same.
        public var argumentBits: Int {
            switch length {
            case "hh": return 8
            case "h": return 16
            case "": return 32
            default: return 64
            }
        }

        /// Whether the conversion reads its argument as signed.
        public var isSignedConversion: Bool { specifier == "d" || specifier == "i" }

        /// The 64-bit value C would print: truncated to the argument's width, then sign- or
        /// zero-extended back to 64 bits for snprintf's `ll` conversion.
        public func narrow(_ v: UInt64) -> UInt64 {
            let bits = argumentBits
            guard bits < 64, kind == .integer, specifier != "c" else { return v }
            let mask = (UInt64(1) << UInt64(bits)) - 1
            let low = v & mask
            if isSignedConversion, low & (UInt64(1) << UInt64(bits - 1)) != 0 { return low | ~mask }
            return low
        }
    }

    public enum Segment: Codable, Equatable, Sendable {
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
            if j < b.count, "diuxXocspr".utf8.contains(b[j]) {
                flush()
                var conversion = Conversion(flags: flags, width: width, precision: precision,
                                            length: length, specifier: Character(UnicodeScalar(b[j])))
                if b[j] == UInt8(ascii: "r"), j + 1 < b.count, b[j + 1] == UInt8(ascii: "x") || b[j + 1] == UInt8(ascii: "h") {
                    j += 1
                    conversion.bufferStyle = Character(UnicodeScalar(b[j]))
                }
                segs.append(.conversion(conversion))
                i = j + 1
            } else {
                lit.append(b[i]); i += 1
            }
        }
        flush()
        segments = segs
    }
}
