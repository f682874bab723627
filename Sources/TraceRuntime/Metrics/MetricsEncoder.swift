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
    func encode(_ snapshots: [MapSnapshot], format: MetricsFormat) -> String {
        var out = ""
        out.reserveCapacity(4096 + snapshots.reduce(0) { $0 + $1.entries.count * 64 })
        for (i, (map, snapshot)) in zip(maps, snapshots).enumerated() {
            family(map, snapshot, index: i, format: format, into: &out)
        }
        if format == .openMetrics { out += "# EOF\n" }
        return out
    }

    private func family(_ map: MetricsMap, _ snapshot: MapSnapshot, index: Int, format: MetricsFormat,
                        into out: inout String) {
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
            for e in entries { sample(name + "_total", labels, e.keys, scalar(e.value), into: &out) }
        case .min, .max, .avg, .plain:
            if map.valueIsText { help += "; the value is the label 'value'" }
            header(base, help: help, type: "gauge", format: format, into: &out)
            let labels = MetricNames.labels(keyNames: map.keyNames, count: map.keyCount,
                                            reserved: map.valueIsText ? ["value"] : [])
            for e in entries {
                switch e.value {
                case .scalar(.string(let s)):
                    sample(base, labels + ["value"], e.keys + [.string(s)], "1", into: &out)
                case .scalar(.tuple): continue
                default: sample(base, labels, e.keys, scalar(e.value), into: &out)
                }
            }
        case .stats:
            header(base, help: help, type: "summary", format: format, into: &out)
            let labels = MetricNames.labels(keyNames: map.keyNames, count: map.keyCount, reserved: ["quantile"])
            for e in entries {
                guard case .stats(let count, let total) = e.value else { continue }
                sample(base + "_count", labels, e.keys, String(count), into: &out)
                sample(base + "_sum", labels, e.keys, String(total), into: &out)
            }
        case .hist, .lhist:
            help += "; _sum is estimated from the bucket bounds"
            header(base, help: help, type: "histogram", format: format, into: &out)
            histogram(base, map, snapshot.kind, entries, index: index, format: format, into: &out)
        }
    }

    private func histogram(_ base: String, _ map: MetricsMap, _ kind: MapKind, _ entries: [MapEntry], index: Int,
                           format: MetricsFormat, into out: inout String) {
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
        let boundText = bounds.map { $0.le }
        for e in entries {
            guard case .histogram(let buckets) = e.value else { continue }
            var cumulative: UInt64 = 0
            var next = 0
            for (i, bound) in bounds.enumerated() {
                while next <= bound.lastBucket, next < buckets.count { cumulative &+= buckets[next]; next += 1 }
                sample(base + "_bucket", labels + ["le"], e.keys, String(cumulative), extra: boundText[i], into: &out)
            }
            let count = buckets.reduce(0, &+)
            sample(base + "_bucket", labels + ["le"], e.keys, String(count), extra: "+Inf", into: &out)
            let sum = layout.estimatedSum(buckets)
            // OpenMetrics: a histogram with negative thresholds or observations has no _sum.
            if format == .prometheusText || (sum >= 0 && !layout.hasNegativeBounds) {
                sample(base + "_sum", labels, e.keys, Self.number(sum), into: &out)
            }
            sample(base + "_count", labels, e.keys, String(count), into: &out)
        }
    }

    private func header(_ name: String, help: String, type: String, format: MetricsFormat, into out: inout String) {
        out += "# HELP \(name) \(MetricNames.escapeHelp(help, format: format))\n# TYPE \(name) \(type)\n"
    }

    /// `name{label="value",…} number`; `extra` is the last label's value, given as text (`le`).
    private func sample(_ name: String, _ labels: [String], _ keys: [PrintableValue], _ value: String,
                        extra: String? = nil, into out: inout String) {
        out += name
        if !labels.isEmpty {
            out += "{"
            for (i, label) in labels.enumerated() {
                if i > 0 { out += "," }
                out += label
                out += "=\""
                if i < keys.count { out += MetricNames.escapeLabelValue(Self.text(keys[i])) } else { out += extra ?? "" }
                out += "\""
            }
            out += "}"
        }
        out += " "
        out += value
        out += "\n"
    }

    private func scalar(_ v: MapEntryValue) -> String {
        switch v {
        case .scalar(let p): return Self.text(p)
        case .average(let count, let total): return count == 0 ? "NaN" : Self.number(Double(total) / Double(count))
        case .stats(let count, _): return String(count)
        case .histogram(let b): return String(b.reduce(0, &+))
        }
    }

    static func text(_ p: PrintableValue) -> String {
        switch p {
        case .signed(let v): return String(v)
        case .unsigned(let v): return String(v)
        case .string(let s): return s
        case .tuple(let parts): return "(" + parts.map(text).joined(separator: ", ") + ")"
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
