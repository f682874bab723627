import XCTest
@testable import TraceRuntime

/// The exposition page for each kind of map, compared with text written out by hand from the
/// Prometheus 0.0.4 and OpenMetrics 1.0.0 specifications.
final class MetricsEncoderTests: XCTestCase {
    func page(_ map: MetricsMap, _ snapshot: MapSnapshot, _ format: MetricsFormat = .prometheusText) -> String {
        String(decoding: MetricsEncoder(script: "exec.st", maps: [map]).encode([snapshot], format: format), as: UTF8.self)
    }

    func testCountWithNamedKeysIsACounterWithLabels() {
        let map = MetricsMap(name: "execs", aggregation: "count()", keyCount: 2,
                             keyExpressions: ["comm", "pid"], keyNames: ["comm", "pid"], line: 3)
        let snapshot = MapSnapshot(name: "@execs", kind: .count, entries: [
            MapEntry(keys: [.string("bash"), .signed(4242)], value: .scalar(.unsigned(7))),
        ])
        XCTAssertEqual(page(map, snapshot), """
            # HELP swtrace_execs_total count() of @execs[comm, pid] (exec.st:3)
            # TYPE swtrace_execs_total counter
            swtrace_execs_total{comm="bash",pid="4242"} 7

            """)
        XCTAssertEqual(page(map, snapshot, .openMetrics), """
            # HELP swtrace_execs count() of @execs[comm, pid] (exec.st:3)
            # TYPE swtrace_execs counter
            swtrace_execs_total{comm="bash",pid="4242"} 7
            # EOF

            """)
    }

    func testAnonymousMapAndUnnamedKeysGetStableNames() {
        let map = MetricsMap(name: "", aggregation: "sum()", keyCount: 2,
                             keyExpressions: ["pid / 2", "args->filename"], keyNames: [nil, "filename"], line: 1)
        let snapshot = MapSnapshot(name: "@", kind: .sum, entries: [
            MapEntry(keys: [.signed(1), .string("/etc/a\"b\\c\nd")], value: .scalar(.signed(-3))),
        ])
        XCTAssertEqual(page(map, snapshot), """
            # HELP swtrace_map_total sum() of @[pid / 2, args->filename] (exec.st:1)
            # TYPE swtrace_map_total counter
            swtrace_map_total{key0="1",filename="/etc/a\\"b\\\\c\\nd"} -3

            """)
    }

    func testKeylessCounterReadsZeroBeforeItsFirstEvent() {
        let map = MetricsMap(name: "n", aggregation: "count()", keyCount: 0, line: 2)
        XCTAssertEqual(page(map, MapSnapshot(name: "@n", kind: .count, entries: [])), """
            # HELP swtrace_n_total count() of @n (exec.st:2)
            # TYPE swtrace_n_total counter
            swtrace_n_total 0

            """)
    }

    func testGaugesForMinMaxAvgAndIntegerValues() {
        let avg = MetricsMap(name: "lat", aggregation: "avg()", keyCount: 1, keyExpressions: ["$k"], keyNames: ["k"], line: 4)
        XCTAssertEqual(page(avg, MapSnapshot(name: "@lat", kind: .avg, entries: [
            MapEntry(keys: [.unsigned(1)], value: .average(count: 4, total: 10)),
        ])), """
            # HELP swtrace_lat avg() of @lat[$k] (exec.st:4)
            # TYPE swtrace_lat gauge
            swtrace_lat{k="1"} 2.5

            """)
        let plain = MetricsMap(name: "last", aggregation: "value", keyCount: 0, line: 5)
        XCTAssertEqual(page(plain, MapSnapshot(name: "@last", kind: .plain, entries: [
            MapEntry(keys: [], value: .scalar(.signed(-12))),
        ])), """
            # HELP swtrace_last value of @last (exec.st:5)
            # TYPE swtrace_last gauge
            swtrace_last -12

            """)
    }

