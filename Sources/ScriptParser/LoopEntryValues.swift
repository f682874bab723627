/// What the first pass through a probe knows of a `$variable` when it reaches a loop, in the
/// terms the kernel's verifier uses on that same path (TypeChecker+Loops.swift).
///
/// The verifier tracks more than ranges (known bits, equal registers, helper return ranges,
/// narrowing at every branch), so this model only claims what the verifier cannot know better:
/// an exact constant, or a value read from somewhere the verifier knows nothing about beyond
/// its width. Anything else is `opaque`, and a loop whose fate depends on it is left alone.
enum LoopValue: Hashable {
    /// A constant, as the 64-bit pattern codegen holds.
    case exact(UInt64)
    /// A value freshly read from a map, the context, kernel memory or a helper: any bit pattern
    /// in `low...high` (unsigned). `origin` tells reads apart: two reads of the same value
    /// (one copied into two variables) are related, and the verifier may know they are equal.
    case unknown(origin: Int, low: UInt64, high: UInt64)
    /// Whatever the verifier may know that this model does not.
    case opaque
}

/// Whether a condition holds on the first pass, as the verifier sees it.
enum LoopTruth: Equatable {
    case yes, no
    /// Both ways are possible: the verifier explores both. `origins` are the unknown reads it
    /// depends on (two conditions on the same read are not independent).
    case maybe(Set<Int>)
    /// The verifier may know more: no conclusion.
    case opaque

    /// The verifier certainly explores the path where the condition holds.
    var mayHold: Bool {
        switch self {
        case .yes, .maybe: return true
        case .no, .opaque: return false
        }
    }
}

/// Evaluates typed expressions over the first pass's variables.
struct LoopEvaluator {
    var nextOrigin = 0
    /// The kernel's `nr_cpu_ids`: the verifier knows `bpf_get_smp_processor_id()` is below it,
    /// so `if (cpu > 1000) { exit(); }` is never taken on a smaller machine. Nil: `cpu` is opaque.
    var cpuCount: Int?
    /// Where the probe first reads each tracepoint field (TypeChecker.checkLoops). A read
    /// inside a loop may be hoisted out of it: one value, or a fresh one each time, but either
    /// way one the verifier knows only by its width.
    var firstFieldReads: [String: Int] = [:]

    /// The `$variables` the loops being followed change. LLVM folds arithmetic on a variable
    /// only where it holds a constant; where a loop changes it, it is a phi, and the verifier
    /// does the arithmetic itself. It computes no division or remainder (a `/` or `%` by a
    /// constant that is not a power of two stays a BPF div or mod): measured on 6.18,
    /// `$i = 5; while ($i % 7) { $i++; }` is followed past a million instructions.
    var varying: Set<String> = []

    mutating func fresh(_ low: UInt64, _ high: UInt64) -> LoopValue {
        nextOrigin += 1
        return .unknown(origin: nextOrigin, low: low, high: high)
    }

    /// Whether `e` is read afresh each time and may hold any 64-bit value: whatever else a
    /// comparison with it reads, the comparison can go either way (`$i > @m` fails for
    /// `@m` = the largest value).
    static func isFreshFullRead(_ e: Expr) -> Bool {
        switch e.kind {
        case .map: return e.type == .int64 || e.type == .uint64
        case .builtin(.nsecs): return true
        // Read through a helper into the stack at every evaluation (`args->argv[$i]`).
        case .index, .recordField, .dereference:
            return e.type == .int64 || e.type == .uint64 || e.type.isPointer
        default: return false
        }
    }

    /// A read the verifier knows only by its width: what codegen loads into a 64-bit register.
    mutating func read(of type: SType) -> LoopValue {
        switch type {
        case .integer(let bits, let signed) where bits >= 64 || !signed:
            return fresh(0, bits >= 64 ? .max : (UInt64(1) << UInt64(bits)) - 1)
        case .pointer:
            return fresh(0, .max)
        default:
            // A narrow signed read is sign-extended: negative values sit at the top of the
            // unsigned range, so it is no single interval here.
            return .opaque
        }
    }

