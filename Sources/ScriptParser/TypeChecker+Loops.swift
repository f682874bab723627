/// `while` loops swtrace refuses, found from the script.
///
/// The verifier follows every iteration of a plain loop on every path it explores. It refuses a
/// loop that comes back to its head in a state it has seen on the same path ("infinite loop
/// detected"), and gives up after 1,000,000 processed instructions or 8,192 waiting branches.
/// swtrace keeps plain only loops it sees end within a few iterations, and lowers every other
/// loop through the kernel's `bpf_loop` helper, which the verifier checks without walking its
/// iterations (LoopLowering.swift). What is left to refuse, certainly and visibly in the script:
/// - a loop whose body changes none of the `$variables` its condition reads, or sets them to
///   values under which it still holds, and gets past every way out: it never ends once
///   entered; or one whose end only a change in a map, builtin or `args` field read afresh
///   could bring (bpftrace refuses all of these: the verifier cannot see them end);
/// - a counter walked to a bound it never meets, or counted to a bound read afresh: the
///   verifier follows it to the end of that value's range;
/// - a counted loop that runs longer than `bpf_loop` does (`LoopLowering.iterationCap`).
/// Each only when no `break` of this loop, `return` or `exit()` is sure to be met
/// (LoopWalker+Exits.swift), and only on a path the verifier certainly explores with the
/// condition holding: the first pass through the probe (`LoopValue`), as the verifier walks it
/// first. Measured on 6.18 with --dry-run: see Tests/ScriptParserTests/Scripts/check/loop_*.st
/// and LoopLoadTests.
extension TypeChecker {
    /// Every iteration costs the verifier at least three instructions (test, step, jump back;
    /// often five), so 1,000,000 / 3 iterations are always too many. Measured on 6.18: the
    /// largest count the verifier accepts is 333,332, for the cheapest loops there are
    /// (`$n++`, `$n += 1`, `$n--` to 0, `!=`, `<=`, `&& 1`, a `continue` after the step).
    static let verifierIterationLimit: UInt64 = 333_334
    /// A loop whose only way out is a `break` compiles to two instructions an iteration (the
    /// step, and the test that jumps back): measured on 6.18, 499,990 iterations load and
    /// 500,010 do not.
    static let verifierBreakIterationLimit: UInt64 = 500_001

    /// Checks the loops of a typed probe body (after its predicate).
    /// Returns the loops that stay plain loops (TypedProbe.plainLoops); the rest go through `bpf_loop`.
    mutating func checkLoops(predicate: Expr?, body: Block) -> Set<Int> {
        var hasWhile = false
        LoopWalker.visitStatements(body, intoLoops: true) { if case .whileLoop = $0.kind { hasWhile = true } }
        // Nothing to check, and no file to read at start-up, in a probe without a `while`.
        guard hasWhile else { return [] }
        var walker = LoopWalker()
        walker.evaluator.cpuCount = catalog.possibleCPUCount()
        // The first read of a tracepoint field is a value the verifier knows only by its width.
        // A later one may be a load LLVM merged with it, which the verifier has narrowed since.
        var firstReads: [String: Int] = [:]
        let note: (Expr) -> Void = {
            if case .tracepointField(let f) = $0.kind { firstReads[f.name] = min(firstReads[f.name] ?? .max, $0.range.start) }
        }
        if let predicate { ASTWalker.visit(predicate, note) }
        ASTWalker.visit(body, note)
        walker.evaluator.firstFieldReads = firstReads
        var start = LoopPath()
        if let predicate {
            switch walker.evaluator.truth(predicate, [:]) {
            case .no: return []
            case .opaque: start.certain = false
            default: break
            }
        }
        _ = walker.walk(body, start)
        diagnostics.items += walker.findings
        return walker.plainLoops
    }
}

/// Where the first pass stands: what it knows of each variable, and whether the verifier
/// certainly gets here (a branch it may know is never taken makes what follows uncertain).
struct LoopPath {
    var values: [String: LoopValue] = [:]
    var certain = true

    /// Past a branch point: what either way knows.
    static func join(_ a: LoopPath?, _ b: LoopPath?) -> LoopPath? {
        guard let a else { return b }
        guard let b else { return a }
        var out = LoopPath(certain: a.certain && b.certain)
        for (name, v) in a.values where b.values[name] != nil {
            out.values[name] = b.values[name] == v ? v : .opaque
        }
        return out
    }

    func forgetting(_ names: Set<String>) -> LoopPath {
        var out = self
        for name in names where out.values[name] != nil { out.values[name] = .opaque }
        return out
    }
}

struct LoopWalker {
    var evaluator = LoopEvaluator()
    var findings: [Diagnostic] = []
    /// The `while` loops that stay plain loops (TypedProbe.plainLoops, LoopLowering.swift).
    var plainLoops: Set<Int> = []
    /// How deep in loops the walk is, and the budget plain loops have used (LoopLowering.swift).
    var nesting = 0
    var plainLoopCost: UInt64 = 0, plainComparisonCost: UInt64 = 0, plainArithmeticCost: UInt64 = 0
    /// How many callbacks (loops through `bpf_loop`, `for` bodies) the walk is inside.
    var callbackDepth = 0

