import XCTest
@testable import TraceRuntime

/// The maps behind each script in make-golden.sh, built by hand with the values the script
/// stores, so the printers' output can be compared with what bpftrace 0.17 printed for them.
/// Entries are listed out of order on purpose: the printers must sort them as bpftrace does.
enum GoldenMaps {
    /// What bpftrace 0.17 prints first on stdout in text mode (swtrace reports on stderr).
    static let attachingOneProbe = "Attaching 1 probe...\n"

    static func entry(_ keys: [PrintableValue], _ value: MapEntryValue) -> MapEntry {
        MapEntry(keys: keys, value: value)
    }

    static func scalar(_ v: Int64) -> MapEntryValue { .scalar(.signed(v)) }
    static func unsigned(_ v: UInt64) -> MapEntryValue { .scalar(.unsigned(v)) }
    static func string(_ s: String) -> MapEntryValue { .scalar(.string(s)) }

    /// The 66 `hist` buckets for these values, bucketed as bpftrace 0.17's BPF code does it:
    /// every value from 2^31 up lands in [2G, 4G).
    static func hist(_ values: [Int64]) -> MapEntryValue {
        var buckets = [UInt64](repeating: 0, count: 66)
        for v in values {
            let i: Int
            if v < 0 { i = 0 } else if v == 0 { i = 1 } else {
                i = min(2 + (63 - v.leadingZeroBitCount), 33)
            }
            buckets[i] += 1
        }
        return .histogram(buckets)
    }

    /// The `lhist(v, lo, hi, step)` buckets for these values.
    static func lhist(_ values: [Int64], _ lo: Int64, _ hi: Int64, _ step: Int64) -> MapEntryValue {
        let inRange = Int((hi - lo) / step)
        var buckets = [UInt64](repeating: 0, count: inRange + 2)
        for v in values {
            let i = v < lo ? 0 : (v >= hi ? inRange + 1 : min(1 + Int((v - lo) / step), inRange + 1))
            buckets[i] += 1
        }
        return .histogram(buckets)
    }

    static func map(_ name: String, _ kind: MapKind, _ entries: [MapEntry]) -> MapSnapshot {
        MapSnapshot(name: name, kind: kind, entries: entries)
    }

    /// Script `kinds`.
    static let kinds: [MapSnapshot] = [
        map("@v", .avg, [entry([], .average(count: 2, total: 11))]),
        map("@a", .count, [entry([], unsigned(2))]),
        map("@h", .hist, [entry([], hist([5, -1, 0, 1, 1, Int64(1) << 40]))]),
        kindsKeyedHist,
        kindsKeyedStats,
        map("@l", .lhist(min: 0, max: 100, step: 10), [entry([], lhist([17, -3, 100, 250], 0, 100, 10))]),
        kindsMultiKey,
        map("@mn", .min, [entry([], scalar(-3))]),
        map("@mx", .max, [entry([], scalar(9))]),
        map("@s", .stats, [entry([], .stats(count: 2, total: 10))]),
        kindsLongKey,
        map("@sum", .sum, [entry([], scalar(-5))]),
        map("@tup", .plain, [entry([], .scalar(.tuple([.signed(1), .string("abc"), .signed(-2)])))]),
    ]
    static let kindsKeyedHist = map("@kh", .hist, [
        entry([.string("c")], hist([1_000_000, 1_000_000])),
        entry([.string("a,b")], hist([3])),
    ])
    static let kindsKeyedStats = map("@ks", .stats, [
        entry([.signed(7)], .stats(count: 1, total: 10)),
        entry([.signed(-7)], .stats(count: 1, total: -10)),
    ])
    static let kindsMultiKey = map("@m", .plain, [
        entry([.signed(1), .string("abc")], scalar(3)),
        entry([.signed(2), .string("x\"y")], scalar(1)),
    ])
    static let kindsLongKey = map("@str", .plain, [
        entry([.string("bpftrace"), .string("a string key longer than 16 bytes")], string("value \"quoted\"")),
    ])

