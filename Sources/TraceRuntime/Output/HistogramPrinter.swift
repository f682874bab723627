import TraceContract
import SystemCatalog
/// The rows of one `hist` or `lhist` value as bpftrace 0.17 prints them, in text and JSON.
///
/// A text row is the bucket label left-aligned in 16 columns, the count right-aligned in 8,
/// ` |`, a bar of `@` left-aligned in 52 columns, and `|`. Only rows from the first to the last
/// non-empty bucket print; a histogram with no counts prints nothing (text) or `[]` (JSON).
enum HistogramPrinter {
    private static let barWidth = 52

    // MARK: - hist

    /// Buckets as `MapEntryValue.histogram` lays them out for `hist`: [0] negatives,
    /// [1] zero, [i ≥ 2] values in [2^(i-2), 2^(i-1)). Printed counts are divided by `divisor`;
    /// bars use the undivided counts.
    static func powerOfTwoText(_ buckets: [UInt64], divisor: UInt64) -> String {
        guard let (first, last, maxValue) = powerOfTwoRange(buckets) else { return "" }
        var out = ""
        for i in first...last {
            let header: String
            switch i {
            case 0: header = "(..., 0)"
            case 1: header = "[0]"
            case 2: header = "[1]"
            default: header = "[" + powerLabel(i - 2) + ", " + powerLabel(i - 1) + ")"
            }
            out += row(header, count: String(buckets[i] / max(divisor, 1)), value: buckets[i], maxValue: maxValue)
        }
        return out
    }