    mutating func value(_ e: Expr, _ vars: [String: LoopValue]) -> LoopValue {
        switch e.kind {
        case .integer(let v):
            return .exact(v)
        case .variable(let name):
            return vars[name] ?? .opaque
        case .increment(let target, let up, let prefix, let step):
            // `@n++`: a map value, read afresh each time like any map read.
            if case .map = target.kind { return e.type.isInteger ? fresh(0, .max) : .opaque }
            // Its value, not its effect (the walk applies that): the old value, or the new one.
            guard case .variable(let name) = target.kind, case .exact(let x)? = vars[name] else { return .opaque }
            return .exact(prefix ? (up ? x &+ UInt64(step) : x &- UInt64(step)) : x)
        case .map:
            // A map value is loaded through the pointer a lookup returns: all 64 bits unknown.
            return e.type.isInteger ? fresh(0, .max) : .opaque
        case .builtin(let b):
            switch b {
            case .pid, .tid, .uid, .gid: return fresh(0, UInt64(UInt32.max))
            case .nsecs: return fresh(0, .max)
            case .cpu: return cpuCount.map { fresh(0, UInt64(max(1, $0) - 1)) } ?? .opaque
            default: return .opaque
            }
        case .function(.rand, _):
            return fresh(0, UInt64(UInt32.max))
        // Each read through a helper (probe_read into the stack) is a new unknown. A plain
        // load of an `args` field is not: LLVM merges two loads of one field, and the verifier
        // may have narrowed the first (`/args->count < 100/ { $i = args->count; … }`).
        case .index, .recordField, .dereference:
            return read(of: e.type)
        case .tracepointField(let f) where firstFieldReads[f.name] == e.range.start:
            return read(of: e.type)
        // `args->argv[$i] - 1`: a constant offset from a value the verifier knows nothing of
        // leaves it knowing nothing, from the same read.
        case .pointerOffset(let base, let offset, let size):
            switch (value(base, vars), value(offset, vars)) {
            case (.exact(let p), .exact(let n)): return .exact(p &+ n &* UInt64(size))
            case (.unknown(let o, 0, .max), .exact) where o != Self.derived: return .unknown(origin: o, low: 0, high: .max)
            default: return .opaque
            }
        case .unary(let op, let a):
            switch (op, value(a, vars)) {
            case (.negate, .exact(let x)): return .exact(0 &- x)
            // The negation of any 64-bit value is any 64-bit value, a value of its own.
            case (.negate, .unknown(let o, 0, .max)) where o >= 0: return fresh(0, .max)
            case (.bitNot, .exact(let x)): return .exact(~x)
            case (.logicalNot, _): return truthValue(truth(e, vars))
            default: return .opaque
            }
        case .binary(let op, let a, let b):
            switch op {
            case .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr:
                return truthValue(truth(e, vars))
            default:
                let signed = a.type.isSigned && b.type.isSigned
                let x = value(a, vars), y = value(b, vars)
                if op == .mod || op == .div, case .exact(let k) = y, !LoopWalker.variablesRead(a).isDisjoint(with: varying) {
                    let magnitude = signed && Int64(bitPattern: k) < 0 ? 0 &- k : k
                    // LLVM does fold one it knows the dividend is below (`$i / 20` under
                    // `$i < 20`): taken here from what this pass knows of it.
                    var below = false
                    switch x {
                    case .exact(let v): below = v < magnitude
                    case .unknown(let o, _, let hi) where o >= 0: below = hi < magnitude
                    default: break
                    }
                    if magnitude & (magnitude &- 1) != 0, !below { return fresh(0, .max) }
                }
                guard case .exact(let kx) = x, case .exact(let ky) = y else {
                    // A remainder or a quotient by a divisor not known exactly: the verifier
                    // tracks neither, so it is a value of its own that it knows nothing of
                    // (`if ($u % @n)` goes either way). Zero divided is zero where LLVM
                    // sees the zero as a constant and not where a loop changes it (a phi), so
                    // which one the verifier meets is not known here, unless it is stepped
                    // right there (`$g++ % @n`).
                    if op == .mod || op == .div, case .unknown = y {
                        if case .exact(0) = x, LoopWalker.variablesIncremented(a).isEmpty { return .opaque }
                        return fresh(0, .max)
                    }
                    // A read of any 64-bit value added to, subtracted from or xored with
                    // something not known exactly is any 64-bit value, linked to neither
                    // (`$g++ + @avg10`); so is one multiplied by something never zero.
                    func isFull(_ v: LoopValue) -> Bool {
                        if case .unknown(let o, 0, .max) = v, o >= 0 { return true }
                        return false
                    }
                    func isNonZero(_ v: LoopValue) -> Bool {
                        switch v {
                        case .exact(let k): return k != 0
                        case .unknown(_, let lo, _): return lo > 0
                        case .opaque: return false
                        }
                    }
                    var exactSide = false
                    if case .exact = x { exactSide = true }
                    if case .exact = y { exactSide = true }
                    // (A constant added to one, or taken from one, is a copy the verifier
                    // links to it: kept above in `bounded`.)
                    if [.add, .sub].contains(op), !exactSide, isFull(x) || isFull(y) { return fresh(0, .max) }
                    if op == .sub && isFull(y) || op == .bitXor && (isFull(x) || isFull(y)) { return fresh(0, .max) }
                    if op == .mul, (isFull(x) && isNonZero(y)) || (isFull(y) && isNonZero(x)) { return fresh(0, .max) }
                    // A multiple or left shift of a read by a constant: the verifier's range is
                    // the ends' products when they fit, and any value when one does not
                    // (`$u * 5` under `$u > 20` goes either way).
                    if op == .mul || op == .shl, case .unknown(let o, let lo, let hi) = x, o >= 0, case .exact(let k) = y,
                       k > 0, op == .mul || k < 64 {
                        let factor: UInt64 = op == .mul ? k : 1 << k
                        let (top, overflows) = hi.multipliedReportingOverflow(by: factor)
                        return overflows ? fresh(0, .max) : fresh(lo * factor, top)
                    }
                    // The sum of two different reads is a value of its own: a range when no
                    // end wraps, otherwise any value (the verifier's range is all of them too).
                    if op == .add, case .unknown(let o1, let lo1, let hi1) = x, case .unknown(let o2, let lo2, let hi2) = y,
                       o1 >= 0, o2 >= 0, o1 != o2 {
                        let (top, wraps) = hi1.addingReportingOverflow(hi2)
                        return wraps ? fresh(0, .max) : fresh(lo1 + lo2, top)
                    }
                    return Self.bounded(op, x, y, signed: signed, leftSigned: a.type.isSigned)
                }
                return .exact(Self.apply(op, kx, ky, signed: signed, leftSigned: a.type.isSigned))
            }
        case .ternary(let c, let a, let b):
            switch truth(c, vars) {
            case .yes: return value(a, vars)
            case .no: return value(b, vars)
            default: return .opaque
            }
        case .cast(_, let a):
            guard case .integer(let bits, let signed) = e.type else { return .opaque }
            switch value(a, vars) {
            case .exact(let x): return .exact(Self.fit(x, bits: bits, signed: signed))
            case .unknown(let o, let lo, let hi) where bits >= 64 || hi < (UInt64(1) << UInt64(bits - (signed ? 1 : 0))):
                return .unknown(origin: o, low: lo, high: hi)
            default: return .opaque
            }
        default:
            return .opaque
        }
    }

