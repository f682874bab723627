import TraceContract

/// Writes map snapshots as one exposition page, Prometheus text 0.0.4 or OpenMetrics 1.0.0.
///
/// count()/sum() are counters (`swtrace_<map>_total`); min/max/avg and integer values are
/// gauges; stats() is a summary without quantiles (`_count`, `_sum`); hist()/lhist() are
/// histograms with cumulative `le` buckets at the buckets' upper bounds, so
/// `histogram_quantile()` works on them. Map keys become labels.
///
/// One encoder serves every scrape of a run: it remembers the highest power-of-two bucket each
/// hist has shown, so a series' bucket set only grows and stays the same across its series.
final class MetricsEncoder {
    let script: String
    let maps: [MetricsMap]
    /// One family name per map, unique: `@` and `@map` would both be `swtrace_map`.
    let families: [String]
    private var highestBucket: [Int: Int] = [:]

    init(script: String, maps: [MetricsMap]) {
        self.script = script
        self.maps = maps
        var seen = Set<String>()
        families = maps.enumerated().map { i, map in
            var name = MetricNames.family(mapName: map.name)
            if seen.contains(name) { name += "_\(i)" }
            seen.insert(name)
            return name
        }
    }

    /// One page: a family per map, in the manifest's order (`snapshots` pairs with `maps`).
    func encode(_ snapshots: [MapSnapshot], format: MetricsFormat) -> [UInt8] {
        var out = PageWriter(capacity: 4096 + snapshots.reduce(0) { $0 + $1.entries.count * 64 })
        for (i, (map, snapshot)) in zip(maps, snapshots).enumerated() {
            family(map, snapshot, index: i, format: format, into: &out)
        }
        if format == .openMetrics { out.write("# EOF\n") }
        return out.bytes
    }

    private func family(_ map: MetricsMap, _ snapshot: MapSnapshot, index: Int, format: MetricsFormat,
                        into out: inout PageWriter) {
        let base = families[index]
        var help = "\(map.aggregation) of \(map.written) (\(script):\(map.line))"
        var entries = snapshot.entries
        // A map without keys is one series; before its first update it reads as zero, so a
        // rate() over it starts at the beginning of the run.
        let keylessZero: MapEntryValue?
        switch snapshot.kind {
        case .count, .sum: keylessZero = .scalar(.unsigned(0))
        case .stats: keylessZero = .stats(count: 0, total: 0)
        case .hist: keylessZero = .histogram([UInt64](repeating: 0, count: 66))
        case .lhist(let lo, let hi, let step):
            keylessZero = .histogram([UInt64](repeating: 0, count: Self.linearBucketCount(lo, hi, step)))
        default: keylessZero = nil
        }
        if entries.isEmpty, map.keyCount == 0, let zero = keylessZero { entries = [MapEntry(keys: [], value: zero)] }

        switch snapshot.kind {
        case .count, .sum:
            let name = base.hasSuffix("_total") ? String(base.dropLast(6)) : base
            header(format == .openMetrics ? name : name + "_total", help: help, type: "counter", format: format, into: &out)
            let labels = MetricNames.labels(keyNames: map.keyNames, count: map.keyCount, reserved: [])
            // One sample per entry, the common case of a big map: written straight into the page.
            let sampleName = Array((name + "_total").utf8)
            let labelBytes = labels.map { Array($0.utf8) }
            for e in entries {
                out.write(sampleName)
                if !labelBytes.isEmpty {
                    out.byte(UInt8(ascii: "{"))
                    out.labels(labelBytes, e.keys)
                    out.byte(UInt8(ascii: "}"))
                }
                out.byte(UInt8(ascii: " "))
                if case .scalar(.signed(let v)) = e.value { out.write(v) } else if case .scalar(.unsigned(let v)) = e.value { out.write(v) }
                out.byte(UInt8(ascii: "\n"))
            }
        case .min, .max, .avg, .plain:
            if map.valueIsText { help += "; the value is the label 'value'" }
            header(base, help: help, type: "gauge", format: format, into: &out)
            let labels = MetricNames.labels(keyNames: map.keyNames, count: map.keyCount,
                                            reserved: map.valueIsText ? ["value"] : [])
            for e in entries {
                switch e.value {
                case .scalar(.string(let s)):
                    sample(base, PageWriter.labels(labels + ["value"], e.keys + [.string(s)]), .scalar(.unsigned(1)), into: &out)
                case .scalar(.tuple): continue
                default: sample(base, PageWriter.labels(labels, e.keys), e.value, into: &out)
                }
            }
        case .stats:
            header(base, help: help, type: "summary", format: format, into: &out)
            let labels = MetricNames.labels(keyNames: map.keyNames, count: map.keyCount, reserved: ["quantile"])
            for e in entries {
                guard case .stats(let count, let total) = e.value else { continue }
                let block = PageWriter.labels(labels, e.keys)
                sample(base + "_count", block, .scalar(.unsigned(count)), into: &out)
                sample(base + "_sum", block, .scalar(.signed(total)), into: &out)
            }
        case .hist, .lhist:
            help += "; _sum is estimated from the bucket bounds"
            header(base, help: help, type: "histogram", format: format, into: &out)
            histogram(base, map, snapshot.kind, entries, index: index, format: format, into: &out)
        }
    }

