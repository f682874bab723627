/// Whether the verifier can follow a loop round and round without the loop ending.
///
/// The verifier refuses a loop when some path through it goes on forever, so a way out, or a
/// change to what the condition reads, only helps when every iteration is sure to meet it. One
/// guarded by a condition that reads only `$variables` the loop leaves alone and values read
/// afresh each time (maps, `nsecs`, `args`) can be stepped around at every iteration: the
/// first iteration that can step around it can do so again (on 6.18,
/// `while ($n < 3) { @s++; if (pid == 2) { exit(); } }` and
/// `while ($i < 10) { if (pid > 3) { $i++; } }` are refused).
extension LoopWalker {
    /// How far a way through a loop body gets that changes none of the variables `kept`
    /// and meets no `break`, `return` or `exit()`; ordered from worst to best.
    enum WayRound: Comparable {
        /// No such way the verifier is sure to be able to take.
        case blocked
        /// It reaches the end of the statements seen so far.
        case fallsThrough
        /// It reaches a `continue`: back to the condition, skipping the rest.
        case loopsBack
    }

    /// One way through a block: how far it gets, what is known at its end (the branches it
    /// took narrowed what their conditions read), and the `kept` variables it set to constants.
    struct Way {
        var reach: WayRound
        var values: [String: LoopValue]
        var pins: [String: UInt64] = [:]
    }

    /// Whether every iteration of `body` can go back to the condition without changing `kept`
    /// and without leaving the loop, on a way the verifier is sure to follow. `changed` are the
    /// variables the loop changes anywhere; `entry` what the first pass knows at the loop's
    /// head. The verifier narrows what a condition reads on each branch (`$u > 20` makes
    /// `$u > 5` certain inside): so does `narrow`.
    mutating func canGoRound(_ body: Block, condition: Expr, keeping kept: Set<String>,
                             changed: Set<String>, entry: LoopPath) -> Bool {
        let values = narrow(entry.forgetting(changed).values, by: condition, holds: true)
        return wayRound(body, kept, changed, Way(reach: .fallsThrough, values: values), pinning: false).reach != .blocked
    }

    /// Rule one: every iteration can go round without changing `kept`, and comes back to the
    /// condition in a state where it still holds. The `if`s on the way narrow what they read
    /// (`if ($u < 500) { break; }` leaves `$u >= 500`, under which `$u - 100 <= 20` fails), so
    /// the walk goes round until the state at the condition stops changing, as the verifier's
    /// does before it finds it has been there before.
    mutating func goesRoundForever(_ body: Block, condition: Expr, keeping kept: Set<String>,
                                   changed: Set<String>, entry: LoopPath) -> Bool {
        var values = narrow(entry.forgetting(changed).values, by: condition, holds: true)
        for _ in 0..<4 {
            let way = wayRound(body, kept, changed, Way(reach: .fallsThrough, values: values), pinning: false)
            guard way.reach != .blocked else { return false }
            // Where the walk has lost track of the condition's variables (an `if` it cannot
            // narrow by), the rule stands on the body leaving them alone, as it always has.
            switch evaluator.truth(condition, way.values) {
            case .no: return false
            case .opaque: return true
            case .yes, .maybe: break
            }
            let next = narrow(way.values, by: condition, holds: true)
            if next == values { return true }
            // Lost track of a variable on the way (`if ($i % 2 == 0)` narrows a new value, and
            // this walk forgets `$i`): likewise.
            if next.contains(where: { $0.value == .opaque && values[$0.key] != .opaque }) { return true }
            values = next
        }
        return true
    }

    /// A way round every iteration can take that sets some of the variables the condition
    /// reads to constants and leaves the others alone, after which the condition still holds
    /// (`while ($j < 10) { if (pid > 3) { $j++ } else { $j = 2 } }`). Once the verifier has
    /// taken it, the next iteration starts where this one did: it follows that way forever.
    /// Returns the constants, or nil when there is no such way.
    mutating func pinnedWayRound(_ body: Block, condition: Expr, keeping kept: Set<String>,
                                 changed: Set<String>, entry: LoopPath) -> [String: UInt64]? {
        let values = narrow(entry.forgetting(changed).values, by: condition, holds: true)
        let way = wayRound(body, kept, changed, Way(reach: .fallsThrough, values: values), pinning: true)
        guard way.reach != .blocked, !way.pins.isEmpty else { return nil }
        // The first iteration takes this way too, so the variables it leaves alone keep the
        // values they had at the loop's head (narrowed by the condition holding there).
        var next = narrow(entry.values, by: condition, holds: true)
        for (name, value) in way.pins { next[name] = .exact(value) }
        return evaluator.truth(condition, next).mayHold ? way.pins : nil
    }

