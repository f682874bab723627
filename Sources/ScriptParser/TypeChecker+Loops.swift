/// `while` loops the kernel's verifier is certain to refuse, found from the script.
///
/// The verifier follows every iteration of a loop on every path it explores. It refuses a loop
/// that comes back to its head in a state it has seen on the same path ("infinite loop
/// detected"), and gives up after 1,000,000 processed instructions ("BPF program is too large").
/// Both are certain, and visible in the script, when:
/// - the body changes none of the `$variables` the condition reads: a condition of variables
///   and constants holds forever once it holds, and maps, builtins and `args` fields are read
///   afresh each time, unknown to the verifier, so it never sees the condition turn false;
/// - a counter starts at a constant and moves by a constant step towards a constant bound
///   more than `verifierIterationLimit` times.
/// Either way only when no `break` of this loop, `return` or `exit()` is sure to be met
/// (LoopWalker+Exits.swift), and
/// only on a path the verifier certainly explores with the condition holding: the first pass
/// through the probe (`LoopValue`), as the verifier walks it first. Measured on 6.18 with
/// --dry-run: see Tests/ScriptParserTests/Scripts/check/loop_*.st and LoopLoadTests.
extension TypeChecker {
    /// Every iteration costs the verifier at least three instructions (test, step, jump back;
    /// often five), so 1,000,000 / 3 iterations are always too many. Measured on 6.18: the
    /// largest count the verifier accepts is 333,332, for the cheapest loops there are
    /// (`$n++`, `$n += 1`, `$n--` to 0, `!=`, `<=`, `&& 1`, a `continue` after the step).
    static let verifierIterationLimit: UInt64 = 333_334