    /// Script `sorting`.
    static let sorting: [MapSnapshot] = [
        sortCount, sortInt, sortSum, sortMin, sortMax, sortBig, sortStats, sortStringHist,
        sortMultiKeyLhist, sortStringValues, sortTupleValues, sortAvg30, sortHist20,
    ]
    static let sortCount = map("@cnt", .count, [
        entry([.signed(3)], unsigned(1)), entry([.signed(-1)], unsigned(3)), entry([.signed(256)], unsigned(2)),
    ])
    static let sortInt = map("@int", .plain, [
        entry([.signed(5)], scalar(10)), entry([.signed(-2)], scalar(-4)),
        entry([.signed(3)], scalar(7)), entry([.signed(256)], scalar(0)),
    ])
    static let sortSum = map("@sum", .sum, [
        entry([.string("x")], scalar(-5)), entry([.string("y")], scalar(3)), entry([.string("z")], scalar(-2)),
    ])
    static let sortMin = map("@min", .min, [
        entry([.signed(1)], scalar(-5)), entry([.signed(2)], scalar(3)), entry([.signed(3)], scalar(-7)),
    ])
    static let sortMax = map("@max", .max, [
        entry([.signed(1)], scalar(30)), entry([.signed(2)], scalar(3)), entry([.signed(3)], scalar(17)),
    ])
    static let sortBig = map("@big", .plain, [entry([.signed(1)], unsigned(.max)), entry([.signed(2)], unsigned(3))])
    /// Listed backwards: the tie order comes from the key bytes, not from the snapshot.
    static let sortStats = map("@st", .stats, [
        entry([.signed(3)], .stats(count: 1, total: 1)), entry([.signed(-1)], .stats(count: 1, total: 5)),
        entry([.signed(2)], .stats(count: 1, total: 5)), entry([.signed(1)], .stats(count: 1, total: 5)),
        entry([.signed(256)], .stats(count: 1, total: 5)),
    ])
    static let sortStringHist = map("@hs", .hist, [
        entry([.string("ab")], hist([5])), entry([.string("b")], hist([5])), entry([.string("a")], hist([5])),
        entry([.string("abc")], hist([5])), entry([.string("")], hist([5])), entry([.string("z")], hist([1, 1])),
    ])
    static let sortMultiKeyLhist = map("@ls", .lhist(min: 0, max: 10, step: 1), [
        entry([.signed(2), .string("b")], lhist([3], 0, 10, 1)),
        entry([.signed(1), .string("b")], lhist([3], 0, 10, 1)),
        entry([.signed(1), .string("a")], lhist([4], 0, 10, 1)),
    ])
    static let sortStringValues = map("@strv", .plain, [
        entry([.signed(-1), .string("b")], string("x")), entry([.signed(2), .string("a")], string("y")),
        entry([.signed(2), .string("A")], string("z")), entry([.signed(1), .string("zz")], string("w")),
        entry([.signed(256), .string("a")], string("q")), entry([.signed(1), .string("z")], string("v")),
        entry([.signed(2), .string("aa")], string("s")),
    ])
    static let sortTupleValues = map("@tupv", .plain, [
        entry([.signed(3)], .scalar(.tuple([.signed(1), .string("a")]))),
        entry([.signed(-2)], .scalar(.tuple([.signed(2), .string("b")]))),
        entry([.signed(1)], .scalar(.tuple([.signed(-3), .string("c")]))),
    ])
    /// `@avg30[i] = avg((i * 7) % 4)`, listed backwards.
    static let sortAvg30: MapSnapshot = {
        var entries: [MapEntry] = []
        for i in stride(from: 30, through: 1, by: -1) {
            let average = Int64((i * 7) % 4)
            entries.append(entry([.signed(Int64(i))], .average(count: 1, total: average)))
        }
        return map("@avg30", .avg, entries)
    }()
    /// `@hist20[i] = hist(i)`, and `hist(0)` too when i is a multiple of 3.
    static let sortHist20: MapSnapshot = {
        var entries: [MapEntry] = []
        for i in 1...20 {
            let values: [Int64] = i % 3 == 0 ? [Int64(i), 0] : [Int64(i)]
            entries.append(entry([.signed(Int64(i))], hist(values)))
        }
        return map("@hist20", .hist, entries)
    }()

