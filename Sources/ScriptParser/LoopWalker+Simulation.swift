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
    /// condition or a `break`) within `limit` iterations; nil otherwise.
    mutating func simulate(_ c: Expr, _ body: Block, _ start: [String: LoopValue], limit: Int = 10_000) -> [String: LoopValue]? {
        var values = start
        for _ in 0...limit {
            let t = evaluator.truth(c, values)
            guard let stepped = Self.applyingIncrements(in: c, values) else { return nil }
            values = stepped
            switch t {
            case .no: return values
            case .yes: break
            default: return nil
            }
            switch run(body, values) {
            case .normal(let v), .continues(let v): values = v
            case .breaks(let v): return v
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
                guard Self.variablesIncremented(e).isEmpty else { return .unknown }
            case .assign(let target, _, let value):
                guard Self.variablesIncremented(value).isEmpty else { return .unknown }
                let v = evaluator.value(value, values)
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