    /// The origin of a 0-or-1 value computed from a condition that goes both ways: it is
    /// related to what the condition read, so it never makes another condition go both ways
    /// (`($n < 5) == ($n < 5)` always holds), but its range still decides some.
    static let derived = -1

    /// The origin of a fresh read masked with bits that are not all low ones (`pid & 0x100000`):
    /// the verifier's range is exactly 0...mask, so an ordered comparison with a constant is
    /// decided by that range, but it knows which bits can be set (equality is not), and once
    /// narrowed it may know the value outright (`> 1000` leaves only 0x100000).
    static let maskedRange = -2

    /// The origin of a remainder of a read that may be 0 or 1 (`$i % 2`): only whether it is
    /// zero is certain to go both ways.
    static let remainder = -3

    /// The origin of a read narrowed to a range that crosses zero, no single interval in
    /// unsigned order (`$i < 10` on a signed read: -2^63...9). Its low and high are the ends
    /// in signed order with the sign bit flipped (an interval there): it decides signed
    /// comparisons with a constant that its whole range decides, leaves the rest opaque, and
    /// its remainders and low bits go either way when it spans enough values. A count may
    /// start from its ends; it never bounds one.
    /// Its origin is `wideBase - read`, `read` the origin of the read it narrows, so a test of
    /// it that goes both ways is that read's. `wide` matches every such origin in a pattern.
    static let wide = WideOrigins()
    static let wideBase = -100
    static let signBit: UInt64 = 1 << 63

