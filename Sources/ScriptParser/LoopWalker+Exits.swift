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

    /// Whether every iteration of `body` can go back to the condition without changing `kept`
    /// and without leaving the loop, on a way the verifier is sure to follow. `changed` are the
    /// variables the loop changes anywhere; `entry` what the first pass knows at the loop's
    /// head. The verifier narrows what a condition reads on each branch (`$u > 20` makes
    /// `$u > 5` certain inside): so does `narrow`.
    mutating func canGoRound(_ body: Block, condition: Expr, keeping kept: Set<String>,
                             changed: Set<String>, entry: LoopPath) -> Bool {
        let values = narrow(entry.forgetting(changed).values, by: condition, holds: true)
        return wayRound(body, kept, changed, values).0 != .blocked
    }

    /// How far the best way through `block` gets, and what is known at its end (the branch it
    /// took narrowed what its condition read).
    private mutating func wayRound(_ block: Block, _ kept: Set<String>, _ changed: Set<String>,
                                   _ start: [String: LoopValue]) -> (WayRound, [String: LoopValue]) {
        var values = start
        for stmt in block.statements {
            switch stmt.kind {
            case .breakLoop, .returnProbe:
                return (.blocked, values)
            case .continueLoop:
                return (.loopsBack, values)
            case .expr(let e):
                if Self.callsExit(e) || !Self.variablesIncremented(e).isDisjoint(with: kept) { return (.blocked, values) }
            case .assign(let t, _, let v):
                if case .variable(let n) = t.kind, kept.contains(n) { return (.blocked, values) }
                if !Self.variablesIncremented(v).isDisjoint(with: kept) { return (.blocked, values) }
            case .ifElse(let c, let then, let otherwise):
                if !Self.variablesIncremented(c).isDisjoint(with: kept) { return (.blocked, values) }
                let (thenOpen, elseOpen) = openBranches(c, changed, values)
                let a = wayRound(then, kept, changed, narrow(values, by: c, holds: true))
                let elseStart = narrow(values, by: c, holds: false)
                let b = otherwise.map { wayRound($0, kept, changed, elseStart) } ?? (.fallsThrough, elseStart)
                let way: (WayRound, [String: LoopValue])
                switch (thenOpen, elseOpen) {
                // Both branches stay open at every iteration: the better one will do.
                case (true, true): way = a.0 > b.0 ? a : b.0 > a.0 ? b : (a.0, Self.joined(a.1, b.1))
                case (true, false): way = a
                case (false, true): way = b
                // Either may be the only one: both must do.
                case (false, false): way = a.0 < b.0 ? a : b.0 < a.0 ? b : (a.0, Self.joined(a.1, b.1))
                }
                if way.0 != .fallsThrough { return way }
                values = way.1
            case .whileLoop(let c, let inner), .unroll(let c, let inner):
                // An inner loop's break is its own; a return or exit() in it may end this one.
                var inside = Self.variablesChanged(inner).union(Self.variablesIncremented(c))
                if case .unroll = stmt.kind { inside = Self.variablesChanged(inner) }
                if Self.leavesProbe(inner) || !inside.isDisjoint(with: kept) { return (.blocked, values) }
                // Leaving it narrowed what its condition reads.
                values = Self.forgettingUnknowns(values, readBy: c)
            case .forMap(_, _, let inner):
                if Self.leavesProbe(inner) { return (.blocked, values) }
            }
        }
        return (.fallsThrough, values)
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
        if Self.variablesRead(c).isDisjoint(with: changed) {
            switch evaluator.truth(c, values) {
            case .yes: return (true, false)
            case .no: return (false, true)
            case .maybe: return (true, true)
            case .opaque: return (false, false)
            }
        }
        guard case .binary(var op, let l, let r) = c.kind, l.type.isInteger, r.type.isInteger else { return (false, false) }
        if LoopEvaluator.isFreshFullRead(l), !LoopEvaluator.isFreshFullRead(r) {
            op = op.mirrored
        } else if !LoopEvaluator.isFreshFullRead(r) {
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
