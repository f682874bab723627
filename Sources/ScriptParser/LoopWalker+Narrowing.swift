/// What a branch on a condition tells the verifier about the unknowns the condition reads.
///
/// On each side of `if ($u > 20)` the verifier narrows `$u`'s range. The first pass must know
/// at most what the verifier knows, never less: a range of its own wider than the verifier's
/// could straddle a later test the verifier has already decided (`$u > 42` under `$u > 5` is
/// undecided, under `$u > 50` decided). So a comparison of one unknown with a constant narrows
/// it exactly as the verifier does (to at least the verifier's precision), and anything else
/// the condition reads becomes opaque.
extension LoopWalker {
    mutating func narrow(_ values: [String: LoopValue], by c: Expr, holds: Bool) -> [String: LoopValue] {
        // A test already decided this way tells nothing new (`$i && 2 == 0` never holds).
        switch evaluator.truth(c, values) {
        case .yes where holds, .no where !holds: return values
        default: break
        }
        switch c.kind {
        case .unary(.logicalNot, let a):
            return narrow(values, by: a, holds: !holds)
        // `a && b` holding means both held, each tested in turn; `a || b` failing, both failed.
        case .binary(.logicalAnd, let a, let b) where holds:
            return narrow(narrow(values, by: a, holds: true), by: b, holds: true)
        case .binary(.logicalOr, let a, let b) where !holds:
            return narrow(narrow(values, by: a, holds: false), by: b, holds: false)
        case .binary(let op, let a, let b) where [.lt, .le, .gt, .ge, .eq, .ne].contains(op)
            && !a.type.isString && !b.type.isString:
            if let narrowed = narrowComparison(values, op, a, b, holds: holds) { return narrowed }
            if let (op, x, bound) = evaluator.unshiftedComparison(op, a, b, values),
               let narrowed = narrowComparison(values, op, x, bound, holds: holds) { return narrowed }
            // `$i - 2 == 0` is `$i == 2` to LLVM.
            if op == .eq || op == .ne {
                for (offset, other) in [(a, b), (b, a)] {
                    guard case .binary(let arith, let v, let k) = offset.kind, arith == .add || arith == .sub,
                          Self.register(v) != nil, Self.variablesRead(k).isEmpty, Self.variablesRead(other).isEmpty,
                          case .exact(let x) = evaluator.value(k, values),
                          case .exact(let c) = evaluator.value(other, values) else { continue }
                    let target = Expr(.integer(arith == .add ? c &- x : c &+ x), range: other.range, type: v.type)
                    if let narrowed = narrowComparison(values, op, v, target, holds: holds) { return narrowed }
                }
            }
            if let narrowed = narrowAgainstFreshRead(values, op, a, b, holds: holds) { return narrowed }
            if ![.eq, .ne].contains(op), isUnlinkedCopy(a, comparedWith: b, values) || isUnlinkedCopy(b, comparedWith: a, values) {
                return values
            }
        // `while ($u >> 20)`: LLVM tests the variable itself, `$u >= 1 << 20` unsigned, for a
        // logical or an arithmetic shift alike.
        case .binary(.shr, let a, let k) where a.type.isInteger:
            if Self.register(a) != nil, case .exact(let n) = evaluator.value(k, values), n > 0, n < 64 {
                let bound = Expr(.integer(1 << n), range: c.range, type: .uint64)
                let unsignedRead = Expr(a.kind, range: a.range, type: .uint64)
                if let narrowed = narrowComparison(values, .ge, unsignedRead, bound, holds: holds) { return narrowed }
            }
        // `while ($u - 20)` is `$u != 20`, which LLVM compares directly.
        case .binary(let arith, let v, let k) where (arith == .add || arith == .sub) && v.type.isInteger && Self.register(v) != nil:
            if case .exact(let x) = evaluator.value(k, values), Self.variablesRead(k).isEmpty {
                let target = Expr(.integer(arith == .add ? 0 &- x : x), range: k.range, type: v.type)
                if let narrowed = narrowComparison(values, .ne, v, target, holds: holds) { return narrowed }
            }
        // `$i % 0` is `$i` (BPF's rule, which LLVM then folds).
        case .binary(.mod, let a, let k) where evaluator.value(k, values) == .exact(0):
            return narrow(values, by: a, holds: holds)
        case .variable(let name):
            // `if ($u)`: `$u != 0`.
            let zero = Expr(.integer(0), range: c.range, type: .int64)
            if let narrowed = narrowComparison(values, .ne, Expr(.variable(name), range: c.range, type: c.type), zero, holds: holds) {
                return narrowed
            }
        default:
            break
        }
        if Self.testsLowBits(c) { return values }
        return Self.forgettingUnknowns(values, readBy: c)
    }

