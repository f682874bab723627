import TraceContract
import SystemCatalog
/// Maps as bpftrace 0.17 prints them, at exit and for `print(@m, top, div)`, in text and JSON.
///
/// Sorting follows bpftrace (see `sortedEntries`); `top` keeps the last `top` entries of that
/// order; `div` divides count/sum/min/max/plain integers, avg results and hist counts, and
/// leaves stats and lhist alone, as bpftrace does.
public enum MapPrinter {
    /// Text form: `@name[k1, k2]: value` lines; histograms with their rows; an empty map is a
    /// blank line (two for avg and stats, which end with an extra newline).
    public static func text(_ m: MapSnapshot, top: Int? = nil, divisor: UInt64? = nil) -> String {
        let div = effectiveDivisor(divisor)
        let entries = kept(sortedEntries(m), kind: m.kind, top: top)
        // One buffer for the whole map: maps of 100,000 keys print in milliseconds.
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * (m.name.utf8.count + 24))
        for entry in entries {
            out += m.name.utf8
            if !entry.keys.isEmpty {
                out.append(UInt8(ascii: "["))
                for (i, part) in entry.keys.enumerated() {
                    if i > 0 { out += ", ".utf8 }
                    ValueText.append(part, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
            switch m.kind {
            case .hist, .lhist:
                out += ": \n".utf8
                out += histogramText(entry.value, kind: m.kind, divisor: div).utf8
            case .count, .sum, .min, .max, .avg, .stats, .plain:
                out += ": ".utf8
                if case .scalar(let x) = entry.value, div == 1 {
                    ValueText.append(x, into: &out)
                } else {
                    out += scalarText(entry.value, divisor: div).utf8
                }
            }
            out.append(UInt8(ascii: "\n"))
        }
        if entries.isEmpty { out.append(UInt8(ascii: "\n")) }
        switch m.kind {
        case .avg, .stats: out.append(UInt8(ascii: "\n"))
        case .count, .sum, .min, .max, .hist, .lhist, .plain: break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// JSON form, one line: `{"type": "map"|"hist"|"stats", "data": {"@name": ...}}`. An empty
    /// map prints nothing at all.
    public static func json(_ m: MapSnapshot, top: Int? = nil, divisor: UInt64? = nil) -> String {
        guard !m.entries.isEmpty else { return "" }
        let div = effectiveDivisor(divisor)
        let entries = kept(sortedEntries(m), kind: m.kind, top: top)
        let keyed = entries.contains { !$0.keys.isEmpty }
        let elements = entries.map { entry -> String in
            let value: String
            switch m.kind {
            case .hist, .lhist: value = histogramJSON(entry.value, kind: m.kind, divisor: div)
            case .count, .sum, .min, .max, .avg, .stats, .plain: value = scalarJSON(entry.value, divisor: div)
            }
            guard keyed else { return value }
            // Key parts joined with a bare comma, escaped as one string: "1,abc".
            let key = entry.keys.map(ValueText.text).joined(separator: ",")
            return "\"" + JSONText.escaped(key.utf8) + "\": " + value
        }
        let type: String
        switch m.kind {
        case .hist, .lhist: type = "hist"
        case .avg, .stats: type = "stats"
        case .count, .sum, .min, .max, .plain: type = "map"
        }
        let body = elements.joined(separator: ", ")
        return "{\"type\": \"\(type)\", \"data\": {\"\(JSONText.escaped(m.name.utf8))\": "
            + (keyed ? "{" + body + "}" : body) + "}}\n"
    }

    // MARK: - Values

    private static func scalarText(_ v: MapEntryValue, divisor: UInt64) -> String {
        switch v {
        case .scalar(let x):
            return ValueText.text(ValueText.divided(x, by: divisor))
        case .average:
            return String(ValueText.dividedSigned(average(v), by: divisor))
        case .stats(let count, let total):
            let n = Int64(truncatingIfNeeded: count)
            return "count \(n), average \(average(v)), total \(total)"
        case .histogram(let buckets):
            // Not a shape the reader produces for these kinds; show the counts rather than trap.
            return "[" + buckets.map(String.init).joined(separator: ", ") + "]"
        }
    }

    private static func scalarJSON(_ v: MapEntryValue, divisor: UInt64) -> String {
        switch v {
        case .scalar(let x):
            return ValueText.json(ValueText.divided(x, by: divisor))
        case .average:
            return String(ValueText.dividedSigned(average(v), by: divisor))
        case .stats(let count, let total):
            let n = Int64(truncatingIfNeeded: count)
            return "{\"count\": \(n), \"average\": \(average(v)), \"total\": \(total)}"
        case .histogram(let buckets):
            return "[" + buckets.map(String.init).joined(separator: ",") + "]"
        }
    }

    private static func histogramText(_ v: MapEntryValue, kind: MapKind, divisor: UInt64) -> String {
        guard case .histogram(let buckets) = v else { return scalarText(v, divisor: divisor) + "\n" }
        switch kind {
        case .lhist(let lo, let hi, let step):
            return HistogramPrinter.linearText(buckets, min: lo, max: hi, step: step)
        default:
            return HistogramPrinter.powerOfTwoText(buckets, divisor: divisor)
        }
    }

    private static func histogramJSON(_ v: MapEntryValue, kind: MapKind, divisor: UInt64) -> String {
        guard case .histogram(let buckets) = v else { return scalarJSON(v, divisor: divisor) }
        switch kind {
        case .lhist(let lo, let hi, let step):
            return HistogramPrinter.linearJSON(buckets, min: lo, max: hi, step: step)
        default:
            return HistogramPrinter.powerOfTwoJSON(buckets, divisor: divisor)
        }
    }

    /// bpftrace treats a divisor of 0 as 1.
    private static func effectiveDivisor(_ divisor: UInt64?) -> UInt64 {
        guard let d = divisor, d > 0 else { return 1 }
        return d
    }

    /// `top`: bpftrace skips the first `count - top` entries of the sorted order. stats maps
    /// ignore it (bpftrace only applies it to avg among the two).
    private static func kept(_ entries: [MapEntry], kind: MapKind, top: Int?) -> [MapEntry] {
        if case .stats = kind { return entries }
        guard let top, top > 0, entries.count > top else { return entries }
        return Array(entries.suffix(top))
    }
}