    /// Walks a block; nil when the path ends in it (`break`, `return`, `exit()`).
    mutating func walk(_ block: Block, _ path: LoopPath) -> LoopPath? {
        var current: LoopPath? = path
        for stmt in block.statements {
            guard let p = current else { return nil }
            current = walk(stmt, p)
        }
        return current
    }

    mutating func walk(_ stmt: Stmt, _ path: LoopPath) -> LoopPath? {
        var path = path
        switch stmt.kind {
        case .expr(let e):
            if case .increment(let target, let up, _, let step) = e.kind, case .variable(let name) = target.kind {
                if case .exact(let x)? = path.values[name] {
                    path.values[name] = .exact(up ? x &+ UInt64(step) : x &- UInt64(step))
                } else {
                    path.values[name] = .opaque
                }
                return path
            }
            if Self.callsExit(e) { return nil }
            return path.forgetting(Self.variablesIncremented(e))
        case .assign(let target, _, let value):
            let v = evaluator.value(value, path.values)
            path = path.forgetting(Self.variablesIncremented(value))
            if case .variable(let name) = target.kind { path.values[name] = target.type.isInteger || target.type.isPointer ? v : .opaque }
            return path
        case .ifElse(let c, let then, let otherwise):
            let t = evaluator.truth(c, path.values)
            path = path.forgetting(Self.variablesIncremented(c))
            switch t {
            case .yes: return walk(then, path)
            case .no: return otherwise.map { walk($0, path) } ?? path
            case .maybe, .opaque:
                var yes = path, no = path
                yes.values = narrow(path.values, by: c, holds: true)
                no.values = narrow(path.values, by: c, holds: false)
                yes.certain = path.certain && t != .opaque
                no.certain = yes.certain
                let a = walk(then, yes)
                let b = otherwise.map { walk($0, no) } ?? no
                guard var joined = LoopPath.join(a, b) else { return nil }
                // One way ended: what follows is reached only the other way, which the verifier
                // may know is never taken when the condition is opaque to this model.
                if (a == nil || b == nil) && t == .opaque { joined.certain = false }
                return joined
            }
        case .whileLoop(let c, let body):
            return walkLoop(stmt, c, body, path)
        case .unroll(_, let body):
            nesting += 1
            let end = walk(body, path)
            nesting -= 1
            if end == nil, !Self.breaks(body) { return nil }
            return path.forgetting(Self.variablesChanged(body))
        case .forMap(let variable, _, let body):
            // The body is a separate function the verifier checks on its own.
            var callback = LoopPath(certain: path.certain)
            callback.values[variable] = .opaque
            callbackDepth += 1
            _ = walk(body, callback)
            callbackDepth -= 1
            return path
        case .breakLoop, .continueLoop, .returnProbe:
            return nil
        }
    }