    /// `$i % 2 == 0`, `$i & 4`: a test of a remainder or of low bits of a variable. LLVM keeps
    /// it a test of a new value (`$i & 1`, or a multiply for other moduli), never of `$i`'s
    /// range, and the verifier links no copy through `%` or `&`: `$i` keeps its range. (A
    /// mask of high bits is not one: `($i & ~15) == 0` becomes `$i < 16`.)
    static func testsLowBits(_ c: Expr) -> Bool {
        func constant(_ e: Expr) -> UInt64? {
            if case .integer(let k) = e.kind { return k }
            return nil
        }
        // `$i % -2` divides by 2 (codegen divides magnitudes).
        func modulus(_ e: Expr) -> UInt64? {
            if case .unary(.negate, let k) = e.kind, let m = constant(k) { return m }
            return constant(e)
        }
        func lowBits(_ e: Expr) -> Bool {
            switch e.kind {
            // `$i % 1` is 0, and `$i % 2 % 2` a remainder of a remainder: no test of `$i` either.
            case .binary(.mod, let v, let k):
                guard register(v) != nil || lowBits(v), let m = modulus(k) else { return false }
                return m >= 1 && m < 1 << 31
            case .binary(.bitAnd, let v, let k), .binary(.bitAnd, let k, let v):
                guard register(v) != nil, let m = constant(k), m != 0, m < 1 << 31 else { return false }
                return m & (m - 1) == 0 || m & (m + 1) == 0
            default:
                return false
            }
        }
        switch c.kind {
        // Ordered too: `$i % 2 < 0` compares the remainder, a register of its own.
        case .binary(let op, let a, let b) where [.eq, .ne, .lt, .le, .gt, .ge].contains(op):
            return (lowBits(a) && modulus(b) != nil) || (lowBits(b) && modulus(a) != nil)
        case .unary(.logicalNot, let a):
            return testsLowBits(a)
        default:
            return lowBits(c)
        }
    }

    /// `$u > @zero`, the other side any 64-bit value read afresh: the verifier narrows `$u` by
    /// that value's range, which only takes off the extreme `>` and `<` exclude (`$u > X`
    /// leaves `$u` above the smallest value). `>=`, `<=`, `==` and `!=` leave it as it was.
    mutating func narrowAgainstFreshRead(_ values: [String: LoopValue], _ op: BinaryOp, _ a: Expr, _ b: Expr,
                                         holds: Bool) -> [String: LoopValue]? {
        var op = holds ? op : (op.negated ?? op)
        let name: String, other: Expr
        if let n = Self.register(a), !Self.variablesRead(b).contains(n) { name = n; other = b }
        else if let n = Self.register(b), !Self.variablesRead(a).contains(n) { name = n; other = a; op = op.mirrored }
        else { return nil }
        guard case .unknown? = values[name], LoopEvaluator.isFreshFullRead(other), Self.variablesRead(other).isEmpty else { return nil }
        let signed = a.type.isSigned && b.type.isSigned
        let smallest: UInt64 = signed ? 1 << 63 : 0, largest: UInt64 = signed ? (1 << 63) - 1 : .max
        let type: SType = signed ? .int64 : .uint64
        let register = Expr(.variable(name), range: a.range, type: type)
        func bound(_ k: UInt64) -> Expr { Expr(.integer(k), range: b.range, type: type) }
        switch op {
        case .gt: return narrowComparison(values, .gt, register, bound(smallest), holds: true)
        case .lt: return narrowComparison(values, .lt, register, bound(largest), holds: true)
        case .ge, .le, .eq, .ne: return values
        default: return nil
        }
    }