    /// The best way through `block` from `start`. With `pinning`, a `kept` variable may be set
    /// to a constant (recorded in `pins`); without, any change to one blocks the way.
    private mutating func wayRound(_ block: Block, _ kept: Set<String>, _ changed: Set<String>,
                                   _ start: Way, pinning: Bool) -> Way {
        var way = start
        func blocked() -> Way { Way(reach: .blocked, values: way.values, pins: way.pins) }
        for stmt in block.statements {
            switch stmt.kind {
            case .breakLoop, .returnProbe:
                return blocked()
            case .continueLoop:
                way.reach = .loopsBack
                return way
            case .expr(let e):
                if Self.callsExit(e) { return blocked() }
                if !Self.variablesIncremented(e).isDisjoint(with: kept) {
                    // `$j = 2; $j++` on this way: still a constant.
                    guard pinning, case .increment(let t, let up, _, let step) = e.kind,
                          case .variable(let n) = t.kind, let x = way.pins[n] else { return blocked() }
                    let v = up ? x &+ UInt64(step) : x &- UInt64(step)
                    way.pins[n] = v
                    way.values[n] = .exact(v)
                }
            case .assign(let t, _, let v):
                if !Self.variablesIncremented(v).isDisjoint(with: kept) { return blocked() }
                if case .variable(let n) = t.kind, kept.contains(n) {
                    guard pinning, case .exact(let c) = evaluator.value(v, way.values) else { return blocked() }
                    way.pins[n] = c
                    way.values[n] = .exact(c)
                }
            case .ifElse(let c, let then, let otherwise):
                if !Self.variablesIncremented(c).isDisjoint(with: kept) { return blocked() }
                let (thenOpen, elseOpen) = openBranches(c, changed, way.values)
                var yes = way, no = way
                yes.values = narrow(way.values, by: c, holds: true)
                no.values = narrow(way.values, by: c, holds: false)
                let a = wayRound(then, kept, changed, yes, pinning: pinning)
                let b = otherwise.map { wayRound($0, kept, changed, no, pinning: pinning) } ?? no
                let chosen: Way
                switch (thenOpen, elseOpen) {
                // Both branches stay open at every iteration: the better one will do.
                case (true, true): chosen = Self.better(a, b)
                case (true, false): chosen = a
                case (false, true): chosen = b
                // Either may be the only one: both must do.
                case (false, false): chosen = Self.worse(a, b)
                }
                if chosen.reach != .fallsThrough { return chosen }
                way = chosen
            case .whileLoop(let c, let inner), .unroll(let c, let inner):
                // An inner loop's break is its own; a return or exit() in it may end this one.
                var inside = Self.variablesChanged(inner).union(Self.variablesIncremented(c))
                if case .unroll = stmt.kind { inside = Self.variablesChanged(inner) }
                if Self.leavesProbe(inner) || !inside.isDisjoint(with: kept) { return blocked() }
                // Leaving it narrowed what its condition reads.
                way.values = Self.forgettingUnknowns(way.values, readBy: c)
            case .forMap(_, _, let inner):
                if Self.leavesProbe(inner) { return blocked() }
            }
        }
        return way
    }

    /// Of two ways the verifier can choose between: the one that gets further, else the one
    /// that changes fewer variables (none is rule one).
    static func better(_ a: Way, _ b: Way) -> Way {
        if a.reach != b.reach { return a.reach > b.reach ? a : b }
        if a.pins.count != b.pins.count { return a.pins.count < b.pins.count ? a : b }
        if a.pins == b.pins { return Way(reach: a.reach, values: joined(a.values, b.values), pins: a.pins) }
        return a
    }

    /// Of two ways the verifier may be left with either of: what both achieve. Two ways that
    /// set the condition's variables differently lead to different states: neither will do.
    static func worse(_ a: Way, _ b: Way) -> Way {
        if a.pins != b.pins { return Way(reach: .blocked, values: a.values, pins: a.pins) }
        if a.reach != b.reach { return a.reach < b.reach ? a : b }
        return Way(reach: a.reach, values: joined(a.values, b.values), pins: a.pins)
    }

    static func joined(_ a: [String: LoopValue], _ b: [String: LoopValue]) -> [String: LoopValue] {
        LoopPath.join(LoopPath(values: a), LoopPath(values: b))?.values ?? [:]
    }