    mutating func walkLoop(_ stmt: Stmt, _ c: Expr, _ body: Block, _ path: LoopPath) -> LoopPath? {
        // The first test is of the values the loop starts from: LLVM tests them before the
        // loop, folded where they are constants.
        let t = evaluator.truth(c, path.values)
        // Inside, what the loop changes is no constant to LLVM (LoopEvaluator.varying).
        let outside = evaluator.varying
        evaluator.varying.formUnion(Self.variablesChanged(body).union(Self.variablesIncremented(c)))
        defer { evaluator.varying = outside }
        // Never entered, but the condition ran once: `while ($j++ < 0)` leaves `$j` stepped.
        // LLVM folds the first test where it is constant; where it does not, the verifier may
        // go in, so the loop is a `bpf_loop` one, and what it may change is unknown after it.
        if t == .no {
            if !Self.variablesIncremented(c).isEmpty || !stmt.assignedVariableNames.isEmpty {
                return path.forgetting(stmt.assignedVariableNames)
            }
            var once = path.forgetting(Self.variablesIncremented(c))
            if let stepped = Self.applyingIncrements(in: c, path.values) { once.values = stepped }
            return once
        }
        let findingsBefore = findings.count
        let changed = Self.variablesChanged(body).union(Self.variablesIncremented(c))
        var after = path.forgetting(changed)
        // Left through its condition, the condition failed; through a break, not necessarily.
        after.values = Self.breaks(body) ? Self.forgettingUnknowns(after.values, readBy: c)
            : narrow(after.values, by: c, holds: false)
        // What follows the loop is certainly reached when the first test may fail, or when
        // nothing in the loop ends the probe: a loop the verifier accepts ends on every path it
        // follows, by its condition or a break (were it refused, nothing said here matters).
        // One with a `return` or `exit()` may end only there (`while (1) { … exit(); }`).
        if case .maybe = t {} else if Self.leavesProbe(body) { after.certain = false }
        // Whether this walk sees the loop end after a number of iterations it knows: only such
        // a loop stays a plain loop for the verifier to walk (TypedProbe.helperLoops).
        var followed: UInt64?
        var walkedWithEveryDecisionKnown = false
        if path.certain, t.mayHold {
            let read = Self.variablesRead(c)
            let exits = Self.breaks(body) || Self.leavesProbe(body)
            if Self.variablesIncremented(c).isDisjoint(with: read),
               goesRoundForever(body, condition: c, keeping: read, changed: changed, entry: path) {
                findings.append(.error(c.range, Self.neverEnds(c, read: read, changed: changed, exits: exits)))
            } else if holdsWhatever(c, changed, path), canGoRound(body, condition: c, keeping: [], changed: changed, entry: path) {
                findings.append(.error(c.range, Self.neverEnds(c, read: read, changed: changed, exits: exits, holdsWhatever: true)))
            } else if canGoRound(body, condition: c, keeping: [], changed: changed, entry: path),
                      let (name, count, final) = countedLoop(c, body, changed, path) {
                // A break the verifier can go round may still end the loop early at run time.
                if let final, !exits { after.values[name] = .exact(final) }
                if case .exactly(let n) = count, n <= LoopLowering.iterationCap { after.certain = path.certain }
                let known: Bool
                if case .exact? = path.values[name] { known = true } else { known = false }
                if known, case .exactly(let n) = count { followed = n }
                if let message = Self.tooLong(count, counter: known ? nil : name, mayEndSooner: exits) {
                    findings.append(.error(c.range, message))
                }
            }
            if findings.count == findingsBefore, let (count, counter) = steppedEveryWay(c, body, changed, path),
               let least = count.lowerBound {
                if least > LoopLowering.iterationCap, !exits {
                    findings.append(.error(c.range, "this loop runs at least \(least.groupedDigits) times ($\(counter) moves by a different step on different ways through its body; counted with the largest); swtrace runs a loop this long through the kernel's bpf_loop helper, which stops after \(LoopLowering.iterationCap.groupedDigits) iterations"))
                }
            }
            if findings.count == findingsBefore, let (count, counter, exitValue, freshBound) = breakCountedLoop(c, body, changed, path) {
                // Always entered and left only by its break: what follows sees the counter's last value.
                if t == .yes, let exitValue, Self.variablesChanged(body) == [counter] {
                    after.values[counter] = .exact(exitValue)
                }
                if case .exactly(let n) = count { followed = n }
                if count == .forever {
                    findings.append(.error(c.range, "this loop never ends: the test before its only break fails for every value its counter takes"))
                } else if let message = Self.tooLong(count, mayEndSooner: t != .yes || freshBound) {
                    findings.append(.error(c.range, message))
                }
            }
            if findings.count == findingsBefore, canGoRound(body, condition: c, keeping: [], changed: changed, entry: path),
               let (name, count, unknownBound) = conjunctionCount(c, body, changed, path) {
                let known: Bool
                if case .exact? = path.values[name] { known = true } else { known = false }
                if known, !unknownBound, case .exactly(let n) = count { followed = n }
                let message = unknownBound ? Self.tooLongAgainstFreshReads(count, counter: name, dividing: Self.isFixed(c))
                    : Self.tooLong(count, counter: known ? nil : name, mayEndSooner: exits || !Self.isFixed(c))
                if let message { findings.append(.error(c.range, message)) }
            }
            if findings.count == findingsBefore, Self.variablesIncremented(c).isDisjoint(with: read),
               let pins = pinnedWayRound(body, condition: c, keeping: read, changed: changed, entry: path) {
                findings.append(.error(c.range, Self.repeats(pins, exits: exits)))
            }
            if findings.count == findingsBefore, let state = returningState(c, body, path.values) {
                findings.append(.error(c.range, Self.comesBack(to: state)))
            }
        }
        // Past a loop refused here the program is refused anyway: go on as if it ended, so
        // every loop the verifier would refuse is reported at once.
        if findings.count > findingsBefore {
            after.certain = path.certain
        } else if case .yes = t, let end = simulate(c, body, path.values) {
            after = LoopPath(values: end.values, certain: path.certain)
            if followed == nil || Self.isArithmetic(stmt) { followed = end.iterations }
            walkedWithEveryDecisionKnown = true
        }
        let callback = findings.count == findingsBefore && !staysPlain(stmt, body, followed,
                                                                      everyDecisionKnown: walkedWithEveryDecisionKnown)
        if callback {
            // The loop works on copies the verifier knows nothing of: what it may change is
            // any value afterwards.
            after = path.forgetting(stmt.assignedVariableNames)
            if Self.leavesProbe(body) { after.certain = false }
            if callbackDepth >= Self.callbackDepthLimit { findings.append(.error(c.range, Self.nestedTooDeep)) }
        }
        var inside = path
        inside.values = narrow(path.values, by: c, holds: true)
        inside.certain = path.certain && t.mayHold
        nesting += 1
        if callback { callbackDepth += 1 }
        _ = walk(body, inside)
        if callback { callbackDepth -= 1 }
        nesting -= 1
        return after
    }