    /// Checks the loops of a typed probe body (after its predicate).
    mutating func checkLoops(predicate: Expr?, body: Block) {
        var walker = LoopWalker()
        var start = LoopPath()
        if let predicate {
            switch walker.evaluator.truth(predicate, [:]) {
            case .no: return
            case .opaque: start.certain = false
            default: break
            }
        }
        _ = walker.walk(body, start)
        diagnostics.items += walker.findings
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
            let end = walk(body, path)
            if end == nil, !Self.breaks(body) { return nil }
            return path.forgetting(Self.variablesChanged(body))
        case .forMap(let variable, _, let body):
            // The body is a separate function the verifier checks on its own.
            var callback = LoopPath(certain: path.certain)
            callback.values[variable] = .opaque
            _ = walk(body, callback)
            return path
        case .breakLoop, .continueLoop, .returnProbe:
            return nil
        }
    }

    mutating func walkLoop(_ stmt: Stmt, _ c: Expr, _ body: Block, _ path: LoopPath) -> LoopPath? {
        let t = evaluator.truth(c, path.values)
        if t == .no { return path }
        let findingsBefore = findings.count
        let changed = Self.variablesChanged(body).union(Self.variablesIncremented(c))
        var after = path.forgetting(changed)
        after.values = narrow(after.values, by: c, holds: false)
        // What follows the loop is certainly reached when the first test may fail; a loop
        // entered for sure ends only where it is counted (`while (1) { … exit(); }` never does).
        if case .maybe = t {} else { after.certain = false }
        if path.certain, t.mayHold {
            let read = Self.variablesRead(c)
            let exits = Self.breaks(body) || Self.leavesProbe(body)
            if Self.variablesIncremented(c).isDisjoint(with: read),
               canGoRound(body, condition: c, keeping: read, changed: changed, entry: path) {
                findings.append(.error(c.range, Self.neverEnds(c, read: read, changed: changed, exits: exits)))
            } else if holdsWhatever(c, changed, path), canGoRound(body, condition: c, keeping: [], changed: changed, entry: path) {
                findings.append(.error(c.range, Self.neverEnds(c, read: read, changed: changed, exits: exits, holdsWhatever: true)))
            } else if canGoRound(body, condition: c, keeping: [], changed: changed, entry: path),
                      let (name, count, final) = countedLoop(c, body, changed, path) {
                // A break the verifier can go round may still end the loop early at run time.
                if let final, !exits { after.values[name] = .exact(final) }
                if case .exactly(let n) = count, n < TypeChecker.verifierIterationLimit { after.certain = path.certain }
                let known: Bool
                if case .exact? = path.values[name] { known = true } else { known = false }
                if let message = Self.tooLong(count, counter: known ? nil : name) { findings.append(.error(c.range, message)) }
            }
        }
        // Past a loop refused here the program is refused anyway: go on as if it ended, so
        // every loop the verifier would refuse is reported at once.
        if findings.count > findingsBefore {
            after.certain = path.certain
        } else if !after.certain, case .yes = t, let end = simulate(c, body, path.values) {
            after = LoopPath(values: end, certain: path.certain)
        }
        var inside = path
        inside.values = narrow(path.values, by: c, holds: true)
        inside.certain = path.certain && t.mayHold
        _ = walk(body, inside)
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

    /// `counter` names a counter whose start the verifier knows only as a range.
    /// Whether the condition holds for every value the loop may give its variables
    /// (`($h < 10) < 10`): it then never ends, however the body changes them.
    mutating func holdsWhatever(_ c: Expr, _ changed: Set<String>, _ path: LoopPath) -> Bool {
        var values = path.values
        for name in changed { values[name] = evaluator.fresh(0, .max) }
        return evaluator.truth(c, values) == .yes
    }

    static func tooLong(_ count: LoopTripCount, counter: String? = nil) -> String? {
        let limit = "the kernel's verifier follows every iteration and gives up after 1,000,000 instructions"
        let runs = counter == nil ? "runs" : "can run"
        let start = counter.map { " ($\($0) starts from a value the verifier knows only as a range, and it follows the longest run)" } ?? ""
        switch count {
        case .exactly(let n) where n >= TypeChecker.verifierIterationLimit:
            return "this loop \(runs) \(n.groupedDigits) times\(start); \(limit)"
        case .atLeast(let n) where n >= TypeChecker.verifierIterationLimit:
            return "this loop \(runs) at least \(n.groupedDigits) times\(start); \(limit)"
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
        guard case .binary(var op, var counter, var bound) = c.kind else {
            // `while ($n) { $n-- }` is `$n != 0`.
            guard case .variable = c.kind, c.type.isInteger else { return nil }
            return countedLoop(Expr(.binary(.ne, c, Expr(.integer(0), range: c.range, type: .int64)),
                                    range: c.range, type: .int64), body, changed, path)
        }
        if case .variable = bound.kind, !(counter.kind.isVariable) {
            swap(&counter, &bound)
            op = op.mirrored
        }
        guard case .variable(let name) = counter.kind, counter.type.isInteger,
              let starts = Self.possibleStarts(path.values[name]),
              Self.isFixed(bound), Self.variablesRead(bound).isDisjoint(with: changed),
              case .exact(let limit) = evaluator.value(bound, path.values),
              !Self.variablesIncremented(c).contains(name),
              let step = counterStep(name, body, path) else { return nil }
        let signed = counter.type.isSigned && bound.type.isSigned
        // From a start the verifier knows only as a range, it follows every start at once, so
        // at least as long as from any one of them: the longest of the range's ends.
        let counts = starts.compactMap { LoopTripCount.of(start: $0, step: step, op, bound: limit, signed: signed) }
        guard let count = counts.max(by: { ($0.lowerBound ?? .max) < ($1.lowerBound ?? .max) }) else { return nil }
        var final: UInt64?
        if starts.count == 1, case .exactly(let n) = count { final = starts[0] &+ n &* step }
        return (name, count, final)
    }

    /// The counter's start: a constant, or the ends of an unknown's range (its signed ends too
    /// when it spans both halves).
    static func possibleStarts(_ value: LoopValue?) -> [UInt64]? {
        switch value {
        case .exact(let s)?: return [s]
        case .unknown(let origin, let lo, let hi)? where origin != LoopEvaluator.derived:
            return lo < 1 << 63 && hi >= 1 << 63 ? [lo, hi, (1 << 63) - 1, 1 << 63] : [lo, hi]
        default: return nil
        }
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