    func testStringValuesBecomeALabelOfAGaugeOfOne() {
        let map = MetricsMap(name: "who", aggregation: "value", keyCount: 1, keyExpressions: ["pid"],
                             keyNames: ["pid"], line: 6, valueIsText: true)
        XCTAssertEqual(page(map, MapSnapshot(name: "@who", kind: .plain, entries: [
            MapEntry(keys: [.signed(9)], value: .scalar(.string("sshd"))),
        ])), """
            # HELP swtrace_who value of @who[pid] (exec.st:6); the value is the label 'value'
            # TYPE swtrace_who gauge
            swtrace_who{pid="9",value="sshd"} 1

            """)
    }

    func testStatsIsASummaryWithoutQuantiles() {
        let map = MetricsMap(name: "bytes", aggregation: "stats()", keyCount: 1, keyExpressions: ["comm"],
                             keyNames: ["comm"], line: 7)
        XCTAssertEqual(page(map, MapSnapshot(name: "@bytes", kind: .stats, entries: [
            MapEntry(keys: [.string("cat")], value: .stats(count: 3, total: 300)),
        ]), .openMetrics), """
            # HELP swtrace_bytes stats() of @bytes[comm] (exec.st:7)
            # TYPE swtrace_bytes summary
            swtrace_bytes_count{comm="cat"} 3
            swtrace_bytes_sum{comm="cat"} 300
            # EOF

            """)
    }

    func testHistIsCumulativeWithIntegerUpperBounds() {
        var buckets = [UInt64](repeating: 0, count: 66)
        buckets[0] = 1  // -5
        buckets[1] = 2  // 0, 0
        buckets[3] = 1  // 3: [2, 4)
        buckets[5] = 4  // [8, 16)
        let map = MetricsMap(name: "us", aggregation: "hist()", keyCount: 0, line: 8)
        let snapshot = MapSnapshot(name: "@us", kind: .hist, entries: [MapEntry(keys: [], value: .histogram(buckets))])
        // _sum: -1 (negatives at -1) + 0 + 2.5 + 4 * 11.5 = 47.5
        XCTAssertEqual(page(map, snapshot), """
            # HELP swtrace_us hist() of @us (exec.st:8); _sum is estimated from the bucket bounds
            # TYPE swtrace_us histogram
            swtrace_us_bucket{le="0"} 3
            swtrace_us_bucket{le="1"} 3
            swtrace_us_bucket{le="3"} 4
            swtrace_us_bucket{le="7"} 4
            swtrace_us_bucket{le="15"} 8
            swtrace_us_bucket{le="+Inf"} 8
            swtrace_us_sum 47.5
            swtrace_us_count 8

            """)
    }

    func testHistBucketsNeverShrinkBetweenScrapes() {
        var high = [UInt64](repeating: 0, count: 66)
        high[4] = 1
        let map = MetricsMap(name: "h", aggregation: "hist()", keyCount: 1, keyExpressions: ["cpu"], keyNames: ["cpu"], line: 1)
        let encoder = MetricsEncoder(script: "s", maps: [map])
        _ = encoder.encode([MapSnapshot(name: "@h", kind: .hist, entries: [MapEntry(keys: [.unsigned(0)], value: .histogram(high))])],
                           format: .prometheusText)
        var low = [UInt64](repeating: 0, count: 66)
        low[1] = 1
        let second = String(decoding: encoder.encode([MapSnapshot(name: "@h", kind: .hist, entries: [MapEntry(keys: [.unsigned(1)], value: .histogram(low))])],
                                    format: .prometheusText), as: UTF8.self)
        XCTAssertTrue(second.contains("swtrace_h_bucket{cpu=\"1\",le=\"7\"} 1\n"), second)
        XCTAssertFalse(second.contains("le=\"15\""), second)
    }