    struct WideOrigins {
        static func ~= (_: WideOrigins, origin: Int) -> Bool { LoopEvaluator.isWide(origin) }
    }
    static func isWide(_ origin: Int) -> Bool { origin <= wideBase }
    static func readOrigin(ofWide origin: Int) -> Int { wideBase - origin }

    /// A range crossing zero, given by its ends in signed order with the sign bit flipped.
    static func crossing(_ low: UInt64, _ high: UInt64, read: Int) -> LoopValue {
        .unknown(origin: wideBase - read, low: low, high: high)
    }

    func truthValue(_ t: LoopTruth) -> LoopValue {
        switch t {
        case .yes: return .exact(1)
        case .no: return .exact(0)
        // Whatever it tests, a test is 0 or 1 (`($g++ < $g++) < 10` holds).
        case .maybe, .opaque: return .unknown(origin: Self.derived, low: 0, high: 1)
        }
    }

    mutating func truth(_ e: Expr, _ vars: [String: LoopValue]) -> LoopTruth {
        switch e.kind {
        case .unary(.logicalNot, let a):
            return Self.negation(truth(a, vars))
        case .binary(.logicalAnd, let a, let b):
            let ta = truth(a, vars)
            if ta == .no { return .no }
            let tb = truth(b, vars)
            if ta == .yes || tb == .no { return tb == .no ? .no : tb }
            if tb == .yes { return ta }
            return Self.independent(ta, tb)
        case .binary(.logicalOr, let a, let b):
            let ta = truth(a, vars)
            if ta == .yes { return .yes }
            let tb = truth(b, vars)
            if ta == .no || tb == .yes { return tb }
            if tb == .no { return ta }
            return Self.independent(ta, tb)
        case .binary(let op, let a, let b) where [.eq, .ne, .lt, .le, .gt, .ge].contains(op):
            if a.type.isString || b.type.isString { return stringComparison(op, a, b) }
            // `$q < $q`: both sides are one value, and LLVM folds the comparison away, so
            // the verifier sees it decided.
            if case .variable(let x) = a.kind, case .variable(let y) = b.kind, x == y {
                return [.le, .ge, .eq].contains(op) ? .yes : .no
            }
            // `(args->argv[$i] == 0) == 0`: a test compared with 0 or 1 is that test or its negation.
            if op == .eq || op == .ne {
                for (test, other) in [(a, b), (b, a)] where Self.isTest(test) {
                    guard case .exact(let k) = value(other, vars), k <= 1 else { continue }
                    let t = truth(test, vars)
                    return (op == .eq) == (k == 1) ? t : Self.negation(t)
                }
            }
            if let (op, x, bound) = unshiftedComparison(op, a, b, vars) {
                return Self.compare(op, value(x, vars), value(bound, vars), signed: x.type.isSigned)
            }
            return Self.compare(op, value(a, vars), value(b, vars), signed: a.type.isSigned && b.type.isSigned)
        // `while ($j - 2)` is `$j != 2` in 64-bit arithmetic. (Where the verifier's range of
        // `$j - 2` wraps round it may see both ways where this says one, never the other way.)
        case .binary(let arith, let a, let k) where (arith == .add || arith == .sub) && a.type.isInteger:
            if case .exact(let x) = value(k, vars) {
                return Self.compare(.ne, value(a, vars), .exact(arith == .add ? 0 &- x : x), signed: false)
            }
            if arith == .add, case .exact(let x) = value(a, vars) {
                return Self.compare(.ne, value(k, vars), .exact(0 &- x), signed: false)
            }
            return truthOfValue(e, vars)
        // `if ($u >> 5)`: LLVM tests the value itself, `$u >= 32` unsigned, for a logical or an
        // arithmetic shift alike, and so does the verifier.
        case .binary(.shr, let a, let k):
            if case .exact(let n) = value(k, vars), n > 0, n < 64 {
                return Self.compare(.ge, value(a, vars), .exact(1 << n), signed: false)
            }
            return truthOfValue(e, vars)
        default:
            return truthOfValue(e, vars)
        }
    }

