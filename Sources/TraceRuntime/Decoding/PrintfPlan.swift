import TraceContract
import SystemCatalog

/// A printf format prepared once per event id, so that each record is rendered by appending
/// bytes to a buffer the caller reuses: no allocation and no vsnprintf for the common
/// conversions (`%d %u %x %s` with `-`/`0` flags and a width). Anything else (precision, `%p`,
/// `%c`, `+ #` flags, tuples, rendered values) goes through `EventFormatter.conversionText`,
/// which prints exactly what C's printf prints; the fast steps print the same bytes.
struct PrintfPlan {
    /// Plain values only (no arrays or strings inside), so walking the steps retains nothing.
    enum Step {
        /// `literals[start..<end]`; `escapedLiterals[escapedStart..<escapedEnd]` under JSON.
        case literal(start: Int, end: Int, escapedStart: Int, escapedEnd: Int)
        /// An integer in decimal or hex, narrowed to `bits` as C's varargs narrow it.
        case integer(offset: Int, bits: Int, signed: Bool, hex: Bool, padding: Padding)
        /// A NUL-terminated string slot under a plain `%s` / `%-20s`.
        case string(offset: Int, capacity: Int, padding: Padding)
        /// `generals[index]`.
        case general(index: Int)
    }

    /// A field width: spaces on the left, on the right (`-`), or zeros after the sign (`0`).
    struct Padding {
        var width = 0
        var leftAlign = false
        var zeros = false
    }

    let steps: [Step]
    /// The literal text of every `.literal` step, one after another.
    let literals: [UInt8]
    /// The same, escaped once for JSON strings (integers never need escaping).
    let escapedLiterals: [UInt8]
    let generals: [(PrintfFormat.Conversion, ArgumentSlot)]

    init(_ format: PrintfFormat, _ slots: [ArgumentSlot]) {
        var steps: [Step] = []
        var literals: [UInt8] = [], escapedLiterals: [UInt8] = []
        var generals: [(PrintfFormat.Conversion, ArgumentSlot)] = []
        var next = 0
        for segment in format.segments {
            switch segment {
            case .literal(let s):
                let start = literals.count, escapedStart = escapedLiterals.count
                literals += s.utf8
                JSONText.append(escaped: s.utf8, into: &escapedLiterals)
                steps.append(.literal(start: start, end: literals.count,
                                      escapedStart: escapedStart, escapedEnd: escapedLiterals.count))
            case .conversion(let conv):
                // A conversion without a slot (a malformed manifest) prints nothing.
                guard next < slots.count else { continue }
                let slot = slots[next]
                next += 1
                if let step = Self.step(conv, slot) {
                    steps.append(step)
                } else {
                    steps.append(.general(index: generals.count))
                    generals.append((conv, slot))
                }
            }
        }
        self.steps = steps
        self.literals = literals
        self.escapedLiterals = escapedLiterals
        self.generals = generals
    }

    /// The fast step for a conversion, nil when C's printf must do it.
    private static func step(_ conv: PrintfFormat.Conversion, _ slot: ArgumentSlot) -> Step? {
        let flags = Set(conv.flags)
        guard conv.precision == nil, flags.isSubset(of: ["-", "0"]) else { return nil }
        let padding = Padding(width: conv.width ?? 0, leftAlign: flags.contains("-"),
                              zeros: flags.contains("0") && !flags.contains("-"))
        switch (slot.kind, conv.specifier) {
        case (.signed, "d"), (.signed, "i"), (.signed, "u"), (.unsigned, "d"), (.unsigned, "i"), (.unsigned, "u"):
            return .integer(offset: slot.offset, bits: conv.argumentBits, signed: conv.isSignedConversion, hex: false,
                            padding: padding)
        case (.signed, "x"), (.unsigned, "x"):
            return .integer(offset: slot.offset, bits: conv.argumentBits, signed: false, hex: true, padding: padding)
        case (.string(let capacity), "s") where !padding.zeros:
            return .string(offset: slot.offset, capacity: capacity, padding: padding)
        default:
            return nil
        }
    }

    /// Appends the record's text to `out`; with `jsonEscaped`, as escaped for a JSON string
    /// (the same bytes `JSONText.escaped` makes of the text, without a copy to escape).
    func render(_ record: UnsafeRawBufferPointer, into out: inout [UInt8], renderer: ValueRenderer?,
                jsonEscaped: Bool = false) {
        for step in steps {
            switch step {
            case .literal(let start, let end, let escapedStart, let escapedEnd):
                if jsonEscaped {
                    escapedLiterals.withUnsafeBufferPointer {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[escapedStart..<escapedEnd]))
                    }
                } else {
                    literals.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<end])) }
                }
            case .integer(let offset, let bits, let signed, let hex, let padding):
                guard offset + 8 <= record.count else { continue }
                let v = Self.narrow(record.loadUnaligned(fromByteOffset: offset, as: UInt64.self), bits: bits, signed: signed)
                let negative = signed && Int64(bitPattern: v) < 0
                let magnitude = negative ? 0 &- v : v
                Self.appendInteger(magnitude, negative: negative, hex: hex, padding: padding, into: &out)
            case .string(let offset, let capacity, let padding):
                let end = min(record.count, offset + capacity)
                guard offset < end else {
                    Self.pad(padding.width, into: &out)
                    continue
                }
                let bytes = UnsafeRawBufferPointer(rebasing: record[offset..<end])
                let text = UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.firstIndex(of: 0) ?? bytes.count)])
                let fill = padding.width - text.count
                if !padding.leftAlign { Self.pad(fill, into: &out) }
                if jsonEscaped { JSONText.append(escaped: text, into: &out) } else { out.append(contentsOf: text) }
                if padding.leftAlign { Self.pad(fill, into: &out) }
            case .general(let index):
                let (conv, slot) = generals[index]
                let text = EventFormatter.conversionText(conv, slot, record, renderer: renderer)
                if jsonEscaped { JSONText.append(escaped: text, into: &out) } else { out.append(contentsOf: text) }
            }
        }
    }

    /// As `PrintfFormat.Conversion.narrow` for an integer conversion.
    @inline(__always)
    static func narrow(_ v: UInt64, bits: Int, signed: Bool) -> UInt64 {
        guard bits < 64 else { return v }
        let mask = (UInt64(1) << UInt64(bits)) - 1
        let low = v & mask
        if signed, low & (UInt64(1) << UInt64(bits - 1)) != 0 { return low | ~mask }
        return low
    }

    private static func pad(_ count: Int, into out: inout [UInt8]) {
        if count > 0 { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count)) }
    }

    /// Digits of `magnitude` with C's layout: `-` then zeros (with `0`), or spaces around.
    static func appendInteger(_ magnitude: UInt64, negative: Bool, hex: Bool, padding: Padding, into out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 decimal digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            var v = magnitude
            repeat {
                count += 1
                let digit = UInt8(truncatingIfNeeded: hex ? v & 0xF : v % 10)
                buffer[24 - count] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") - 10 + digit
                v = hex ? v >> 4 : v / 10
            } while v != 0
        }
        let length = count + (negative ? 1 : 0)
        let fill = padding.width - length
        if fill > 0, !padding.leftAlign, !padding.zeros { pad(fill, into: &out) }
        if negative { out.append(UInt8(ascii: "-")) }
        if fill > 0, padding.zeros { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: fill)) }
        withUnsafeBytes(of: &digits) { buffer in out.append(contentsOf: buffer[(24 - count)...]) }
        if fill > 0, padding.leftAlign { pad(fill, into: &out) }
    }
}