    /// Script `empty`.
    static let empty: [MapSnapshot] = [
        map("@c", .count, []),
        map("@h", .hist, []),
        map("@l", .lhist(min: 0, max: 10, step: 1), []),
        map("@s", .stats, []),
        map("@v", .avg, []),
        map("@z", .plain, []),
        map("@t", .plain, []),
        map("@zs", .stats, [entry([], .stats(count: 0, total: 0))]),
        map("@zh", .hist, [entry([.signed(1)], .histogram([UInt64](repeating: 0, count: 66)))]),
        map("@zl", .lhist(min: 0, max: 10, step: 1), [entry([], .histogram([UInt64](repeating: 0, count: 12)))]),
        map("@zv", .avg, [entry([.signed(1)], .average(count: 0, total: 0))]),
        map("@zc", .count, [entry([.signed(1)], unsigned(0))]),
        map("@after", .plain, [entry([], scalar(1))]),
    ]

    /// Script `topdiv`, before its `clear`s.
    enum TopDiv {
        static let c = map("@c", .plain, [
            entry([.signed(3)], scalar(37)), entry([.signed(1)], scalar(10)),
            entry([.signed(4)], scalar(41)), entry([.signed(2)], scalar(25)),
        ])
        static let h = map("@h", .hist, [
            entry([.signed(3)], hist([Int64](repeating: 5, count: 12))),
            entry([.signed(1)], hist([3])),
            entry([.signed(2)], hist([3, 100])),
        ])
        static let l = map("@l", .lhist(min: 0, max: 10, step: 1), [
            entry([.signed(1)], lhist([5, 5, 5, 5], 0, 10, 1)),
            entry([.signed(2)], lhist([3, 3, 3], 0, 10, 1)),
            entry([.signed(3)], lhist([1], 0, 10, 1)),
        ])
        static let s = map("@s", .stats, [
            entry([.signed(2)], .stats(count: 1, total: 200)), entry([.signed(1)], .stats(count: 1, total: 100)),
            entry([.signed(3)], .stats(count: 1, total: 300)),
        ])
        static let v = map("@v", .avg, [
            entry([.signed(2)], .average(count: 1, total: 200)), entry([.signed(1)], .average(count: 1, total: 100)),
            entry([.signed(3)], .average(count: 1, total: 300)),
        ])
        static let t = map("@t", .plain, [
            entry([.signed(3)], string("c")), entry([.signed(1)], string("a")), entry([.signed(2)], string("b")),
        ])
        static let sm = map("@sm", .sum, [entry([.signed(2)], scalar(7)), entry([.signed(1)], scalar(-25))])
        static let tu = map("@tu", .plain, [
            entry([.signed(1)], .scalar(.tuple([.signed(-25), .string("x"), .signed(7)]))),
        ])
        static let h2 = map("@h2", .hist, [entry([], hist([7]))])

        /// The maps at exit: all cleared but `@h2`.
        static let atExit: [MapSnapshot] = [c, h, l, s, v, t, sm, tu].map { map($0.name, $0.kind, []) } + [h2]
    }

    /// Script `names`.
    static let names: [MapSnapshot] = [
        ("@zz", 1), ("@b", 2), ("@A", 3), ("@", 4), ("@a_1", 5), ("@a", 6), ("@_x", 7),
    ].map { map($0.0, .plain, [entry([], scalar($0.1))]) }