    mutating func truthOfValue(_ e: Expr, _ vars: [String: LoopValue]) -> LoopTruth {
        switch value(e, vars) {
        case .exact(let x): return x != 0 ? .yes : .no
        case .unknown(let o, let lo, let hi):
            if lo > 0 { return .yes }
            if hi == 0 { return .no }
            return o == Self.derived || Self.isWide(o) ? .opaque : .maybe([o])
        case .opaque: return .opaque
        }
    }

    /// A comparison, `&&`, `||` or `!`: a value of 0 or 1 that is a test's outcome.
    static func isTest(_ e: Expr) -> Bool {
        switch e.kind {
        case .binary(let op, _, _): return [.eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr].contains(op)
        case .unary(.logicalNot, _): return true
        default: return false
        }
    }

    static func negation(_ t: LoopTruth) -> LoopTruth {
        switch t {
        case .yes: return .no
        case .no: return .yes
        case let other: return other
        }
    }

    /// Two conditions that may each go both ways go both ways together only when they read
    /// different things: `$n < 5 && $n > 10` never holds, and the verifier knows it.
    static func independent(_ a: LoopTruth, _ b: LoopTruth) -> LoopTruth {
        guard case .maybe(let x) = a, case .maybe(let y) = b, x.isDisjoint(with: y) else { return .opaque }
        return .maybe(x.union(y))
    }

    /// `comm == "bash"`: a string the program read at run time holds bytes the verifier never
    /// sees, so a comparison with it goes both ways; two literals compare as they are.
    mutating func stringComparison(_ op: BinaryOp, _ a: Expr, _ b: Expr) -> LoopTruth {
        guard op == .eq || op == .ne else { return .opaque }
        if case .string(let x) = a.kind, case .string(let y) = b.kind {
            let equal = x.prefix { $0 != 0 } == y.prefix { $0 != 0 }
            return equal == (op == .eq) ? .yes : .no
        }
        func isRead(_ e: Expr) -> Bool {
            switch e.kind {
            case .builtin(.comm), .function(.str, _), .map: return true
            default: return false
            }
        }
        guard isRead(a) || isRead(b) else { return .opaque }
        nextOrigin += 1
        return .maybe([nextOrigin])
    }