    /// `$u - 1` with `$u` any 64-bit value: LLVM keeps the subtraction (it may wrap, so no
    /// comparison of `$u` itself is the same test) as an added negative constant, and the
    /// verifier links a copy to its source only by an added constant up to 2^31 - 1. So an
    /// ordered test of the copy against a constant tells it nothing about `$u`, which keeps
    /// its range. (`$u + 1` is linked, and `$u == 21` is what LLVM makes of `$u - 1 == 20`.)
    mutating func isUnlinkedCopy(_ e: Expr, comparedWith other: Expr, _ values: [String: LoopValue]) -> Bool {
        guard case .binary(.sub, let v, let k) = e.kind, case .variable(let n) = v.kind,
              case .unknown(_, 0, .max)? = values[n], case .exact(let x) = evaluator.value(k, values),
              x != 0, x < 1 << 63, case .exact = evaluator.value(other, values) else { return false }
        return true
    }

    static func forgettingUnknowns(_ values: [String: LoopValue], readBy c: Expr) -> [String: LoopValue] {
        var out = values
        for name in variablesRead(c) {
            if case .unknown = values[name] { out[name] = .opaque }
        }
        return out
    }

    /// The variable whose register a test compares: `$u`, or `(uint64)$u` for a 64-bit `$u`
    /// (the same bits, compared the cast's way).
    static func register(_ e: Expr) -> String? {
        switch e.kind {
        case .variable(let n): return n
        case .cast(_, let inner):
            guard case .variable(let n) = inner.kind, case .integer(64, _) = e.type,
                  case .integer(64, _) = inner.type else { return nil }
            return n
        default: return nil
        }
    }

    /// `$u OP constant` or `constant OP $u` with `$u` unknown; nil for any other shape.
    private mutating func narrowComparison(_ values: [String: LoopValue], _ op: BinaryOp, _ a: Expr, _ b: Expr,
                                           holds: Bool) -> [String: LoopValue]? {
        var op = op
        if !holds { op = op.negated ?? op }
        let signed = a.type.isSigned && b.type.isSigned
        let name: String, constant: UInt64
        if let n = Self.register(a), case .unknown? = values[n], case .exact(let k) = evaluator.value(b, values) {
            name = n; constant = k
        } else if let n = Self.register(b), case .unknown? = values[n], case .exact(let k) = evaluator.value(a, values) {
            name = n; constant = k
            op = op.mirrored
        } else {
            return nil
        }
        guard case .unknown(let origin, var lo, var hi)? = values[name] else { return nil }
        // A range crossing zero is an interval in signed order only.
        if LoopEvaluator.isWide(origin) {
            guard signed else { return nil }
            (lo, hi) = (lo ^ LoopEvaluator.signBit, hi ^ LoopEvaluator.signBit)
        }
        // Signed order is unsigned order with the sign bit flipped.
        let flip: UInt64 = signed ? 1 << 63 : 0
        let bothHalves = lo < 1 << 63 && hi >= 1 << 63
        guard !signed || !bothHalves || (lo == 0 && hi == .max) else { return nil }
        var low = signed && bothHalves ? 0 : lo ^ flip, high = signed && bothHalves ? .max : hi ^ flip
        let k = constant ^ flip
        switch op {
        case .lt: if k == 0 { return nil }; high = min(high, k - 1)
        case .le: high = min(high, k)
        case .gt: if k == .max { return nil }; low = max(low, k + 1)
        case .ge: low = max(low, k)
        case .eq: low = k; high = k
        default:
            if low == k, low < high { low += 1 } else if high == k, low < high { high -= 1 }
        }
        guard low <= high else { return nil }
        var out = values
        if origin == LoopEvaluator.maskedRange || origin == LoopEvaluator.remainder {
            out[name] = .opaque
            return out
        }
        // Back in unsigned order the range must still be one interval.
        let (l, h) = (low ^ flip, high ^ flip)
        if low == 0 && high == .max {
            // Still every value (`!= 12` narrows nothing).
            out[name] = .unknown(origin: origin, low: 0, high: .max)
        } else if l <= h {
            // Narrowed out of crossing zero: one interval again, of the read it came from.
            var o = origin
            if LoopEvaluator.isWide(o) { o = LoopEvaluator.readOrigin(ofWide: o) }
            out[name] = l == h ? .exact(l) : .unknown(origin: o, low: l, high: h)
        } else if origin >= 0 || LoopEvaluator.isWide(origin) {
            // `$i < 10` on a signed read: -2^63...9, kept by its ends in signed order.
            let read = origin >= 0 ? origin : LoopEvaluator.readOrigin(ofWide: origin)
            out[name] = LoopEvaluator.crossing(low, high, read: read)
        } else {
            out[name] = .opaque
        }
        return out
    }
}