    /// `[{"max": -1, "count": n}, {"min": 0, "max": 0, "count": n}, {"min": 1, "max": 1, …},
    /// {"min": 2, "max": 3, …}, …]`.
    static func powerOfTwoJSON(_ buckets: [UInt64], divisor: UInt64) -> String {
        guard let (first, last, _) = powerOfTwoRange(buckets) else { return "[]" }
        var parts: [String] = []
        for i in first...last {
            let bounds: String
            switch i {
            case 0: bounds = "\"max\": -1, "
            case 1: bounds = "\"min\": 0, \"max\": 0, "
            case 2: bounds = "\"min\": 1, \"max\": 1, "
            default:
                let (lo, hi) = powerBoundsJSON(i - 2)
                bounds = "\"min\": \(lo), \"max\": \(hi), "
            }
            parts.append("{" + bounds + "\"count\": \(buckets[i] / max(divisor, 1))}")
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }

    /// First and last bucket to print and the largest count, as bpftrace's `hist_prepare`
    /// finds them: on counts cast to a C `int`, so only counts whose low 32 bits are a
    /// positive int count as non-empty.
    private static func powerOfTwoRange(_ buckets: [UInt64]) -> (Int, Int, Int32)? {
        var first = -1, last = -1
        var maxValue: Int32 = 0
        for (i, count) in buckets.enumerated() {
            let v = Int32(truncatingIfNeeded: count)
            if v > 0 {
                if first == -1 { first = i }
                last = i
            }
            if v > maxValue { maxValue = v }
        }
        return last == -1 ? nil : (first, last, maxValue)
    }

    /// `2^power` with K, M, G, T for powers of 1024: `512`, `1K`, `64M`, `2G`, `1T`.
    static func powerLabel(_ power: Int) -> String {
        let suffixes: [(Int, String)] = [(40, "T"), (30, "G"), (20, "M"), (10, "K")]
        for (p, suffix) in suffixes where power >= p {
            return String(UInt64(1) << UInt64(min(power - p, 63))) + suffix
        }
        return String(UInt64(1) << UInt64(max(power, 0)))
    }

    /// JSON bounds of the bucket [2^power, 2^(power+1)). bpftrace 0.17 computes them in C `int`,
    /// so the [2G, 4G) bucket — where its BPF code puts every value from 2^31 up — comes out as
    /// `"min": -2147483648, "max": 0`. Higher buckets never occur in bpftrace 0.17; swtrace
    /// writes their true bounds.
    private static func powerBoundsJSON(_ power: Int) -> (String, String) {
        switch power {
        case ..<31:
            return (String(Int64(1) << Int64(power)), String((Int64(1) << Int64(power + 1)) - 1))
        case 31:
            return ("-2147483648", "0")
        case 32..<64:
            return (String(UInt64(1) << UInt64(power)), String((UInt64(1) << UInt64(power)) - 1 + (UInt64(1) << UInt64(power))))
        default:
            return (String(UInt64.max), String(UInt64.max))
        }
    }

    // MARK: - lhist

    /// Buckets as `MapEntryValue.histogram` lays them out for `lhist(v, min, max, step)`:
    /// [0] below min, [1 + (v-min)/step] in range, [(max-min)/step + 1] max and above. Labels use
    /// K and M for multiples of 1024 and 1048576. bpftrace does not divide lhist counts.
    static func linearText(_ buckets: [UInt64], min lo: Int64, max hi: Int64, step: Int64) -> String {
        guard let (first, last, maxValue, inRange) = linearRange(buckets, min: lo, max: hi, step: step) else { return "" }
        var out = ""
        for i in first...last {
            let header: String
            if i == 0 {
                header = "(..., " + linearLabel(lo) + ")"
            } else if i == inRange + 1 {
                header = "[" + linearLabel(hi) + ", ...)"
            } else {
                header = "[" + linearLabel(Int64(i - 1) &* step &+ lo) + ", " + linearLabel(Int64(i) &* step &+ lo) + ")"
            }
            let count = bucket(buckets, i)
            out += row(header, count: String(count), value: count, maxValue: maxValue)
        }
        return out
    }

    /// `[{"max": min-1, "count": n}, {"min": a, "max": b, "count": n}, …, {"min": max, "count": n}]`.
    static func linearJSON(_ buckets: [UInt64], min lo: Int64, max hi: Int64, step: Int64) -> String {
        guard let (first, last, _, inRange) = linearRange(buckets, min: lo, max: hi, step: step) else { return "[]" }
        var parts: [String] = []
        for i in first...last {
            let bounds: String
            if i == 0 {
                bounds = "\"max\": \(lo &- 1), "
            } else if i == inRange + 1 {
                bounds = "\"min\": \(hi), "
            } else {
                bounds = "\"min\": \(Int64(i - 1) &* step &+ lo), \"max\": \(Int64(i) &* step &+ lo &- 1), "
            }
            parts.append("{" + bounds + "\"count\": \(bucket(buckets, i))}")
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }

    /// bpftrace's `lhist_prepare`: nothing prints unless some count is non-zero (as a C `int`,
    /// over every bucket); rows run from the first to the last non-zero bucket among
    /// [0, buckets + 1], where buckets = (max - min) / step.
    private static func linearRange(_ buckets: [UInt64], min lo: Int64, max hi: Int64, step: Int64)
        -> (first: Int, last: Int, maxValue: Int32, inRange: Int)?
    {
        var anyCount = false
        var maxValue: Int32 = 0
        for count in buckets {
            let v = Int32(truncatingIfNeeded: count)
            if v != 0 { anyCount = true }
            if v > maxValue { maxValue = v }
        }
        guard anyCount else { return nil }
        let span = step > 0 ? (hi &- lo) / step : 0
        // Beyond the array bpftrace reads zeros; never more than its 1002 buckets.
        let inRange = Int(clamping: Swift.max(0, Swift.min(span, 1000)))
        var first = -1, last = 0
        for i in 0...(inRange + 1) where bucket(buckets, i) > 0 {
            if first == -1 { first = i }
            last = i
        }
        return (Swift.max(first, 0), last, maxValue, inRange)
    }

    /// `0`, `N M` for multiples of 1048576, `N K` for multiples of 1024, else the number.
    static func linearLabel(_ n: Int64) -> String {
        if n == 0 { return "0" }
        if n % 1_048_576 == 0 { return String(n / 1_048_576) + "M" }
        if n % 1024 == 0 { return String(n / 1024) + "K" }
        return String(n)
    }

    private static func bucket(_ buckets: [UInt64], _ i: Int) -> UInt64 {
        i >= 0 && i < buckets.count ? buckets[i] : 0
    }

    // MARK: - Rows

    /// One text row. The bar is `count / (float)max * 52` truncated, in single precision as
    /// bpftrace computes it (a count of half the maximum draws 26 `@`).
    private static func row(_ header: String, count: String, value: UInt64, maxValue: Int32) -> String {
        let ratio = Float(value) / Float(maxValue) * Float(barWidth)
        // A zero or negative maximum (counts past 2^31) would be undefined in C++; draw nothing.
        let width = ratio.isFinite && ratio > 0 ? Int(Swift.min(ratio, Float(barWidth))) : 0
        let bar = String(repeating: "@", count: width)
        return padRight(header, 16) + padLeft(count, 8) + " |" + padRight(bar, barWidth) + "|\n"
    }

    private static func padRight(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : s + String(repeating: " ", count: width - n)
    }

    private static func padLeft(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : String(repeating: " ", count: width - n) + s
    }
}