    /// Script `huge`.
    static let huge: [MapSnapshot] = [
        map("@h", .hist, [entry([], hist([1 << 40, 1 << 42, 1 << 20, 1 << 33, 1023, 1024]))]),
        map("@l", .lhist(min: 10, max: 3082, step: 1024), [entry([], lhist([5, 2058, 5000], 10, 3082, 1024))]),
        map("@l2", .lhist(min: 0, max: 3_145_728, step: 1_048_576), [entry([], lhist([1_048_576, 0], 0, 3_145_728, 1_048_576))]),
        map("@l4", .lhist(min: 1024, max: 4096, step: 1024), [entry([], lhist([1024, 4096], 1024, 4096, 1024))]),
        map("@l5", .lhist(min: 0, max: 7, step: 3), [entry([], lhist([10, 6], 0, 7, 3))]),
        map("@u", .plain, [entry([], unsigned(.max))]),
        map("@n", .plain, [entry([], scalar(-9_223_372_036_854_775_807))]),
        map("@s", .stats, [entry([], .stats(count: 2, total: 999_999_999_997))]),
    ]

    /// Script `values`: the maps at exit.
    static let valuesMaps: [MapSnapshot] = [map("@m", .plain, [entry([.string("é\t")], scalar(1))])]
}

/// Byte equality, with the first differing line in the failure message.
func assertSameOutput(_ actual: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
    guard actual != expected else { return }
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    var i = 0
    while i < a.count, i < e.count, a[i] == e[i] { i += 1 }
    XCTFail("""
        output differs at line \(i + 1):
          got:      \(i < a.count ? String(reflecting: String(a[i])) : "<end>")
          expected: \(i < e.count ? String(reflecting: String(e[i])) : "<end>")
        """, file: file, line: line)
}

/// Text output of maps against bpftrace 0.17 (GoldenOutputs), plus the rules the goldens
/// cannot pin down (ties of value-sorted maps, labels bpftrace never reaches).
final class MapPrinterTests: XCTestCase {
    private let text = TextOutputFormat()

    private func atExit(_ maps: [MapSnapshot]) -> String {
        GoldenMaps.attachingOneProbe + text.exitPreamble + text.mapsAtExit(maps)
    }

    // MARK: - Against bpftrace

    func testEveryKindAtExit() {
        assertSameOutput(atExit(GoldenMaps.kinds), GoldenOutputs.kindsText)
    }

    func testSortOrders() {
        assertSameOutput(atExit(GoldenMaps.sorting), GoldenOutputs.sortingText)
    }

    func testEmptyAndZeroedMaps() {
        assertSameOutput(atExit(GoldenMaps.empty), GoldenOutputs.emptyText)
    }

    func testMapNamesOrderAtExit() {
        assertSameOutput(atExit(GoldenMaps.names), GoldenOutputs.namesText)
    }

    func testHugeValuesAndLabels() {
        assertSameOutput(atExit(GoldenMaps.huge), GoldenOutputs.hugeText)
    }

    func testPrintWithTopAndDiv() {
        typealias T = GoldenMaps.TopDiv
        var out = GoldenMaps.attachingOneProbe
        out += text.map(T.c, top: 2, divisor: 10)
        out += text.map(T.h, top: 2, divisor: 2)
        out += text.map(T.l, top: 2, divisor: 2)
        out += text.map(T.s, top: 2, divisor: 10)
        out += text.map(T.v, top: 2, divisor: 10)
        out += text.map(T.t, top: 2, divisor: 10)
        out += text.map(T.c, top: 0, divisor: 3)
        out += text.map(T.c, top: 10, divisor: nil)
        out += text.map(T.sm, top: 0, divisor: 10)
        out += text.map(T.tu, top: 0, divisor: 10)
        out += text.map(T.c, top: nil, divisor: nil)
        out += text.printf("--\n")
        out += text.map(T.h2, top: nil, divisor: nil)
        out += text.map(GoldenMaps.map("@s", .stats, []), top: nil, divisor: nil)
        out += text.exitPreamble + text.mapsAtExit(T.atExit)
        assertSameOutput(out, GoldenOutputs.topDivText)
    }