    /// Rule one: an iteration can leave every `$variable` the condition reads unchanged and
    /// meet no way out. A condition of variables and constants then holds forever once it
    /// holds. One that also reads maps, builtins or kernel memory reads them afresh each time,
    /// and the verifier knows nothing of them, so the way back into the body stays open to it
    /// at every iteration: it refuses the loop when the state at the head repeats, or runs out
    /// of budget following it.
    static func neverEnds(_ c: Expr, read: Set<String>, changed: Set<String>, exits: Bool,
                          holdsWhatever: Bool = false) -> String {
        let names = read.sorted().map { "$" + $0 }.joined(separator: ", ")
        let untouched = read.isDisjoint(with: changed)
        if isFixed(c), untouched || holdsWhatever, !exits {
            if read.isEmpty { return "this loop never ends: its condition is always true and it has no break, return or exit()" }
            if holdsWhatever {
                return "this loop never ends once entered: its condition holds whatever its body does to \(names), and it has no break, return or exit()"
            }
            return "this loop never ends once entered: nothing in its body changes \(names), which its condition reads, and it has no break, return or exit()"
        }
        var parts: [String] = []
        if holdsWhatever, !read.isEmpty {
            parts.append("its condition holds whatever its body does to \(names)")
        } else if read.isEmpty {
            parts.append(isFixed(c) ? "its condition is always true" : "its condition reads no $variable")
        } else if untouched {
            parts.append("nothing in its body changes \(names), which its condition reads")
        } else {
            parts.append("an iteration can leave \(names), which its condition reads, unchanged")
        }
        if !isFixed(c) {
            parts.append("the verifier knows nothing of the map, builtin or kernel values the condition reads afresh each time")
        }
        parts.append(exits ? "every iteration can go round its break, return or exit()" : "it has no break, return or exit()")
        let last = parts.removeLast()
        return "the kernel's verifier cannot see this loop end: " + parts.joined(separator: ", ") + ", and " + last
            + "; count iterations in a $variable or break out"
    }

    static func tooLongAgainstFreshReads(_ count: LoopTripCount, counter: String, dividing: Bool = false) -> String? {
        let why = dividing
            ? "the kernel's verifier cannot see this loop end: it does not work out a division or remainder (by anything but a power of two), so the condition can hold at every iteration, and it follows the loop for as long as $\(counter) lets it"
            : "the kernel's verifier cannot see this loop end: it knows nothing of the map, builtin or kernel values the condition reads afresh each time, so it follows the loop for as long as $\(counter) lets the condition hold"
        switch count {
        case .exactly(let n) where n >= TypeChecker.verifierIterationLimit:
            return why + " (\(n.groupedDigits) iterations) and gives up after 1,000,000 instructions; compare $\(counter) with a constant bound too, or break out"
        case .atLeast(let n) where n >= TypeChecker.verifierIterationLimit:
            return why + " (at least \(n.groupedDigits) iterations) and gives up after 1,000,000 instructions; compare $\(counter) with a constant bound too, or break out"
        case .forever:
            return why + ", which is for ever; compare $\(counter) with a constant bound too, or break out"
        default:
            return nil
        }
    }

    static func comesBack(to state: [String: UInt64]) -> String {
        let where_ = state.isEmpty ? "" : " (" + state.sorted { $0.key < $1.key }
            .map { "$\($0.key) = \(Int64(bitPattern: $0.value))" }.joined(separator: ", ") + ")"
        return "the kernel's verifier cannot see this loop end: following its iterations the way they can go, it comes back to where an earlier one started\(where_), and from there round again for ever; count iterations in a $variable or break out"
    }

    /// Rule one, with constants: an iteration can set what the condition reads to values with
    /// which it still holds, and the next iteration can do the same from there.
    static func repeats(_ pins: [String: UInt64], exits: Bool) -> String {
        let set = pins.sorted { $0.key < $1.key }.map { "$\($0.key) to \(Int64(bitPattern: $0.value))" }
        let way = exits ? "without meeting its break, return or exit()" : "and it has no break, return or exit()"
        return "the kernel's verifier cannot see this loop end: an iteration can set " + set.joined(separator: " and ")
            + ", with which its condition still holds, " + way
            + ", so the next iteration starts where this one did; count iterations in a $variable or break out"
    }

    /// `counter` names a counter whose start the verifier knows only as a range.
    /// Whether the condition holds for every value the loop may give its variables
    /// (`($h < 10) < 10`): it then never ends, however the body changes them.
    mutating func holdsWhatever(_ c: Expr, _ changed: Set<String>, _ path: LoopPath) -> Bool {
        var values = path.values
        for name in changed { values[name] = evaluator.fresh(0, .max) }
        return evaluator.truth(c, values) == .yes
    }

    /// A counted loop longer than `bpf_loop` runs (LoopLowering.iterationCap), certainly:
    /// from a known start (`counter` nil) and not ending sooner some other way. A shorter one
    /// loads, through `bpf_loop` once it is too long for the verifier to walk.
    static func tooLong(_ count: LoopTripCount, counter: String? = nil, mayEndSooner: Bool = false) -> String? {
        let cap = "swtrace runs a loop this long through the kernel's bpf_loop helper, which stops after \(LoopLowering.iterationCap.groupedDigits) iterations"
        let start = counter.map { " ($\($0) starts from a value the verifier knows only as a range, and it follows the longest run)" } ?? ""
        let certain = counter == nil && !mayEndSooner
        switch count {
        case .exactly(let n) where n > LoopLowering.iterationCap && certain:
            return "this loop runs \(n.groupedDigits) times; \(cap)"
        case .atLeast(let n) where n > LoopLowering.iterationCap && certain:
            return "this loop runs at least \(n.groupedDigits) times; \(cap)"
        case .forever:
            if counter == nil { return "this loop never ends: its condition holds for every value its counter takes" }
            return "this loop can run forever\(start): its condition holds for every value its counter takes"
        default:
            return nil
        }
    }