    /// Which branches of `if (c)` the verifier can take at every iteration. A condition on
    /// variables the loop leaves alone and fresh reads is decided, or not, the same way each
    /// time. One on changing variables is open one way when it compares them with a fresh
    /// read of any 64-bit value: `$i <= @m` holds for `@m` = the largest value whatever `$i`
    /// is, and `$i != @m`, `$i == @m`, `$i >= @m` likewise (a strict `<` does not at the top).
    mutating func openBranches(_ c: Expr, _ changed: Set<String>, _ values: [String: LoopValue]) -> (Bool, Bool) {
        // `!t`, and `t == 0` or `t != 1` for a test `t`, are t's branches swapped; `t == 1`
        // and `t != 0` are t's own (`args->argv[$i] == 0 == 0`).
        if case .unary(.logicalNot, let t) = c.kind {
            let (yes, no) = openBranches(t, changed, values)
            return (no, yes)
        }
        if case .binary(let op, let a, let b) = c.kind, op == .eq || op == .ne {
            for (test, other) in [(a, b), (b, a)] where LoopEvaluator.isTest(test) && Self.variablesRead(other).isEmpty {
                guard case .exact(let k) = evaluator.value(other, values), k <= 1 else { continue }
                let (yes, no) = openBranches(test, changed, values)
                return (op == .eq) == (k == 1) ? (yes, no) : (no, yes)
            }
        }
        if Self.variablesRead(c).isDisjoint(with: changed) {
            switch evaluator.truth(c, values) {
            case .yes: return (true, false)
            case .no: return (false, true)
            case .maybe: return (true, true)
            case .opaque: return (false, false)
            }
        }
        // `($i > $i) > 5` is decided whatever `$i` holds; `$i % @n` goes either way whatever
        // `$i` holds (a value of its own, read afresh at each test).
        var unknown = values
        for name in changed { unknown[name] = .opaque }
        switch evaluator.truth(c, unknown) {
        case .yes: return (true, false)
        case .no: return (false, true)
        case .maybe: return (true, true)
        case .opaque: break
        }
        guard case .binary(var op, let l, let r) = c.kind, l.type.isInteger || l.type.isPointer,
              r.type.isInteger || r.type.isPointer else { return (false, false) }
        if LoopEvaluator.isFreshFullRead(l), !LoopEvaluator.isFreshFullRead(r) {
            op = op.mirrored
        } else if !LoopEvaluator.isFreshFullRead(r) {
            // `$k != tid`: a read of two values or more can differ from anything, and the
            // verifier rules out one value of a range only at its ends, so `!=` holds (and
            // `==` fails) whatever `$k` is.
            guard op == .eq || op == .ne else { return (false, false) }
            for side in [l, r] where Self.variablesRead(side).isEmpty {
                if case .unknown(let o, let lo, let hi) = evaluator.value(side, values), o >= 0, lo < hi {
                    return op == .ne ? (true, false) : (false, true)
                }
            }
            return (false, false)
        }
        // `v op X` with X any value: which of `v op X` and its negation always has an X.
        switch op {
        case .le, .ge: return (true, false)
        case .lt, .gt: return (false, true)
        case .eq, .ne: return (true, true)
        default: return (false, false)
        }
    }

    /// No way out of the block, and no loop in it.
    static func isStraight(_ block: Block) -> Bool {
        var straight = true
        visitStatements(block, intoLoops: true) { stmt in
            switch stmt.kind {
            case .breakLoop, .continueLoop, .returnProbe, .whileLoop, .unroll, .forMap: straight = false
            case .expr(let e): if callsExit(e) { straight = false }
            default: break
            }
        }
        return straight
    }

    /// `return` or `exit()` anywhere in the block.
    static func leavesProbe(_ block: Block) -> Bool {
        var found = false
        ASTWalker.visit(block) { if case .function(.exit, _) = $0.kind { found = true } }
        visitStatements(block, intoLoops: true) { if case .returnProbe = $0.kind { found = true } }
        return found
    }

    /// Every top-level statement of `body` before the first one holding a `continue` of this
    /// loop: the statements every iteration runs.
    static func statementsBeforeContinue(_ body: Block) -> ArraySlice<Stmt> {
        let first = body.statements.firstIndex { stmt in
            var found = false
            visitStatements(Block([stmt], range: stmt.range), intoLoops: false) {
                if case .continueLoop = $0.kind { found = true }
            }
            return found
        }
        return body.statements[..<(first ?? body.statements.endIndex)]
    }
}