    func testLhistFoldsBelowMinAndDropsSumForNegativeBoundsInOpenMetrics() {
        // lhist(v, 0, 30, 10): [0] < 0, [1] [0,10), [2] [10,20), [3] [20,30), [4] >= 30.
        let map = MetricsMap(name: "l", aggregation: "lhist()", keyCount: 1, keyExpressions: ["le"], keyNames: ["le"], line: 9)
        let snapshot = MapSnapshot(name: "@l", kind: .lhist(min: 0, max: 30, step: 10), entries: [
            MapEntry(keys: [.string("x")], value: .histogram([1, 0, 2, 0, 1])),
        ])
        // The key named `le` would clash with the bucket label: it becomes key0.
        XCTAssertEqual(page(map, snapshot, .openMetrics), """
            # HELP swtrace_l lhist() of @l[le] (exec.st:9); _sum is estimated from the bucket bounds
            # TYPE swtrace_l histogram
            swtrace_l_bucket{key0="x",le="9"} 1
            swtrace_l_bucket{key0="x",le="19"} 3
            swtrace_l_bucket{key0="x",le="29"} 3
            swtrace_l_bucket{key0="x",le="+Inf"} 4
            swtrace_l_sum 58
            swtrace_l_count 4
            # EOF

            """.replacingOccurrences(of: "swtrace_l_sum", with: "swtrace_l_sum{key0=\"x\"}")
               .replacingOccurrences(of: "swtrace_l_count", with: "swtrace_l_count{key0=\"x\"}"))
        let negative = MapSnapshot(name: "@l", kind: .lhist(min: -20, max: 0, step: 10), entries: [
            MapEntry(keys: [.string("x")], value: .histogram([0, 1, 0, 0])),
        ])
        let text = page(map, negative, .openMetrics)
        XCTAssertTrue(text.contains("swtrace_l_bucket{key0=\"x\",le=\"-11\"} 1\n"), text)
        XCTAssertFalse(text.contains("swtrace_l_sum"), text)
        XCTAssertTrue(page(map, negative).contains("swtrace_l_sum{key0=\"x\"} -15.5\n"))
    }

    func testNamesAreSanitisedAndCountersKeepOneTotalSuffix() {
        XCTAssertEqual(MetricNames.sanitise("9lives-x", allowColon: false), "_9lives_x")
        XCTAssertEqual(MetricNames.labels(keyNames: ["__x", "a", "a", nil], count: 4, reserved: []), ["key_x", "a", "key2", "key3"])
        let map = MetricsMap(name: "bytes_total", aggregation: "sum()", keyCount: 0, line: 1)
        let text = page(map, MapSnapshot(name: "@bytes_total", kind: .sum, entries: [MapEntry(keys: [], value: .scalar(.unsigned(5)))]))
        XCTAssertTrue(text.hasSuffix("swtrace_bytes_total 5\n"), text)
    }

    func testFamilyNamesStayUnique() {
        let encoder = MetricsEncoder(script: "s", maps: [MetricsMap(name: "", aggregation: "count()", keyCount: 0, line: 1),
                                                         MetricsMap(name: "map", aggregation: "count()", keyCount: 0, line: 2)])
        XCTAssertEqual(encoder.families, ["swtrace_map", "swtrace_map_1"])
    }

    func testHelpEscaping() {
        XCTAssertEqual(MetricNames.escapeHelp("a\\b\n\"c\"", format: .prometheusText), "a\\\\b\\n\"c\"")
        XCTAssertEqual(MetricNames.escapeHelp("\"c\"", format: .openMetrics), "\\\"c\\\"")
    }
}

/// Numbers and label values written byte by byte.
final class PageWriterTests: XCTestCase {
    func testIntegersAtTheEdges() {
        var w = PageWriter(capacity: 0)
        for v: UInt64 in [0, 7, 10, 4242, UInt64.max] { w.write(v); w.byte(0x20) }
        for v: Int64 in [-1, Int64.min, Int64.max] { w.write(v); w.byte(0x20) }
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self),
                       "0 7 10 4242 18446744073709551615 -1 -9223372036854775808 9223372036854775807 ")
    }

    func testLabelValuesAreEscaped() {
        let block = PageWriter.labels(["a", "b", "t"], [.string("x\"y\\z\nw é"), .signed(-2), .tuple([.unsigned(1), .string("s")])])
        XCTAssertEqual(String(decoding: block, as: UTF8.self), #"a="x\"y\\z\nw é",b="-2",t="(1, s)""#)
    }
}
