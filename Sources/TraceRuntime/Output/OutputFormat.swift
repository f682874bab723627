import TraceContract
import SystemCatalog
/// One way of writing the program's output (`-f text`, `-f json`): each method turns one kind of
/// output into the exact bytes bpftrace 0.17 writes for it, and the caller writes them.
///
/// Where the bytes go is the caller's business, with one rule bpftrace imposes: `exitPreamble`
/// goes to standard output even under `-o FILE`, while everything else goes to the output file.
public protocol OutputFormat: Sendable {
    /// `printf(...)`: `text` is the rendered format, its own newlines included.
    func printf(_ text: [UInt8]) -> [UInt8]
    /// `join(...)`: `joined` is the elements with the separator between them, no newline.
    func join(_ joined: [UInt8]) -> [UInt8]
    /// `time(...)`: `text` is the `strftime` result, its own newlines included.
    func time(_ text: [UInt8]) -> [UInt8]
    /// `cat(...)`: the file's bytes.
    func cat(_ text: [UInt8]) -> [UInt8]
    /// `system(...)`: the command's output.
    func system(_ text: [UInt8]) -> [UInt8]
    /// `print(@m)`, `print(@m, top)`, `print(@m, top, div)`; `top` 0 or nil means every entry,
    /// `divisor` 0 or nil means 1.
    func map(_ m: MapSnapshot, top: Int?, divisor: UInt64?) -> String
    /// `print(value)` of a non-map value (integer, string, tuple).
    func value(_ v: PrintableValue) -> String
    /// Events the kernel dropped because user space read too slowly.
    func lostEvents(_ count: UInt64) -> String
    /// `-k`/`-kk`: a helper that failed at run time, located in the script. bpftrace writes it
    /// with the program's output (standard output or `-o FILE`), not on standard error.
    func helperError(_ helper: String, code: Int64, at range: SourceRange, in script: SourceFile) -> String
    /// The line announcing the attached probes on standard output; nil when this format
    /// announces nothing there (text mode reports on standard error instead).
    func attachedProbes(_ count: Int) -> String?
    /// Every map at exit, in bpftrace's order (by name), after `exitPreamble`.
    func mapsAtExit(_ maps: [MapSnapshot]) -> String
}

extension OutputFormat {
    /// What bpftrace 0.17 writes to standard output (never to `-o FILE`) before printing the
    /// maps at exit, in both formats and even when there are no maps: two newlines.
    public var exitPreamble: String { "\n\n" }

    public func mapsAtExit(_ maps: [MapSnapshot]) -> String {
        // bpftrace keeps its maps in a std::map keyed by name: byte order of the names.
        maps.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            .map { map($0, top: nil, divisor: nil) }
            .joined()
    }

    public func printf(_ text: String) -> String { String(decoding: printf(Array(text.utf8)), as: UTF8.self) }
    public func join(_ joined: String) -> String { String(decoding: join(Array(joined.utf8)), as: UTF8.self) }
    public func time(_ text: String) -> String { String(decoding: time(Array(text.utf8)), as: UTF8.self) }
}

/// bpftrace's default output: messages as they are, maps as `@name[key]: value` and histograms.
public struct TextOutputFormat: OutputFormat {
    public init() {}

    public func printf(_ text: [UInt8]) -> [UInt8] { text }
    public func join(_ joined: [UInt8]) -> [UInt8] { joined + [UInt8(ascii: "\n")] }
    public func time(_ text: [UInt8]) -> [UInt8] { text }
    public func cat(_ text: [UInt8]) -> [UInt8] { text }
    public func system(_ text: [UInt8]) -> [UInt8] { text }

    public func map(_ m: MapSnapshot, top: Int?, divisor: UInt64?) -> String {
        MapPrinter.text(m, top: top, divisor: divisor)
    }

    public func value(_ v: PrintableValue) -> String { ValueText.text(v) + "\n" }

    public func lostEvents(_ count: UInt64) -> String { "Lost \(count) events\n" }

    public func helperError(_ helper: String, code: Int64, at range: SourceRange, in script: SourceFile) -> String {
        HelperFailureMessage.render(helper: helper, code: code, range: range, in: script)
    }

    /// bpftrace's `Attaching N probes...` line, so scripts and tools that read it keep working.
    /// swtrace writes it once every probe is attached (bpftrace writes it before attaching),
    /// and `Attached N probes` on standard error as well.
    public func attachedProbes(_ count: Int) -> String? { "Attaching \(count) probe\(count == 1 ? "" : "s")...\n" }
}

/// `-f json`: one `{"type": T, "data": D}` object per line, spaced as bpftrace 0.17 spaces it.
public struct JSONOutputFormat: OutputFormat {
    public init() {}

    public func printf(_ text: [UInt8]) -> [UInt8] { message("printf", text) }
    public func join(_ joined: [UInt8]) -> [UInt8] { message("join", joined) }
    public func time(_ text: [UInt8]) -> [UInt8] { message("time", text) }
    public func cat(_ text: [UInt8]) -> [UInt8] { message("cat", text) }
    /// bpftrace names the type after the syscall event, not the builtin.
    public func system(_ text: [UInt8]) -> [UInt8] { message("syscall", text) }

    public func map(_ m: MapSnapshot, top: Int?, divisor: UInt64?) -> String {
        MapPrinter.json(m, top: top, divisor: divisor)
    }

    public func value(_ v: PrintableValue) -> String {
        "{\"type\": \"value\", \"data\": \(ValueText.json(v))}\n"
    }

    public func lostEvents(_ count: UInt64) -> String {
        "{\"type\": \"lost_events\", \"data\": {\"events\": \(count)}}\n"
    }