    /// Rule two: `$v OP BOUND` with `$v` a known constant (or a read the verifier knows only as a
    /// range: counted from the range's ends), `BOUND` a constant the body does not
    /// change, and `$v` moved only by constant steps at the top of the body. Returns the count
    /// and, when exact, the counter's value after the loop.
    mutating func countedLoop(_ c: Expr, _ body: Block, _ changed: Set<String>, _ path: LoopPath)
        -> (String, LoopTripCount, UInt64?)? {
        // `while ($n + 3)` is `$n != -3`, `while ($n - 3)` is `$n != 3`.
        if case .binary(let arith, let v, let k) = c.kind, arith == .add || arith == .sub, c.type.isInteger,
           case .variable = v.kind, Self.isFixed(k), Self.variablesRead(k).isEmpty,
           case .exact(let x) = evaluator.value(k, [:]) {
            let target = Expr(.integer(arith == .add ? 0 &- x : x), range: k.range, type: v.type)
            return countedLoop(Expr(.binary(.ne, v, target), range: c.range, type: .int64), body, changed, path)
        }
        guard case .binary = c.kind else {
            // `while ($n) { $n-- }` is `$n != 0`.
            guard case .variable = c.kind, c.type.isInteger else { return nil }
            return countedLoop(Expr(.binary(.ne, c, Expr(.integer(0), range: c.range, type: .int64)),
                                    range: c.range, type: .int64), body, changed, path)
        }
        guard let (name, op, limit, signed) = counterTest(c, changed, path.values),
              let starts = Self.possibleStarts(path.values[name]),
              !Self.variablesIncremented(c).contains(name),
              let step = counterStep(name, body, path) else { return nil }
        // From a start the verifier knows only as a range, it follows every start at once, so
        // at least as long as from any one of them: the longest of the range's ends.
        let counts = starts.compactMap { LoopTripCount.of(start: $0, step: step, op, bound: limit, signed: signed) }
        guard let count = counts.max(by: { ($0.lowerBound ?? .max) < ($1.lowerBound ?? .max) }) else { return nil }
        var final: UInt64?
        if starts.count == 1, case .exactly(let n) = count { final = starts[0] &+ n &* step }
        return (name, count, final)
    }