    func testValuesAndMessages() {
        var out = Array(GoldenMaps.attachingOneProbe.utf8)
        for v: PrintableValue in [
            .signed(1), .signed(-5), .string("abc\"\\"),
            .tuple([.signed(1), .string("a"), .tuple([.signed(2), .string("b")])]),
            .string("bpftrace"), .unsigned(.max),
        ] {
            out += text.value(v).utf8
        }
        out += text.printf(Array("a\tb\u{1}\"\\ q\n".utf8))
        out += text.printf([0xC3, 0xA9, 0x7F, 0x1F, 0x0B, 0x08, 0x0C, 0x0D] + Array("|\n".utf8))
        out += text.time(Array("never\n".utf8))
        out += text.cat(Array("line1\nline2".utf8))
        out += text.printf(Array("|\n".utf8))
        out += text.system(Array("sys\n".utf8))
        out += (text.exitPreamble + text.mapsAtExit(GoldenMaps.valuesMaps)).utf8
        assertSameOutput(String(decoding: out, as: UTF8.self), GoldenOutputs.valuesText)
    }

    // MARK: - Rules the goldens cannot show

    /// bpftrace sorts value-sorted maps with std::sort over the kernel's (random) hash order;
    /// up to 16 entries that is an insertion sort, so ties keep the order they came in.
    func testTiedValuesKeepSnapshotOrder() {
        let keys: [Int64] = [4, 1, 3, 5, 2]
        let m = GoldenMaps.map("@a", .count, keys.map { GoldenMaps.entry([.signed($0)], GoldenMaps.unsigned(5)) }
            + [GoldenMaps.entry([.signed(6)], GoldenMaps.unsigned(1))])
        XCTAssertEqual(MapPrinter.text(m), "@a[6]: 1\n@a[4]: 5\n@a[1]: 5\n@a[3]: 5\n@a[5]: 5\n@a[2]: 5\n")
    }