    /// A comparison on the first pass. Two unknown reads compare both ways only when they are
    /// different reads whose ranges overlap.
    static func compare(_ op: BinaryOp, _ a: LoopValue, _ b: LoopValue, signed: Bool) -> LoopTruth {
        func range(_ v: LoopValue) -> (UInt64, UInt64, Int?)? {
            switch v {
            case .exact(let x): return (x, x, nil)
            case .unknown(let o, let lo, let hi): return (lo, hi, o)
            case .opaque: return nil
            }
        }
        // A range crossing zero against a constant, compared signed: decided by its ends.
        switch (a, b) {
        case (.unknown(let w, let l, let h), .exact(let k)) where isWide(w), (.exact(let k), .unknown(let w, let l, let h)) where isWide(w):
            guard signed else { return .opaque }
            let wideFirst: Bool
            if case .unknown = a { wideFirst = true } else { wideFirst = false }
            let c = k ^ signBit
            let (al, ah, bl, bh) = wideFirst ? (l, h, c, c) : (c, c, l, h)
            switch op {
            case .lt where ah < bl, .le where ah <= bl, .gt where al > bh, .ge where al >= bh: return .yes
            case .lt where al >= bh, .le where al > bh, .gt where ah <= bl, .ge where ah < bl: return .no
            case .eq where ah < bl || bh < al: return .no
            case .ne where ah < bl || bh < al: return .yes
            // Undecided over a range the verifier knows no better: both ways, as the read's.
            default: return .maybe([readOrigin(ofWide: w)])
            }
        case (.unknown(wide, _, _), _), (_, .unknown(wide, _, _)):
            return .opaque
        default:
            break
        }
        guard let (al0, ah0, ao) = range(a), let (bl0, bh0, bo) = range(b) else { return .opaque }
        if let ao, let bo, ao == bo { return .opaque }
        // Signed order is unsigned order with the sign bit flipped; a range crossing the flip
        // point is every value then (read() only makes ranges starting at 0 or all of them).
        func ordered(_ lo: UInt64, _ hi: UInt64) -> (UInt64, UInt64) {
            guard signed else { return (lo, hi) }
            let bit = UInt64(1) << 63
            if hi < bit || lo >= bit { return (lo ^ bit, hi ^ bit) }
            return (0, .max)
        }
        let (al, ah) = ordered(al0, ah0), (bl, bh) = ordered(bl0, bh0)
        let origins = Set([ao, bo].compactMap { $0 })
        func decide(_ always: Bool, _ never: Bool) -> LoopTruth {
            if always { return .yes }
            if never { return .no }
            if origins.contains(derived) { return .opaque }
            if origins.contains(maskedRange), op == .eq || op == .ne || origins.count > 1 { return .opaque }
            if origins.contains(remainder) {
                guard op == .eq || op == .ne, origins.count == 1, (al0 == 0 && ah0 == 0) || (bl0 == 0 && bh0 == 0) else { return .opaque }
            }
            return .maybe(origins)
        }
        switch op {
        case .lt: return decide(ah < bl, al >= bh)
        case .le: return decide(ah <= bl, al > bh)
        case .gt: return decide(al > bh, ah <= bl)
        case .ge: return decide(al >= bh, ah < bl)
        case .eq: return decide(al == ah && bl == bh && al == bl, ah < bl || bh < al)
        case .ne: return decide(ah < bl || bh < al, al == ah && bl == bh && al == bl)
        default: return .opaque
        }
    }