    /// Rule two for a condition of parts joined by `&&`, each a counter against a bound
    /// (`$i < 10 && $j < @max`), or a part that holds at every iteration. The verifier follows
    /// the loop for as long as every part can hold. A bound it does not know (a map, a
    /// builtin, an unknown `$variable`) can hold the longest at the end of its range: the
    /// largest value for `<`, the smallest for `>`. Returns the counter that ends the loop
    /// first, how long that takes, and whether its bound was unknown.
    mutating func conjunctionCount(_ c: Expr, _ body: Block, _ changed: Set<String>, _ path: LoopPath)
        -> (String, LoopTripCount, Bool)? {
        var terms: [Expr] = []
        func split(_ e: Expr) {
            if case .binary(.logicalAnd, let a, let b) = e.kind { split(a); split(b) } else { terms.append(e) }
        }
        split(c)
        // `while ($g++ < @max) { }`: a counter stepped by its own test, and nowhere else.
        let selfStepped = Self.variablesIncremented(c)
        guard selfStepped.isEmpty || (selfStepped.count == 1 && terms.count == 1
            && Self.variablesChanged(body).isDisjoint(with: selfStepped)) else { return nil }
        let values = narrow(path.forgetting(changed).values, by: c, holds: true)
        var shortest: (String, LoopTripCount, Bool)?
        var unknownsUsed = Set<Int>()
        var moving = 0
        var simulated: [Expr] = []
        for term in terms {
            if Self.variablesRead(term).isDisjoint(with: changed) {
                guard openBranches(term, changed, values).0 else { return nil }
                continue
            }
            if holdsWhatever(term, changed, path) { continue }
            // `$i <= @max`, `$i != nsecs`: some fresh value lets it hold whatever `$i` is.
            if openBranches(term, changed, values).0 {
                let name = Self.variablesRead(term).intersection(changed).sorted()[0]
                moving += 1
                if shortest == nil { shortest = (name, .forever, true) }
                continue
            }
            // Decided at the first value: followed after the others, as far as they let it.
            var compares = false
            if case .binary(let op, _, _) = term.kind, [.lt, .le, .gt, .ge, .ne].contains(op) { compares = true }
            if !compares, simulatedTerm(term, changed, body, path, limit: 1) != nil {
                simulated.append(term)
                continue
            }
            guard case .binary(var op, var counter, var bound) = term.kind, counter.type.isInteger, bound.type.isInteger,
                  [.lt, .le, .gt, .ge, .ne].contains(op) else { return nil }
            if !Self.variablesRead(bound).isDisjoint(with: changed) {
                swap(&counter, &bound)
                op = op.mirrored
            }
            var name: String, starts: [UInt64], step: UInt64
            if case .increment(let target, let up, let prefix, let by) = counter.kind, case .variable(let n) = target.kind {
                // The test sees the old value (`$g++`) or the new one (`++$g`).
                let delta = up ? UInt64(by) : 0 &- UInt64(by)
                guard Self.variablesRead(bound).isDisjoint(with: changed),
                      let from = Self.possibleStarts(path.values[n]) else { return nil }
                name = n; step = delta
                starts = from.map { prefix ? $0 &+ delta : $0 }
            } else {
                guard case .variable(let n) = counter.kind, changed.contains(n),
                      Self.variablesRead(bound).isDisjoint(with: changed),
                      let from = Self.possibleStarts(path.values[n]),
                      let s = stepTowards(op, n, body, path) else { return nil }
                name = n; starts = from; step = s
            }
            let signed = counter.type.isSigned && bound.type.isSigned
            var extreme: UInt64
            var unknownBound = false
            switch evaluator.value(bound, path.values) {
            case .exact(let k):
                extreme = k
            case .unknown(let o, let lo, let hi) where o != LoopEvaluator.derived && !LoopEvaluator.isWide(o) && op != .ne:
                // One unknown in two parts (`$i < $n && $j > $n`) ties them together.
                guard !unknownsUsed.contains(o) else { return nil }
                if case .unknown(let start, _, _)? = path.values[name], start == o { return nil }
                unknownsUsed.insert(o)
                unknownBound = true
                let crossesSign = lo < 1 << 63 && hi >= 1 << 63
                switch op {
                case .lt, .le: extreme = signed && crossesSign ? UInt64(Int64.max) : hi
                default: extreme = signed && crossesSign ? UInt64(bitPattern: Int64.min) : lo
                }
            default:
                return nil
            }
            let counts = starts.compactMap { LoopTripCount.of(start: $0, step: step, op, bound: extreme, signed: signed) }
            guard let count = counts.max(by: { ($0.lowerBound ?? .max) < ($1.lowerBound ?? .max) }) else { return nil }
            moving += 1
            if shortest == nil || (count.lowerBound ?? .max) < (shortest!.1.lowerBound ?? .max) {
                shortest = (name, count, unknownBound)
            }
        }
        // Parts followed value by value, only as far as the others let the loop run.
        for term in simulated {
            let limit = min(shortest?.1.lowerBound ?? .max, TypeChecker.verifierBreakIterationLimit)
            guard let (name, count) = simulatedTerm(term, changed, body, path, limit: limit) else { return nil }
            moving += 1
            if shortest == nil || (count.lowerBound ?? .max) < (shortest!.1.lowerBound ?? .max) {
                shortest = (name, count, false)
            }
        }
        // Every part holds whatever happens: rule one's business.
        return moving > 0 ? shortest : nil
    }

    /// `$v OP BOUND` either way round, `$v` an integer variable and BOUND a constant the loop
    /// leaves alone: the variable, the comparison read as `$v OP BOUND`, the bound, and whether
    /// it compares signed.
    mutating func counterTest(_ test: Expr, _ changed: Set<String>, _ values: [String: LoopValue])
        -> (name: String, op: BinaryOp, bound: UInt64, signed: Bool)? {
        guard case .binary(var op, var counter, var bound) = test.kind else { return nil }
        // `$u >> 4 < 100` is `$u < 1600` to LLVM and the verifier.
        if let (unshifted, x, k) = evaluator.unshiftedComparison(op, counter, bound, values) {
            (op, counter, bound) = (unshifted, x, k)
        }
        if case .variable = bound.kind, !counter.kind.isVariable {
            swap(&counter, &bound)
            op = op.mirrored
        }
        guard case .variable(let name) = counter.kind, counter.type.isInteger,
              Self.isFixed(bound), Self.variablesRead(bound).isDisjoint(with: changed),
              case .exact(let limit) = evaluator.value(bound, values) else { return nil }
        return (name, op, limit, counter.type.isSigned && bound.type.isSigned)
    }

    /// `if ($i > pid) { break; }`: a bound read afresh at every test, known to the verifier
    /// only by its range. The way past the break stays open until the counter passes the
    /// range's far end, so the test counts as one against that end.
    mutating func freshBoundTest(_ test: Expr, _ values: [String: LoopValue])
        -> (name: String, op: BinaryOp, bound: UInt64, signed: Bool)? {
        guard case .binary(var op, var counter, var bound) = test.kind else { return nil }
        if case .variable = bound.kind, !counter.kind.isVariable {
            swap(&counter, &bound)
            op = op.mirrored
        }
        guard case .variable(let name) = counter.kind, counter.type.isInteger, bound.type.isInteger,
              Self.variablesRead(bound).isEmpty, !Self.isFixed(bound),
              case .unknown(let o, let lo, let hi) = evaluator.value(bound, values), o >= 0 else { return nil }
        let signed = counter.type.isSigned && bound.type.isSigned
        // One interval in the test's order.
        if signed, lo < 1 << 63, hi >= 1 << 63 { return nil }
        switch op {
        case .gt, .ge: return (name, op, hi, signed)
        case .lt, .le: return (name, op, lo, signed)
        default: return nil
        }
    }

