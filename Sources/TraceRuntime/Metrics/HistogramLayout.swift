import TraceContract

/// Where a hist()'s or lhist()'s buckets put their Prometheus `le` bounds.
///
/// Values are integers, so a bucket `[a, b)` holds values `≤ b - 1`: that is its `le`. The
/// buckets below the first bound (hist's negatives, lhist's "below min") are folded into the
/// first bound, which counts everything at or under it: cumulative counts stay exact.
enum HistogramLayout: Equatable {
    /// hist(): [0] negatives, [1] zero, [i ≥ 2] `[2^(i-2), 2^(i-1))`; bounds up to bucket `top`.
    case powerOfTwo(top: Int)
    /// lhist(): [0] below min, [1 + (v - min) / step] in range, [last] max and above.
    case linear(min: Int64, max: Int64, step: Int64)

    struct Bound: Equatable {
        /// The `le` label value.
        var le: String
        /// The highest bucket index this bound's cumulative count includes.
        var lastBucket: Int
        var value: Int64?
    }

    /// The finite bounds in increasing order; `+Inf` follows them and counts every bucket.
    var bounds: [Bound] {
        switch self {
        case .powerOfTwo(let top):
            return (1...Swift.max(1, Swift.min(top, 65))).map { i in
                if i == 1 { return Bound(le: "0", lastBucket: 1, value: 0) }
                let upper: UInt64 = i == 65 ? UInt64.max : (UInt64(1) << UInt64(i - 1)) - 1
                return Bound(le: String(upper), lastBucket: i, value: Int64(exactly: upper))
            }
        case .linear(let lo, let hi, let step):
            let inRange = Swift.max(0, MapDescriptor.bucketCount(.lhist(min: lo, max: hi, step: step)) - 2)
            if inRange == 0 { return [Bound(le: String(lo &- 1), lastBucket: 0, value: lo &- 1)] }
            return (1...inRange).map { i in
                let upper = Swift.min(lo &+ Int64(i) &* step, hi) &- 1
                return Bound(le: String(upper), lastBucket: i, value: upper)
            }
        }
    }

    /// OpenMetrics forbids `_sum` on a histogram with a negative threshold.
    var hasNegativeBounds: Bool { bounds.contains { ($0.value ?? 0) < 0 } }

    /// Sum of the observations, each counted at the middle of its bucket (a bucket below or
    /// above the range at its edge): the kernel keeps counts only.
    func estimatedSum(_ buckets: [UInt64]) -> Double {
        var sum = 0.0
        for (i, count) in buckets.enumerated() where count != 0 {
            sum += Double(count) * representative(i)
        }
        return sum
    }

    private func representative(_ i: Int) -> Double {
        switch self {
        case .powerOfTwo:
            if i == 0 { return -1 }
            if i == 1 { return 0 }
            let lo = Double(sign: .plus, exponent: i - 2, significand: 1)
            return (lo + (2 * lo - 1)) / 2
        case .linear(let lo, let hi, let step):
            let n = MapDescriptor.bucketCount(.lhist(min: lo, max: hi, step: step))
            if i == 0 { return Double(lo) - 1 }
            if i >= n - 1 { return Double(hi) }
            let a = Double(lo) + Double(i - 1) * Double(step)
            let b = Swift.min(Double(lo) + Double(i) * Double(step), Double(hi)) - 1
            return (a + b) / 2
        }
    }
}
