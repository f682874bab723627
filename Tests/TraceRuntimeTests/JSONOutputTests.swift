import Foundation
import XCTest
@testable import TraceRuntime

/// `-f json` output against bpftrace 0.17 (GoldenOutputs), and bpftrace's string escaping.
final class JSONOutputTests: XCTestCase {
    private let json = JSONOutputFormat()

    private func atExit(_ maps: [MapSnapshot]) -> String {
        (json.attachedProbes(1) ?? "") + json.exitPreamble + json.mapsAtExit(maps)
    }

    /// A helper failure names the helper and where its call starts: line, and the column
    /// counted in bytes from 1 on that line.
    func testHelperErrorMessage() {
        let script = SourceFile(name: "stdin", text: "BEGIN {\n  $v = *(int32 *)0; exit(); }")
        let range = SourceRange(15, 27)
        XCTAssertEqual(json.helperError("probe_read", code: -14, at: range, in: script),
                       #"{"type": "helper_error", "helper": "probe_read", "retcode": -14, "line": 2, "col": 8}"# + "\n")
        XCTAssertEqual(json.helperError("map_lookup_elem", code: 0, at: SourceRange(0, 5), in: script),
                       #"{"type": "helper_error", "helper": "map_lookup_elem", "retcode": 0, "line": 1, "col": 1}"# + "\n")
    }

    // MARK: - Against bpftrace

    func testEveryKindAtExit() {
        assertSameOutput(atExit(GoldenMaps.kinds), GoldenOutputs.kindsJSON)
    }

    func testSortOrders() {
        assertSameOutput(atExit(GoldenMaps.sorting), GoldenOutputs.sortingJSON)
    }

    func testEmptyMapsPrintNothing() {
        assertSameOutput(atExit(GoldenMaps.empty), GoldenOutputs.emptyJSON)
    }

    func testMapNamesOrderAtExit() {
        assertSameOutput(atExit(GoldenMaps.names), GoldenOutputs.namesJSON)
    }

    func testHugeValues() {
        assertSameOutput(atExit(GoldenMaps.huge), GoldenOutputs.hugeJSON)
    }

    func testPrintWithTopAndDiv() {
        typealias T = GoldenMaps.TopDiv
        var out = json.attachedProbes(1) ?? ""
        out += json.map(T.c, top: 2, divisor: 10)
        out += json.map(T.h, top: 2, divisor: 2)
        out += json.map(T.l, top: 2, divisor: 2)
        out += json.map(T.s, top: 2, divisor: 10)
        out += json.map(T.v, top: 2, divisor: 10)
        out += json.map(T.t, top: 2, divisor: 10)
        out += json.map(T.c, top: 0, divisor: 3)
        out += json.map(T.c, top: 10, divisor: nil)
        out += json.map(T.sm, top: 0, divisor: 10)
        out += json.map(T.tu, top: 0, divisor: 10)
        out += json.map(T.c, top: nil, divisor: nil)
        out += json.printf("--\n")
        out += json.map(T.h2, top: nil, divisor: nil)
        out += json.map(GoldenMaps.map("@s", .stats, []), top: nil, divisor: nil)
        out += json.exitPreamble + json.mapsAtExit(T.atExit)
        assertSameOutput(out, GoldenOutputs.topDivJSON)
    }

    func testValuesAndMessages() {
        var out = Array((json.attachedProbes(1) ?? "").utf8)
        for v: PrintableValue in [
            .signed(1), .signed(-5), .string("abc\"\\"),
            .tuple([.signed(1), .string("a"), .tuple([.signed(2), .string("b")])]),
            .string("bpftrace"), .unsigned(.max),
        ] {
            out += json.value(v).utf8
        }
        out += json.printf(Array("a\tb\u{1}\"\\ q\n".utf8))
        out += json.printf([0xC3, 0xA9, 0x7F, 0x1F, 0x0B, 0x08, 0x0C, 0x0D] + Array("|\n".utf8))
        out += json.time(Array("never\n".utf8))
        out += json.cat(Array("line1\nline2".utf8))
        out += json.printf(Array("|\n".utf8))
        out += json.system(Array("sys\n".utf8))
        out += (json.exitPreamble + json.mapsAtExit(GoldenMaps.valuesMaps)).utf8
        assertSameOutput(String(decoding: out, as: UTF8.self), GoldenOutputs.valuesJSON)
    }

    // MARK: - Shapes and escaping

    /// Seen from bpftrace 0.17 on a traced execve (`join(args->argv)`, then with `,"`).
    func testJoin() {
        XCTAssertEqual(json.join("mkdir -p -m 700 /tmp/bash_jobs.0"),
                       "{\"type\": \"join\", \"data\": \"mkdir -p -m 700 /tmp/bash_jobs.0\"}\n")
        XCTAssertEqual(json.join("mkdir,\"-p"), "{\"type\": \"join\", \"data\": \"mkdir,\\\"-p\"}\n")
    }

    /// Seen from bpftrace 0.17 with a one-page perf buffer under load.
    func testLostEventsAndAttachedProbes() {
        XCTAssertEqual(json.lostEvents(4840), "{\"type\": \"lost_events\", \"data\": {\"events\": 4840}}\n")
        XCTAssertEqual(json.attachedProbes(2), "{\"type\": \"attached_probes\", \"data\": {\"probes\": 2}}\n")
    }

    func testEscaping() {
        XCTAssertEqual(JSONText.escaped("a\"b\\c\nd\re\tf".utf8), "a\\\"b\\\\c\\nd\\re\\tf")
        XCTAssertEqual(JSONText.escaped([0x00, 0x01, 0x1F, 0x20, 0x7F]), "\\u0000\\u0001\\u001f \u{7F}")
        // bpftrace's signed-char bug: bytes from 0x80 print as \uffffffXX.
        XCTAssertEqual(JSONText.escaped([0x80, 0xFF]), "\\uffffff80\\uffffffff")
        XCTAssertEqual(JSONText.escaped("é".utf8), "\\uffffffc3\\uffffffa9")
    }

    /// Every line is a JSON object with `type` and `data`, and map keys survive a parser.
    func testOutputParsesAsJSON() throws {
        let lines = GoldenMaps.kinds.map { json.map($0, top: nil, divisor: nil) }
            + GoldenMaps.sorting.map { json.map($0, top: nil, divisor: nil) }
        for line in lines {
            XCTAssertTrue(line.hasSuffix("}\n"))
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertNotNil(object?["type"] as? String, line)
            XCTAssertNotNil(object?["data"], line)
        }
    }

    /// Hist buckets past [2G, 4G) never occur in bpftrace 0.17; swtrace gives their true bounds.
    func testBucketsBeyondBpftracesRange() {
        var buckets = [UInt64](repeating: 0, count: 66)
        buckets[34] = 1 // [2^32, 2^33)
        buckets[65] = 1 // [2^63, 2^64)
        let out = json.map(GoldenMaps.map("@h", .hist, [GoldenMaps.entry([], .histogram(buckets))]), top: nil, divisor: nil)
        XCTAssertTrue(out.hasPrefix("{\"type\": \"hist\", \"data\": {\"@h\": [{\"min\": 4294967296, \"max\": 8589934591, \"count\": 1}, "))
        XCTAssertTrue(out.hasSuffix("{\"min\": 9223372036854775808, \"max\": 18446744073709551615, \"count\": 1}]}}\n"))
    }
}