    /// The step to count `$name OP bound` with: the constant step, or, where ways through the
    /// body step differently but all the same direction, the largest (every way runs at least
    /// as long as that one).
    mutating func stepTowards(_ op: BinaryOp, _ name: String, _ body: Block, _ path: LoopPath) -> UInt64? {
        if let step = counterStep(name, body, path) { return step }
        guard !Self.breaks(body), !Self.leavesProbe(body), let (least, most) = stepRange(name, body.statements[...]) else { return nil }
        switch op {
        case .lt, .le: return least > 0 ? UInt64(bitPattern: most) : nil
        case .gt, .ge: return most < 0 ? UInt64(bitPattern: least) : nil
        default: return nil
        }
    }

    /// Rule two with a step that depends on the way through the body:
    /// `while ($j < N) { if (pid > 3) { $j++; } else { $j += 2; } }`. Every way moves `$j` the
    /// same direction by a constant, so every way runs at least as often as with the largest.
    mutating func steppedEveryWay(_ c: Expr, _ body: Block, _ changed: Set<String>, _ path: LoopPath) -> (LoopTripCount, String)? {
        guard let (name, op, limit, signed) = counterTest(c, changed, path.values),
              case .exact(let start)? = path.values[name],
              Self.variablesIncremented(c).isEmpty, !Self.breaks(body), !Self.leavesProbe(body),
              let (least, most) = stepRange(name, body.statements[...]) else { return nil }
        let step: Int64
        switch op {
        case .lt, .le: guard least > 0 else { return nil }; step = most
        case .gt, .ge: guard most < 0 else { return nil }; step = least
        default: return nil
        }
        guard let count = LoopTripCount.of(start: start, step: UInt64(bitPattern: step), op, bound: limit,
                                           signed: signed) else { return nil }
        return (count, name)
    }

    /// The least and the largest step one pass through `stmts` gives `$name`, over every way
    /// through its `if`s; nil when some change is not a constant step, or a `continue` or a
    /// loop is in the way.
    mutating func stepRange(_ name: String, _ stmts: ArraySlice<Stmt>) -> (Int64, Int64)? {
        var least: Int64 = 0, most: Int64 = 0
        for stmt in stmts {
            switch stmt.kind {
            case .ifElse(let test, let then, let otherwise):
                guard Self.variablesIncremented(test).isEmpty,
                      let a = stepRange(name, then.statements[...]),
                      let b = otherwise.map({ stepRange(name, $0.statements[...]) }) ?? (0, 0) else { return nil }
                least &+= min(a.0, b.0)
                most &+= max(a.1, b.1)
            case .continueLoop, .whileLoop, .unroll:
                return nil
            default:
                var changes = false
                Self.forEachChange(in: Block([stmt], range: stmt.range)) { if $0 == name { changes = true } }
                guard changes else { continue }
                guard let raw = topLevelStep(stmt, of: name) else { return nil }
                let step = Int64(bitPattern: raw)
                guard abs(step) < 1 << 32 else { return nil }
                least &+= step
                most &+= step
            }
        }
        return (least, most)
    }

    /// Rule two with the bound in a `break`: `while (1) { if ($i > 6553610) { break; } $i++; }`.
    /// The condition can hold at every test, the `if` holding the `break` is the only way out and
    /// every iteration meets it, and `$i` is counted from a constant: the verifier knows `$i`
    /// at each test and follows every iteration up to the one that breaks.
    mutating func breakCountedLoop(_ c: Expr, _ body: Block, _ changed: Set<String>, _ path: LoopPath)
        -> (LoopTripCount, String, UInt64?, freshBound: Bool)? {
        guard Self.variablesIncremented(c).isEmpty, !Self.leavesProbe(body) else { return nil }
        // The condition must be able to hold at every test: always true, or read afresh
        // (`while (@x < 10)`), in which case the verifier follows the way where it holds.
        let forgotten = path.forgetting(changed).values
        let always = narrow(forgotten, by: c, holds: true)
        guard openBranches(c, changed, forgotten).0 || holdsWhatever(c, changed, path) else { return nil }
        var breaks = 0
        Self.visitStatements(body, intoLoops: false) { if case .breakLoop = $0.kind { breaks += 1 } }
        guard breaks == 1 else { return nil }
        for stmt in Self.statementsBeforeContinue(body) {
            switch stmt.kind {
            case .ifElse(let test, let then, nil):
                // What follows the break in its block never runs.
                guard let breakAt = then.statements.firstIndex(where: { if case .breakLoop = $0.kind { return true }; return false }) else { break }
                guard Self.isStraight(Block(Array(then.statements[..<breakAt]), range: then.range)),
                      Self.variablesIncremented(test).isEmpty,
                      let againstConstant = Optional(counterTest(test, changed, always)),
                      let (name, op, limit, signed) = againstConstant ?? freshBoundTest(test, always),
                      case .exact(let start)? = path.values[name],
                      let step = counterStep(name, body, path),
                      // Iterations while the test fails, from the value the first test sees.
                      let fails = op.negated else { return nil }
                // counterStep accepted every change to the counter as a top-level step.
                var seen = start
                for earlier in Self.statementsBeforeContinue(body) {
                    if earlier.range.start >= stmt.range.start { break }
                    var changes = false
                    Self.forEachChange(in: Block([earlier], range: earlier.range)) { if $0 == name { changes = true } }
                    guard changes else { continue }
                    guard let s = topLevelStep(earlier, of: name) else { return nil }
                    seen = seen &+ s
                }
                guard let count = LoopTripCount.of(start: seen, step: step, fails, bound: limit, signed: signed) else { return nil }
                var exitValue: UInt64?
                if case .exactly(let n) = count { exitValue = seen &+ n &* step }
                // Against a value read afresh, the count is the verifier's longest, to the end of
                // the value's range; the loop itself may end much sooner.
                return (count, name, exitValue, againstConstant == nil)
            default:
                continue
            }
        }
        return nil
    }