    /// Past 16 entries ties move as libstdc++'s introsort moves them; the `@avg30` and
    /// `@hist20` goldens check that against bpftrace. This checks that it sorts at all sizes
    /// and that up to 16 elements it is stable.
    func testLibstdcxxSortIsASortAndMatchesInsertionSortForSmallInputs() {
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 2, 15, 16, 17, 40, 300, 5000] {
            var values = (0..<n).map { _ in Int.random(in: 0..<8, using: &rng) }
            let sorted = values.sorted()
            LibstdcxxSort.sort(&values, by: <)
            XCTAssertEqual(values, sorted, "n = \(n)")
        }
        // Up to 16 elements std::sort is an insertion sort: stable.
        var pairs = [(1, "a"), (0, "b"), (1, "c"), (0, "d"), (1, "e")]
        LibstdcxxSort.sort(&pairs) { $0.0 < $1.0 }
        XCTAssertEqual(pairs.map(\.1), ["b", "d", "a", "c", "e"])
    }

    /// Adversarial input that exhausts the depth limit takes the heapsort path; it must still sort.
    func testLibstdcxxSortHeapsortPath() {
        var values = Array((0..<2000).reversed()) + Array(0..<2000)
        LibstdcxxSort.sort(&values, by: <)
        XCTAssertEqual(values, values.sorted())
    }

    func testTerabyteLabelsBeyondWhatBpftraceBuckets() {
        var buckets = [UInt64](repeating: 0, count: 66)
        buckets[42] = 1 // [2^40, 2^41)
        buckets[65] = 2 // [2^63, 2^64)
        let m = GoldenMaps.map("@h", .hist, [GoldenMaps.entry([], .histogram(buckets))])
        let lines = MapPrinter.text(m).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[1], "[1T, 2T)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |")
        XCTAssertEqual(lines.last, "[8388608T, 16777216T)       2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|")
        XCTAssertEqual(HistogramPrinter.powerLabel(9), "512")
        XCTAssertEqual(HistogramPrinter.powerLabel(10), "1K")
        XCTAssertEqual(HistogramPrinter.powerLabel(39), "512G")
    }

    func testBarWidthIsSinglePrecisionTruncation() {
        let m = GoldenMaps.map("@h", .hist, [GoldenMaps.entry([], GoldenMaps.hist([1, 2, 2, 2]))])
        // 1/3 * 52 = 17.33: 17 '@'.
        XCTAssertEqual(MapPrinter.text(m), "@h: \n"
            + "[1]                    1 |@@@@@@@@@@@@@@@@@                                   |\n"
            + "[2, 4)                 3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n")
    }

    func testDivisorZeroMeansOne() {
        XCTAssertEqual(MapPrinter.text(GoldenMaps.TopDiv.sm, divisor: 0), "@sm[1]: -25\n@sm[2]: 7\n")
        XCTAssertEqual(MapPrinter.text(GoldenMaps.TopDiv.sm, divisor: .max), "@sm[1]: 0\n@sm[2]: 0\n")
    }

    func testStatsIgnoreTopAndDivAvgDoesNot() {
        let s = MapPrinter.text(GoldenMaps.TopDiv.s, top: 1, divisor: 100)
        XCTAssertEqual(s.split(separator: "\n").count, 3)
        XCTAssertEqual(MapPrinter.text(GoldenMaps.TopDiv.v, top: 1, divisor: 100), "@v[3]: 3\n\n")
    }

    /// Shapes the reader does not produce and counts past 2^31 print without trapping.
    func testOddInputsDoNotTrap() {
        let odd = [
            GoldenMaps.map("@h", .hist, [GoldenMaps.entry([], GoldenMaps.scalar(3))]),
            GoldenMaps.map("@l", .lhist(min: 0, max: 10, step: 0), [GoldenMaps.entry([], .histogram([1, 2, 3]))]),
            GoldenMaps.map("@c", .count, [GoldenMaps.entry([], .histogram([1]))]),
            GoldenMaps.map("@s", .stats, [GoldenMaps.entry([], .stats(count: .max, total: .min))]),
            GoldenMaps.map("@v", .avg, [GoldenMaps.entry([], .average(count: .max, total: .min))]),
            GoldenMaps.map("@x", .hist, [GoldenMaps.entry([], .histogram([UInt64](repeating: 1 << 31 | 5, count: 66)))]),
            GoldenMaps.map("@y", .lhist(min: 0, max: 1 << 40, step: 1), [GoldenMaps.entry([], .histogram([0, .max, 1 << 32]))]),
            GoldenMaps.map("@m", .plain, [
                GoldenMaps.entry([.signed(1)], GoldenMaps.scalar(1)),
                GoldenMaps.entry([.string("a"), .signed(2)], GoldenMaps.string("x")),
            ]),
        ]
        for m in odd {
            _ = MapPrinter.text(m, top: -3, divisor: 7)
            _ = MapPrinter.json(m, top: 1, divisor: 0)
        }
        // Counts whose low 32 bits are 0 look empty to bpftrace (it reads them as a C int).
        var buckets = [UInt64](repeating: 0, count: 66)
        buckets[3] = 1 << 32
        XCTAssertEqual(MapPrinter.text(GoldenMaps.map("@h", .hist, [GoldenMaps.entry([], .histogram(buckets))])), "@h: \n\n")
    }

    func testLostEventsAndAttachedProbesInText() {
        XCTAssertEqual(text.lostEvents(1), "Lost 1 events\n")
        XCTAssertEqual(text.lostEvents(4840), "Lost 4840 events\n")
        XCTAssertEqual(text.attachedProbes(3), "Attaching 3 probes...\n")
        XCTAssertEqual(text.attachedProbes(1), "Attaching 1 probe...\n")
        XCTAssertEqual(text.join("mkdir,\"-p"), "mkdir,\"-p\n")
    }
}
