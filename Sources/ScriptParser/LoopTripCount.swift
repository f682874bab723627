/// How many times a counted loop `while ($v OP BOUND) { … $v += step … }` runs, from a known
/// start, with 64-bit wrapping arithmetic as the BPF registers do it.
enum LoopTripCount: Equatable {
    case exactly(UInt64)
    /// It runs at least this often and then its counter wraps around: the count after that
    /// depends on the wrap, but the verifier has given up long before.
    case atLeast(UInt64)
    /// The condition holds for every value the counter takes.
    case forever

    /// The least number of iterations.
    var lowerBound: UInt64? {
        switch self {
        case .exactly(let n), .atLeast(let n): return n
        case .forever: return nil
        }
    }

    /// `start OP bound` is tested before each iteration; each one adds `step` (wrapping).
    /// Comparisons read both sides signed or unsigned (`signed`), as codegen does.
    static func of(start: UInt64, step: UInt64, _ op: BinaryOp, bound: UInt64, signed: Bool) -> LoopTripCount? {
        guard step != 0 else { return nil }
        // Signed order is unsigned order with the sign bit flipped, and adding a step commutes
        // with the flip, so every case is counted in unsigned order.
        let flip: UInt64 = signed ? 1 << 63 : 0
        let u = start ^ flip, f = bound ^ flip
        switch op {
        case .lt: return below(u, step, f)
        case .le: return f == .max ? .forever : below(u, step, f + 1)
        // `u > f` is `~u < ~f`, and `~u` moves by `-step`.
        case .gt: return below(~u, 0 &- step, ~f)
        case .ge: return ~f == .max ? .forever : below(~u, 0 &- step, ~f + 1)
        case .ne: return untilEqual(u, step, f)
        default: return nil
        }
    }

    /// Iterations while `u < f`, `u` moving by `step` modulo 2^64.
    static func below(_ u: UInt64, _ step: UInt64, _ f: UInt64) -> LoopTripCount {
        guard u < f else { return .exactly(0) }
        if step < 1 << 63 {
            // Rising: it first reaches `f` or more after `k` steps, unless that step wraps.
            let k = (f - u - 1) / step + 1
            let (product, o1) = k.multipliedReportingOverflow(by: step)
            let (_, o2) = u.addingReportingOverflow(product)
            return o1 || o2 ? .atLeast(k) : .exactly(k)
        }
        // Falling: it stays below `f` until it wraps past zero to the top of the range.
        let down = 0 &- step
        let k = u / down + 1
        let wrapped = u &- k &* down
        return wrapped >= f ? .exactly(k) : .atLeast(k)
    }

    /// Iterations while `u != f`: the least `k > 0` with `u + k·step ≡ f (mod 2^64)`, or never.
    static func untilEqual(_ u: UInt64, _ step: UInt64, _ f: UInt64) -> LoopTripCount {
        let gap = f &- u
        guard gap != 0 else { return .exactly(0) }
        let twos = step.trailingZeroBitCount
        guard gap.trailingZeroBitCount >= twos else { return .forever }
        // step = odd · 2^twos: divide the equation by 2^twos and invert the odd part modulo
        // 2^(64 - twos) (Newton's iteration doubles the correct low bits each round).
        let odd = step >> UInt64(twos)
        var inverse: UInt64 = odd
        for _ in 0..<6 { inverse = inverse &* (2 &- odd &* inverse) }
        let k = (gap >> UInt64(twos)) &* inverse
        let mask: UInt64 = twos == 0 ? .max : (UInt64(1) << UInt64(64 - twos)) - 1
        return .exactly(k & mask)
    }
}

extension UInt64 {
    /// `8589934591` → `8,589,934,591`, for messages.
    var groupedDigits: String {
        let digits = Array(String(self))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }
}
