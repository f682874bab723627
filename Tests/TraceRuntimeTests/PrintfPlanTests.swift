import TraceContract
import ScriptParser
import XCTest

@testable import TraceRuntime

/// PrintfPlan prints the common conversions itself; it must print exactly what C's snprintf
/// prints for them (EventFormatter.cFormat, the path every other conversion takes).
final class PrintfPlanTests: XCTestCase {
    private let values: [UInt64] = [0, 1, 9, 10, 42, 255, 256, 65535, 65536, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff,
                                    1 << 32, UInt64(Int64.max), UInt64(bitPattern: Int64.min), UInt64.max,
                                    UInt64(bitPattern: -1), UInt64(bitPattern: -42), UInt64(bitPattern: -100_000)]

    private func planned(_ format: String, _ slots: [ArgumentSlot], _ record: [UInt8]) -> String {
        var out: [UInt8] = []
        record.withUnsafeBytes { PrintfPlan(PrintfFormat(format), slots).render($0, into: &out, renderer: nil) }
        return String(decoding: out, as: UTF8.self)
    }

    private func record(_ v: UInt64) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: 8)
        withUnsafeBytes(of: v.littleEndian) { r += $0 }
        return r
    }

    func testIntegersMatchSnprintf() {
        let specs = ["%d", "%i", "%u", "%x", "%ld", "%lu", "%lx", "%hd", "%hu", "%hhd", "%hhu", "%hx", "%8d", "%-8d",
                     "%08d", "%-08d", "%3x", "%016lx", "%-5u", "%20lld", "%020lld", "%1d", "%zd", "%llu"]
        for spec in specs {
            let conv = PrintfFormat(spec).conversions[0]
            for kind in [ArgumentSlot.Kind.signed, .unsigned] {
                for v in values {
                    let expected = String(decoding: EventFormatter.cFormat(conv.cSpec, [conv.narrow(v)]), as: UTF8.self)
                    XCTAssertEqual(planned("<" + spec + ">", [ArgumentSlot(offset: 8, kind: kind)], record(v)),
                                   "<" + expected + ">", "\(spec) of \(Int64(bitPattern: v))")
                }
            }
        }
    }

    func testStringsMatchSnprintf() {
        for spec in ["%s", "%10s", "%-10s", "%2s", "%-1s"] {
            for text in ["", "a", "hello", "exactly16bytes!!"] {
                var r = [UInt8](repeating: 0, count: 8)
                r += Array(text.utf8).prefix(16) + [UInt8](repeating: 0, count: 16 - min(16, text.utf8.count))
                let expected = text.withCString { p in
                    String(decoding: EventFormatter.cFormat(PrintfFormat(spec).conversions[0].cSpec, [p]), as: UTF8.self)
                }
                XCTAssertEqual(planned("[" + spec + "]", [ArgumentSlot(offset: 8, kind: .string(capacity: 16))], r),
                               "[" + expected + "]", "\(spec) of \(text)")
            }
        }
    }

    func testLiteralsAndOtherConversionsInOneFormat() {
        // %+d and %.3d need C's printf; %% is a literal; both kinds of step in one format.
        var r = record(UInt64(bitPattern: -7))
        r += record(5).suffix(8)
        r += record(0x1234).suffix(8)
        let slots = [ArgumentSlot(offset: 8, kind: .signed), ArgumentSlot(offset: 16, kind: .signed),
                     ArgumentSlot(offset: 24, kind: .unsigned)]
        XCTAssertEqual(planned("a %+d b %.3d c %x 100%%\n", slots, r), "a -7 b 005 c 1234 100%\n")
    }

    func testAStringFillingItsSlotHasNoTerminator() {
        var r = [UInt8](repeating: 0, count: 8)
        r += Array("abcd".utf8)
        XCTAssertEqual(planned("%s|", [ArgumentSlot(offset: 8, kind: .string(capacity: 4))], r), "abcd|")
    }

    func testJSONEscapedRenderingEscapesTheWholeText() {
        var r = record(UInt64(bitPattern: -12))
        r += Array("a\"b\\c\té\u{1}".utf8).prefix(16)
        r += [UInt8](repeating: 0, count: 24 + 8 - r.count)
        r += record(7).suffix(8)
        let slots = [ArgumentSlot(offset: 8, kind: .signed), ArgumentSlot(offset: 16, kind: .string(capacity: 16)),
                     ArgumentSlot(offset: 32, kind: .signed)]
        for format in ["\"%d\" [%-20s] %+d\n", "%5d\t%s\\%x\r\n", "plain %d %s %d"] {
            let plan = PrintfPlan(PrintfFormat(format), slots)
            var plain: [UInt8] = [], escaped: [UInt8] = []
            r.withUnsafeBytes {
                plan.render($0, into: &plain, renderer: nil)
                plan.render($0, into: &escaped, renderer: nil, jsonEscaped: true)
            }
            XCTAssertEqual(String(decoding: escaped, as: UTF8.self), JSONText.escaped(plain), format)
        }
    }

    func testJSONMessageEscapesAsBpftrace() {
        var out: [UInt8] = []
        JSONOutputFormat.appendMessage(type: "printf", Array("a\"b\\\n\t\u{1}é".utf8), into: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       #"{"type": "printf", "data": "a\"b\\\n\t\u0001\uffffffc3\uffffffa9"}"# + "\n")
        XCTAssertEqual(JSONOutputFormat().printf(Array("x\n".utf8)), Array(#"{"type": "printf", "data": "x\n"}"#.utf8) + [10])
    }
}

/// Map text is written into one byte buffer; each value must read as ValueText.text writes it.
final class ValueTextBytesTests: XCTestCase {
    func testAppendedValuesMatchTheirText() {
        let values: [PrintableValue] = [.signed(0), .signed(-1), .signed(Int64.min), .signed(Int64.max), .unsigned(UInt64.max),
                                        .unsigned(42), .string(""), .string("sshd é"),
                                        .tuple([.signed(-3), .string("a, b"), .tuple([.unsigned(7), .string("")])])]
        for v in values {
            var out: [UInt8] = []
            ValueText.append(v, into: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), ValueText.text(v))
        }
    }

    func testAHundredThousandKeysPrintInValueOrder() {
        let entries = (0..<100_000).map { i in
            MapEntry(keys: [.unsigned(UInt64(i))], value: .scalar(.unsigned(UInt64((i * 7919) % 100_000))))
        }
        let text = MapPrinter.text(MapSnapshot(name: "@m", kind: .count, entries: entries))
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 100_000)
        // 7919 is prime to 100,000: every value appears once, so the order is fully determined.
        for (n, line) in lines.enumerated() {
            guard line.hasSuffix(": \(n)") else { return XCTFail("line \(n) is \(line)") }
        }
        XCTAssertEqual(lines.first, "@m[0]: 0")
    }
}