    /// What a top-level `$name++`, `$name += K` or `$name = $name ± K` adds.
    mutating func topLevelStep(_ stmt: Stmt, of name: String) -> UInt64? {
        switch stmt.kind {
        case .expr(let e):
            if case .increment(let t, let up, _, let by) = e.kind, case .variable(name) = t.kind {
                return up ? UInt64(by) : 0 &- UInt64(by)
            }
        case .assign(let t, _, let v):
            guard case .variable(name) = t.kind, case .binary(let op, let a, let k) = v.kind,
                  op == .add || op == .sub, case .variable(name) = a.kind, Self.isFixed(k),
                  case .exact(let by) = evaluator.value(k, [:]) else { return nil }
            return op == .add ? by : 0 &- by
        default:
            break
        }
        return nil
    }

    /// The counter's start: a constant, or the ends of an unknown's range (its signed ends too
    /// when it spans both halves).
    static func possibleStarts(_ value: LoopValue?) -> [UInt64]? {
        switch value {
        case .exact(let s)?: return [s]
        // A range crossing zero: both ends are values it holds.
        case .unknown(let w, let l, let h)? where LoopEvaluator.isWide(w):
            return [l ^ LoopEvaluator.signBit, h ^ LoopEvaluator.signBit]
        case .unknown(let origin, let lo, let hi)? where origin != LoopEvaluator.derived:
            return lo < 1 << 63 && hi >= 1 << 63 ? [lo, hi, (1 << 63) - 1, 1 << 63] : [lo, hi]
        default: return nil
        }
    }

    /// A part of a condition that reads one counter, known exactly at the loop's head and
    /// stepped by a constant, and nothing read afresh (`$i * 20`): followed value by value,
    /// as the verifier does, for as many iterations as it could ever follow. Nil when some
    /// value leaves the part undecided.
    mutating func simulatedTerm(_ term: Expr, _ changed: Set<String>, _ body: Block, _ path: LoopPath, limit: UInt64)
        -> (String, LoopTripCount)? {
        let read = Self.variablesRead(term)
        guard read.count == 1, let name = read.first, changed.contains(name),
              Self.variablesIncremented(term).isEmpty, case .exact(let start)? = path.values[name],
              let step = counterStep(name, body, path), step != 0 else { return nil }
        var values = path.values
        var x = start
        for n in 0..<limit {
            values[name] = .exact(x)
            switch evaluator.truth(term, values) {
            case .yes: x = x &+ step
            case .no: return (name, .exactly(n))
            default: return nil
            }
        }
        return (name, .atLeast(limit))
    }

    /// What one iteration adds to `$name`, when every change is a top-level `$name++`, `--`,
    /// `+= K`, `-= K` or `$name = $name ± K` with `K` a constant.
    mutating func counterStep(_ name: String, _ body: Block, _ path: LoopPath) -> UInt64? {
        var step: UInt64 = 0
        var counted = 0
        // Steps after a `continue` may be skipped.
        for stmt in Self.statementsBeforeContinue(body) {
            switch stmt.kind {
            case .expr(let e):
                if case .increment(let t, let up, _, let by) = e.kind, case .variable(name) = t.kind {
                    step = up ? step &+ UInt64(by) : step &- UInt64(by)
                    counted += 1
                }
            case .assign(let t, _, let v):
                guard case .variable(name) = t.kind else { continue }
                guard case .binary(let op, let a, let k) = v.kind, op == .add || op == .sub,
                      case .variable(name) = a.kind, Self.isFixed(k),
                      !Self.variablesRead(k).contains(name),
                      case .exact(let by) = evaluator.value(k, [:]) else { return nil }
                step = op == .add ? step &+ by : step &- by
                counted += 1
            default:
                break
            }
        }
        // Any other change (nested, or inside an expression) makes the step unknown.
        var all = 0
        Self.forEachChange(in: body) { if $0 == name { all += 1 } }
        return all == counted && counted > 0 ? step : nil
    }
}

extension Expr.Kind {
    var isVariable: Bool { if case .variable = self { return true }; return false }
}