    /// Where the failing call starts, as a line and a 1-based column.
    public func helperError(_ helper: String, code: Int64, at range: SourceRange, in script: SourceFile) -> String {
        let (line, column) = script.location(of: range.start)
        var out: [UInt8] = Array(#"{"type": "helper_error", "helper": ""#.utf8)
        JSONText.append(escaped: Array(helper.utf8), into: &out)
        out += Array("\", \"retcode\": \(code), \"line\": \(line), \"col\": \(column)}\n".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    public func attachedProbes(_ count: Int) -> String? {
        "{\"type\": \"attached_probes\", \"data\": {\"probes\": \(count)}}\n"
    }

    private func message(_ type: StaticString, _ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        Self.appendMessage(type: type, text, into: &out)
        return out
    }

    /// What `appendMessage(type: "printf", …)` writes before and after the escaped text.
    static let printfPrefix: [UInt8] = Array(#"{"type": "printf", "data": ""#.utf8)
    static let messageSuffix: [UInt8] = Array("\"}\n".utf8)

    /// `{"type": T, "data": "escaped text"}` and a newline, appended to `out`.
    static func appendMessage(type: StaticString, _ text: [UInt8], into out: inout [UInt8]) {
        func append(_ s: StaticString) { s.withUTF8Buffer { out.append(contentsOf: $0) } }
        append(#"{"type": ""#)
        append(type)
        append(#"", "data": ""#)
        JSONText.append(escaped: text, into: &out)
        append("\"}\n")
    }
}

/// Values (map keys, map values, `print` arguments) as bpftrace 0.17 writes them.
enum ValueText {
    /// Text form: integers in decimal, strings as they are, tuples as `(1, abc)`.
    static func text(_ v: PrintableValue) -> String {
        switch v {
        case .signed(let x): return String(x)
        case .unsigned(let x): return String(x)
        case .string(let s): return s
        case .tuple(let xs): return "(" + xs.map(text).joined(separator: ", ") + ")"
        case .structured(let t, _): return t
        }
    }

    /// The text form, appended to `out`.
    static func append(_ v: PrintableValue, into out: inout [UInt8]) {
        switch v {
        case .signed(let x):
            PrintfPlan.appendInteger(x.magnitude, negative: x < 0, hex: false, padding: PrintfPlan.Padding(), into: &out)
        case .unsigned(let x):
            PrintfPlan.appendInteger(x, negative: false, hex: false, padding: PrintfPlan.Padding(), into: &out)
        case .string(let s):
            out += s.utf8
        case .tuple(let xs):
            out.append(UInt8(ascii: "("))
            for (i, x) in xs.enumerated() {
                if i > 0 { out += ", ".utf8 }
                append(x, into: &out)
            }
            out.append(UInt8(ascii: ")"))
        case .structured(let text, _):
            out += text.utf8
        }
    }

    /// JSON form: strings quoted and escaped, tuples as arrays without spaces: `[1,"abc"]`.
    static func json(_ v: PrintableValue) -> String {
        switch v {
        case .signed, .unsigned: return text(v)
        case .string(let s): return "\"" + JSONText.escaped(s.utf8) + "\""
        case .tuple(let xs): return "[" + xs.map(json).joined(separator: ",") + "]"
        case .structured(_, let j): return j
        }
    }

    /// `print(@m, top, div)`: integers divided (truncating toward zero, as C++), also inside
    /// tuples; strings untouched.
    static func divided(_ v: PrintableValue, by divisor: UInt64) -> PrintableValue {
        guard divisor > 1 else { return v }
        switch v {
        case .signed(let x): return .signed(dividedSigned(x, by: divisor))
        case .unsigned(let x): return .unsigned(x / divisor)
        case .string, .structured: return v
        case .tuple(let xs): return .tuple(xs.map { divided($0, by: divisor) })
        }
    }

    /// `x / div` for a signed value and an unsigned divisor, without trapping on a divisor that
    /// does not fit Int64 (every Int64 is then smaller in magnitude, so the quotient is 0).
    static func dividedSigned(_ x: Int64, by divisor: UInt64) -> Int64 {
        guard divisor > 0 else { return x }
        guard divisor <= UInt64(Int64.max) else { return 0 }
        return x / Int64(divisor)
    }
}

/// bpftrace 0.17's JSON string escaping, byte for byte.
enum JSONText {
    /// `"`, `\`, newline, CR and tab get their short escapes, other bytes below 0x20 `\u00XX`.
    /// Bytes from 0x80 up come out as `\uffffffXX`: bpftrace tests a signed `char` with
    /// `c <= '\x1f'` and prints `(int)c` in hex. Tools that read bpftrace's JSON see exactly
    /// that, so swtrace writes the same (a UTF-8 `é` is `\uffffffc3\uffffffa9`).
    static func escaped<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount)
        append(escaped: bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The escaped bytes, appended to `out` (the event loop reuses one buffer).
    static func append<S: Sequence>(escaped bytes: S, into out: inout [UInt8]) where S.Element == UInt8 {
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out.append(0x5C); out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                appendHexDigits(b, into: &out)
            case 0x80...:
                out.append(contentsOf: "\\uffffff".utf8)
                appendHexDigits(b, into: &out)
            default:
                out.append(b)
            }
        }
    }

    /// Two lowercase hex digits, as `std::hex` writes them.
    private static func appendHexDigits(_ b: UInt8, into out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { d in
            out.append(d[Int(b >> 4)])
            out.append(d[Int(b & 0xF)])
        }
    }
}