    private func histogram(_ base: String, _ map: MetricsMap, _ kind: MapKind, _ entries: [MapEntry], index: Int,
                           format: MetricsFormat, into out: inout PageWriter) {
        let labels = MetricNames.labels(keyNames: map.keyNames, count: map.keyCount, reserved: ["le"])
        let layout: HistogramLayout
        switch kind {
        case .lhist(let lo, let hi, let step):
            layout = .linear(min: lo, max: hi, step: step)
        default:
            var top = highestBucket[index] ?? 1
            for e in entries {
                guard case .histogram(let b) = e.value, let last = b.lastIndex(where: { $0 != 0 }) else { continue }
                top = max(top, last)
            }
            highestBucket[index] = top
            layout = .powerOfTwo(top: top)
        }
        let bounds = layout.bounds
        let bucketName = Array((base + "_bucket{").utf8)
        // `le="15"} ` for each bound, written once per scrape.
        let leTexts = (bounds.map(\.le) + ["+Inf"]).map { Array("le=\"\($0)\"} ".utf8) }
        for e in entries {
            guard case .histogram(let buckets) = e.value else { continue }
            let block = PageWriter.labels(labels, e.keys)
            var cumulative: UInt64 = 0
            var next = 0
            let count = buckets.reduce(0, &+)
            for (i, le) in leTexts.enumerated() {
                if i < bounds.count {
                    while next <= bounds[i].lastBucket, next < buckets.count { cumulative &+= buckets[next]; next += 1 }
                } else {
                    cumulative = count
                }
                out.write(bucketName)
                if !block.isEmpty { out.write(block); out.byte(UInt8(ascii: ",")) }
                out.write(le)
                out.write(cumulative)
                out.byte(UInt8(ascii: "\n"))
            }
            let sum = layout.estimatedSum(buckets)
            // OpenMetrics: a histogram with negative thresholds or observations has no _sum.
            if format == .prometheusText || (sum >= 0 && !layout.hasNegativeBounds) {
                sample(base + "_sum", block, .scalar(.string(Self.number(sum))), into: &out)
            }
            sample(base + "_count", block, .scalar(.unsigned(count)), into: &out)
        }
    }

    private func header(_ name: String, help: String, type: String, format: MetricsFormat, into out: inout PageWriter) {
        out.write("# HELP \(name) \(MetricNames.escapeHelp(help, format: format))\n# TYPE \(name) \(type)\n")
    }

    /// `name{labels} value`.
    private func sample(_ name: String, _ labels: [UInt8], _ value: MapEntryValue, into out: inout PageWriter) {
        out.write(name)
        if !labels.isEmpty {
            out.byte(UInt8(ascii: "{"))
            out.write(labels)
            out.byte(UInt8(ascii: "}"))
        }
        out.byte(UInt8(ascii: " "))
        switch value {
        case .scalar(.unsigned(let v)): out.write(v)
        case .scalar(.signed(let v)): out.write(v)
        case .scalar(.string(let text)): out.write(text)   // a number already formatted
        case .scalar(.tuple), .scalar(.structured): out.write("NaN")
        case .average(let count, let total): out.write(count == 0 ? "NaN" : Self.number(Double(total) / Double(count)))
        case .stats(let count, _): out.write(count)
        case .histogram(let b): out.write(b.reduce(0, &+))
        }
        out.byte(UInt8(ascii: "\n"))
    }

    static func text(_ p: PrintableValue) -> String {
        switch p {
        case .signed(let v): return String(v)
        case .unsigned(let v): return String(v)
        case .string(let s): return s
        case .tuple(let parts): return "(" + parts.map(text).joined(separator: ", ") + ")"
        case .structured(let t, _): return t
        }
    }

    /// A float as both formats read it: integers without a fraction, `NaN`, `+Inf`, `-Inf`.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    static func linearBucketCount(_ lo: Int64, _ hi: Int64, _ step: Int64) -> Int {
        MapDescriptor.bucketCount(.lhist(min: lo, max: hi, step: step))
    }
}