    /// What a mask, a remainder or a shift by a constant leaves of a value not known exactly:
    /// a range that decides some conditions (`($h & 1) < 2` always holds). The verifier may
    /// know which values in it are possible (the mask's bits), so it is `derived`: it never
    /// makes a condition go both ways.
    static func bounded(_ op: BinaryOp, _ x: LoopValue, _ y: LoopValue, signed: Bool, leftSigned: Bool) -> LoopValue {
        func isLowMask(_ v: UInt64) -> Bool { v & (v &+ 1) == 0 }
        switch (op, x, y) {
        // BPF's own rules, which codegen keeps: x % 0 is x, x / 0 is 0.
        case (.mod, _, .exact(0)): return x
        case (.div, _, .exact(0)): return .exact(0)
        // A range crossing zero spans high - low + 1 values in a row: any 2m of them hold a
        // multiple of m and others, any 2(mask + 1) every pattern of the mask's bits.
        case (.mod, .unknown(wide, let l, let h), .exact(let m)) where m >= 2 && m < 1 << 31 && h - l >= 2 * m:
            return .unknown(origin: remainder, low: 0, high: m - 1)
        case (.bitAnd, .unknown(wide, let l, let h), .exact(let mask)), (.bitAnd, .exact(let mask), .unknown(wide, let l, let h)):
            guard mask != 0, mask & (mask - 1) == 0 || isLowMask(mask), mask < 1 << 31, h - l >= 2 * (mask + 1) else { return .opaque }
            return .unknown(origin: maskedRange, low: 0, high: mask)
        // Moved by a constant, still crossing zero and not past either end of signed order.
        case (.add, .unknown(let w, let l, let h), .exact(let k)) where isWide(w),
             (.add, .exact(let k), .unknown(let w, let l, let h)) where isWide(w),
             (.sub, .unknown(let w, let l, let h), .exact(let k)) where isWide(w):
            let by = op == .add ? k : 0 &- k
            let (nl, lowWraps) = l.addingReportingOverflow(by), (nh, highWraps) = h.addingReportingOverflow(by)
            // Up, neither end may pass the top of signed order; down (a wrapping add), both
            // must wrap, or an end passed below the bottom.
            guard Int64(bitPattern: by) >= 0 ? !lowWraps && !highWraps : lowWraps && highWraps else { return .opaque }
            return nl < signBit && nh >= signBit ? crossing(nl, nh, read: readOrigin(ofWide: w)) : .opaque
        case (_, .unknown(wide, _, _), _), (_, _, .unknown(wide, _, _)):
            return .opaque
        // A constant added to a read moves its range, when no end wraps round: the verifier
        // adds the ends the same way (`$j - 2` with `$j` in 5...255 is 3...253).
        case (.add, .unknown(let o, let lo, let hi), .exact(let k)) where o != derived,
             (.add, .exact(let k), .unknown(let o, let lo, let hi)) where o != derived:
            let (top, wraps) = hi.addingReportingOverflow(k)
            if !wraps { return .unknown(origin: o, low: lo + k, high: top) }
            return lo == 0 && hi == .max ? .unknown(origin: o, low: 0, high: .max) : .opaque
        case (.sub, .unknown(let o, let lo, let hi), .exact(let k)) where o != derived:
            if lo >= k { return .unknown(origin: o, low: lo - k, high: hi - k) }
            // A read of any 64-bit value stays any value, signed or not (`$u - 1 > 20`).
            return lo == 0 && hi == .max ? .unknown(origin: o, low: 0, high: .max) : .opaque
        // A fresh read is unknown in every bit of its width, so masking it with low bits
        // (`pid & 0xff`) leaves every value of the narrower range possible: still a range the
        // verifier knows no better, from the same read.
        case (.bitAnd, .unknown(let o, 0, let high), .exact(let mask)) where o != derived && isLowMask(high) && isLowMask(mask),
             (.bitAnd, .exact(let mask), .unknown(let o, 0, let high)) where o != derived && isLowMask(high) && isLowMask(mask):
            return .unknown(origin: o, low: 0, high: min(mask, high))
        case (.bitAnd, .unknown(let o, 0, let high), .exact(let mask)) where o >= 0 && isLowMask(high) && mask <= high,
             (.bitAnd, .exact(let mask), .unknown(let o, 0, let high)) where o >= 0 && isLowMask(high) && mask <= high:
            return .unknown(origin: maskedRange, low: 0, high: mask)
        // One bit, or the low bits, of a read spanning twice the mask or more: set for some
        // values and clear for others, and the verifier's bits, taken from the range, leave
        // them open (`$u & 4` under `$u > 20`).
        case (.bitAnd, .unknown(let o, let low, let high), .exact(let mask)) where o >= 0 && mask != 0
            && (mask & (mask - 1) == 0 || isLowMask(mask)) && mask < 1 << 61 && high - low >= 2 * (mask + 1):
            return .unknown(origin: maskedRange, low: 0, high: mask)
        // Bits set stay set: `$j | 10` is never zero.
        case (.bitOr, _, .exact(let bits)) where bits != 0, (.bitOr, .exact(let bits), _) where bits != 0:
            return .unknown(origin: derived, low: bits, high: .max)
        case (.bitAnd, _, .exact(let mask)), (.bitAnd, .exact(let mask), _):
            return .unknown(origin: derived, low: 0, high: mask)
        // `$i % 2` of a read that may be 0 or 1: zero and not zero both possible, whatever the
        // verifier makes of a remainder (signed or not, a range or nothing at all).
        case (.mod, .unknown(let o, 0, let high), .exact(let m)) where o >= 0 && high >= 1 && m >= 2 && m < 1 << 63:
            return .unknown(origin: remainder, low: 0, high: m - 1)
        // So does one spanning 2m values or more (`$u % 5` under `$u > 20`): m of them in a row
        // on one side of the sign bit, a multiple of m among them and others.
        case (.mod, .unknown(let o, let low, let high), .exact(let m)) where o >= 0 && m >= 2 && m < 1 << 62 && high - low >= 2 * m:
            return .unknown(origin: remainder, low: 0, high: m - 1)

        case (.mod, _, .exact(let m)) where !signed && m > 0:
            return .unknown(origin: derived, low: 0, high: m - 1)
        case (.shr, _, .exact(let k)) where !leftSigned && k & 63 > 0:
            return .unknown(origin: derived, low: 0, high: UInt64.max >> (k & 63))
        default:
            return .opaque
        }
    }

