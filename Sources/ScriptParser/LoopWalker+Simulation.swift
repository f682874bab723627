/// Runs a loop the way the verifier first walks it, when every decision on that walk is known:
/// `$i = 0; while (1) { if ($i > 10) { break; } $i++; }` ends after 11 iterations with
/// `$i` = 11, so what follows it is certainly reached, with that value.
extension LoopWalker {
    /// How a run through a block ended.
    enum RunEnd {
        case normal([String: LoopValue])
        case breaks([String: LoopValue])
        case continues([String: LoopValue])
        /// `return` or `exit()`: the probe ends here.
        case leaves
        /// A decision this model does not know, or a construct it does not run.
        case unknown
    }

    /// The values after the loop when its first walk certainly leaves it (through its
    /// condition or a `break`) within `limit` iterations, and how many it ran; nil otherwise.
    mutating func simulate(_ c: Expr, _ body: Block, _ start: [String: LoopValue],
                           limit: Int = 10_000) -> (values: [String: LoopValue], iterations: UInt64)? {
        var values = start
        for iteration in 0...limit {
            let t = evaluator.truth(c, values)
            guard let stepped = Self.applyingIncrements(in: c, values) else { return nil }
            values = stepped
            switch t {
            case .no: return (values, UInt64(iteration))
            case .yes: break
            default: return nil
            }
            switch run(body, values) {
            case .normal(let v), .continues(let v): values = v
            case .breaks(let v): return (v, UInt64(iteration) + 1)
            case .leaves, .unknown: return nil
            }
        }
        return nil
    }

    /// The values after a condition's `$v++`/`--` ran (`while ($g++ < 10)`): each stepped
    /// variable must be known, read nowhere else in the condition, and stepped whatever
    /// the condition's value (no `&&`, `||` or `?:` that might skip it).
    static func applyingIncrements(in c: Expr, _ start: [String: LoopValue]) -> [String: LoopValue]? {
        var values = start
        var reads: [String: Int] = [:]
        var shortCircuits = false
        var steps: [(String, Bool, Int)] = []
        ASTWalker.visit(c) { e in
            switch e.kind {
            case .variable(let n): reads[n, default: 0] += 1
            case .binary(.logicalAnd, _, _), .binary(.logicalOr, _, _), .ternary: shortCircuits = true
            case .increment(let t, let up, _, let step):
                if case .variable(let n) = t.kind { steps.append((n, up, step)) } else { steps.append(("", up, step)) }
            default: break
            }
        }
        if steps.isEmpty { return values }
        guard !shortCircuits else { return nil }
        for (name, up, step) in steps {
            guard reads[name] == 1, case .exact(let x)? = values[name] else { return nil }
            values[name] = .exact(up ? x &+ UInt64(step) : x &- UInt64(step))
        }
        return values
    }

    mutating func run(_ block: Block, _ start: [String: LoopValue]) -> RunEnd {
        var values = start
        for stmt in block.statements {
            switch stmt.kind {
            case .expr(let e):
                if case .increment(let target, let up, _, let step) = e.kind, case .variable(let name) = target.kind {
                    guard case .exact(let x)? = values[name] else { return .unknown }
                    values[name] = .exact(up ? x &+ UInt64(step) : x &- UInt64(step))
                    continue
                }
                if Self.callsExit(e) { return .leaves }
                // `$sum + --$i;`: only the steps matter.
                guard let after = Self.applyingIncrements(in: e, values) else { return .unknown }
                values = after
            case .assign(let target, _, let value):
                // `$sum += $i--`: the value reads `$i`, then `$i` steps.
                let stepped = Self.variablesIncremented(value)
                if case .variable(let name) = target.kind, stepped.contains(name) { return .unknown }
                let v = evaluator.value(value, values)
                guard let after = Self.applyingIncrements(in: value, values) else { return .unknown }
                values = after
                if case .variable(let name) = target.kind { values[name] = v }
            case .ifElse(let c, let then, let otherwise):
                guard Self.variablesIncremented(c).isEmpty else { return .unknown }
                let end: RunEnd
                switch evaluator.truth(c, values) {
                case .yes: end = run(then, values)
                case .no: end = otherwise.map { run($0, values) } ?? .normal(values)
                default: return .unknown
                }
                guard case .normal(let v) = end else { return end }
                values = v
            case .forMap:
                // A function of its own: it changes none of these variables.
                continue
            case .whileLoop, .unroll:
                return .unknown
            case .breakLoop:
                return .breaks(values)
            case .continueLoop:
                return .continues(values)
            case .returnProbe:
                return .leaves
            }
        }
        return .normal(values)
    }
}