    /// `x op y` as codegen computes it on 64-bit registers (IRGen+Expressions.swift).
    static func apply(_ op: BinaryOp, _ x: UInt64, _ y: UInt64, signed: Bool, leftSigned: Bool) -> UInt64 {
        switch op {
        case .add: return x &+ y
        case .sub: return x &- y
        case .mul: return x &* y
        case .div, .mod:
            if y == 0 { return op == .div ? 0 : x }
            guard signed else { return op == .div ? x / y : x % y }
            let xNeg = Int64(bitPattern: x) < 0, yNeg = Int64(bitPattern: y) < 0
            let ax = xNeg ? 0 &- x : x, ay = yNeg ? 0 &- y : y
            if op == .mod { let r = ax % ay; return xNeg ? 0 &- r : r }
            let q = ax / ay
            return xNeg != yNeg ? 0 &- q : q
        case .bitAnd: return x & y
        case .bitOr: return x | y
        case .bitXor: return x ^ y
        case .shl: return x << (y & 63)
        case .shr: return leftSigned ? UInt64(bitPattern: Int64(bitPattern: x) >> (y & 63)) : x >> (y & 63)
        case .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr: return 0  // truth(), not here
        }
    }

    /// A constant cast to a narrower integer: truncated, then extended by the new sign.
    static func fit(_ x: UInt64, bits: Int, signed: Bool) -> UInt64 {
        guard bits < 64 else { return x }
        let kept = x & ((UInt64(1) << UInt64(bits)) - 1)
        guard signed, kept >> UInt64(bits - 1) & 1 == 1 else { return kept }
        return kept | ~((UInt64(1) << UInt64(bits)) - 1)
    }
}

extension LoopEvaluator {
    /// `$u >> 20 < 4097` as the comparison LLVM emits for it, of `$u` itself:
    /// `$u < 4097 << 20`. InstCombine moves a constant shift across an ordered comparison with a
    /// constant when the shifted bound fits (logical shift with an unsigned comparison,
    /// arithmetic with a signed one), so the verifier narrows `$u` there. Nil for any other shape.
    mutating func unshiftedComparison(_ op: BinaryOp, _ a: Expr, _ b: Expr, _ vars: [String: LoopValue])
        -> (BinaryOp, Expr, Expr)? {
        guard [.lt, .le, .gt, .ge].contains(op) else { return nil }
        if case .binary(.shr, _, _) = a.kind {} else {
            guard case .binary(.shr, _, _) = b.kind else { return nil }
            return unshiftedComparison(op.mirrored, b, a, vars).map { ($0.0.mirrored, $0.2, $0.1) }
        }
        guard case .binary(.shr, let x, let k) = a.kind, x.type.isInteger, case .integer(64, _) = x.type,
              case .exact(let n) = value(k, vars), n > 0, n < 64,
              case .exact(let c) = value(b, vars) else { return nil }
        let signed = a.type.isSigned && b.type.isSigned
        guard signed == x.type.isSigned else { return nil }
        // The comparison of `x >> n` with c, as one of x with a bound: `<` and `>=` against
        // c << n, `<=` and `>` against ((c + 1) << n) - 1. A bound that does not fit is left alone.
        let target = op == .lt || op == .ge ? c : c &+ 1
        if signed {
            let t = Int64(bitPattern: target)
            guard (op == .lt || op == .ge) || (c != UInt64(bitPattern: Int64.max) && t > Int64.min >> Int64(n)),
                  t >= Int64.min >> Int64(n), t <= Int64.max >> Int64(n) else { return nil }
        } else {
            guard (op == .lt || op == .ge) || c != .max, target <= UInt64.max >> n else { return nil }
        }
        let shifted = target << n
        let bound = op == .lt || op == .ge ? shifted : shifted &- 1
        return (op, x, Expr(.integer(bound), range: b.range, type: x.type))
    }
}