/// The verifier follows every way a loop can go. When one sequence of iterations comes back to
/// the state an earlier iteration started from, with every decision on the way known or open
/// both ways, that sequence goes on for ever and the verifier never finishes
/// (`while ($j < 10) { if (pid > 3) { $j++; } else { $j %= 2; } }` comes back to `$j` = 0).
extension LoopWalker {
    /// The state (`$variable` = constant) a sequence of iterations comes back to, or nil when
    /// none is found within the search budget.
    mutating func returningState(_ c: Expr, _ body: Block, _ start: [String: LoopValue]) -> [String: UInt64]? {
        var onPath = Set<[String: LoopValue]>()
        var finished = Set<[String: LoopValue]>()
        var budget = 2_000
        let relevant = Self.variablesDeciding(c, body)
        func visit(_ values: [String: LoopValue], _ walker: inout LoopWalker) -> [String: LoopValue]? {
            let key = Self.canonical(values.filter { relevant.contains($0.key) })
            // A range crossing zero is kept for deciding tests; as a state to come back to,
            // the search stops there (kept on the safe side, no measured case needs it).
            if key.values.contains(where: { if case .unknown(let o, _, _) = $0, LoopEvaluator.isWide(o) { return true }; return false }) { return nil }
            if onPath.contains(key) { return key }
            if finished.contains(key) { return nil }
            budget -= 1
            guard budget >= 0, let stepped = Self.applyingIncrements(in: c, values) else { return nil }
            let t = walker.evaluator.truth(c, values)
            guard t.mayHold else { return nil }
            let inside = t == .yes ? stepped : walker.narrow(stepped, by: c, holds: true)
            onPath.insert(key)
            var ways = 64
            for end in walker.runAll(body.statements[...], inside, &ways) {
                switch end {
                case .normal(let next), .continues(let next):
                    if let repeated = visit(next, &walker) { return repeated }
                default:
                    continue
                }
            }
            onPath.remove(key)
            finished.insert(key)
            return nil
        }
        guard let repeated = visit(start, &self) else { return nil }
        var shown: [String: UInt64] = [:]
        for (name, value) in repeated { if case .exact(let x) = value { shown[name] = x } }
        return shown
    }

    /// The state with its reads numbered by where they first appear: the verifier compares
    /// two states by what each register holds, not by which helper call produced it, so a
    /// variable holding an unknown 64-bit value at two loop heads is the same state twice.
    static func canonical(_ values: [String: LoopValue]) -> [String: LoopValue] {
        var numbers: [Int: Int] = [:]
        var out = values
        for name in values.keys.sorted() {
            guard case .unknown(let o, let lo, let hi)? = values[name], o >= 0 else { continue }
            let n = numbers[o] ?? numbers.count
            numbers[o] = n
            out[name] = .unknown(origin: n, low: lo, high: hi)
        }
        return out
    }

    /// Every way one pass through `stmts` can go: decisions the verifier knows taken, ones
    /// that go both ways followed both ways (each narrowing what it read). A way that meets a
    /// decision this model cannot make ends `.unknown`; so do all once `budget` ways are used.
    mutating func runAll(_ stmts: ArraySlice<Stmt>, _ start: [String: LoopValue], _ budget: inout Int) -> [RunEnd] {
        var values = start
        var index = stmts.startIndex
        while index < stmts.endIndex {
            let stmt = stmts[index]
            index += 1
            switch stmt.kind {
            case .ifElse(let c, let then, let otherwise):
                guard Self.variablesIncremented(c).isEmpty else { return [.unknown] }
                var branches: [(Block?, [String: LoopValue])]
                switch evaluator.truth(c, values) {
                case .yes: branches = [(then, values)]
                case .no: branches = [(otherwise, values)]
                case .maybe: branches = [(then, narrow(values, by: c, holds: true)), (otherwise, narrow(values, by: c, holds: false))]
                case .opaque: return [.unknown]
                }
                budget -= branches.count - 1
                guard budget >= 0 else { return [.unknown] }
                var ends: [RunEnd] = []
                for (block, v) in branches {
                    let inner = block.map { runAll($0.statements[...], v, &budget) } ?? [.normal(v)]
                    for end in inner {
                        if case .normal(let next) = end {
                            ends += runAll(stmts[index...], next, &budget)
                        } else {
                            ends.append(end)
                        }
                    }
                }
                return ends
            default:
                switch run(Block([stmt], range: stmt.range), values) {
                case .normal(let v): values = v
                case let end: return [end]
                }
            }
        }
        return [.normal(values)]
    }
}

extension LoopWalker {
    /// The `$variables` the loop's decisions depend on: those its condition and its `if`s
    /// read, and, over and over, those read where any of them is given a value. The others
    /// never change which way an iteration goes.
    static func variablesDeciding(_ c: Expr, _ body: Block) -> Set<String> {
        var deciding = variablesRead(c)
        visitStatements(body, intoLoops: true) { stmt in
            switch stmt.kind {
            case .ifElse(let test, _, _), .whileLoop(let test, _): deciding.formUnion(variablesRead(test))
            default: break
            }
        }
        while true {
            let before = deciding.count
            visitStatements(body, intoLoops: true) { stmt in
                if case .assign(let t, _, let v) = stmt.kind, case .variable(let n) = t.kind, deciding.contains(n) {
                    deciding.formUnion(variablesRead(v))
                }
            }
            if deciding.count == before { return deciding }
        }
    }
}
