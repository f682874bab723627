/// Which `while` loops stay plain loops for the verifier to walk, and which codegen lowers
/// through the kernel's `bpf_loop` helper (TypedProbe.plainLoops).
///
/// The verifier walks a plain loop iteration by iteration, and whether that walk fits its
/// budgets (1,000,000 instructions, 8,192 waiting branches) depends on how LLVM compiles the
/// body and on every other loop in the probe: the checker can be sure of a refusal, never of a
/// fit. A `bpf_loop` loop loads whatever its count (BPFCodegen's IRGen+WhileCallback.swift),
/// at the price of a call and a few map loads an iteration (about 1 ns: bench/event-cost), and
/// of the verifier knowing nothing of the variables it changes afterwards. So only loops the
/// walk sees end after a few iterations stay plain: not nested in a loop or holding one, and
/// within a small budget per probe, far below what the verifier takes.
public enum LoopLowering {
    /// The most iterations `bpf_loop` runs (the kernel's BPF_MAX_LOOPS): a loop through it
    /// stops there, and swtrace counts and reports each run it stopped.
    public static let iterationCap: UInt64 = 1 << 23
}

extension LoopWalker {
    /// The kernel follows a chain of at most 8 BPF calls: the probe, a callback for each loop
    /// through `bpf_loop` or `for` body it is nested in, and a shared subprogram (a map
    /// update's) at the end.
    static let callbackDepthLimit = 6
    static let nestedTooDeep = "this loop runs through the kernel's bpf_loop helper inside \(callbackDepthLimit) others (or for loops), each a call of its own, and the kernel follows a chain of at most 8 calls; nest fewer loops"

    /// The most iterations a plain loop may have…
    static let plainLoopIterations = 256
    /// …and the most iterations times expressions all plain loops of a probe may add up to:
    /// each test left open waits at every iteration, and an open test takes an expression at
    /// least, so fewer than the 8,192 the verifier keeps ever wait.
    static let plainLoopBudget: UInt64 = 8_000
    /// …and the most instructions their whole-value comparisons may cost the verifier, a
    /// quarter of what it follows (TypeChecker+ComparisonCost.swift).
    static let plainComparisonBudget: UInt64 = 250_000

    /// A loop of arithmetic on `$variables` alone, walked with every decision known, leaves
    /// the verifier nothing waiting: only its instructions count. It stays plain up to this
    /// many iterations times expressions across the probe: at 5 instructions an expression
    /// at worst, half of what the verifier follows.
    static let arithmeticLoopBudget: UInt64 = 100_000

    /// Whether the loop at `stmt`, seen to end after `followed` iterations (nil: not seen to
    /// end), stays a plain loop, and records it in `plainLoops` if so.
    mutating func staysPlain(_ stmt: Stmt, _ body: Block, _ followed: UInt64?, everyDecisionKnown: Bool) -> Bool {
        var holdsLoop = false
        Self.visitStatements(body, intoLoops: true) { if case .whileLoop = $0.kind { holdsLoop = true } }
        var expressions: UInt64 = 0, comparedWords: UInt64 = 0
        ASTWalker.visit(stmt) { e in
            expressions += 1
            // A whole-value comparison is a loop of its own, walked at every iteration.
            if case .binary(let op, let a, let b) = e.kind, op == .eq || op == .ne,
               let cost = TypeChecker.comparisonInstructions(a, b) {
                comparedWords += UInt64(cost)
            }
        }
        if let n = followed, everyDecisionKnown, nesting == 0, !holdsLoop, Self.isArithmetic(stmt),
           plainArithmeticCost + n * expressions <= Self.arithmeticLoopBudget {
            plainArithmeticCost += n * expressions
            plainLoops.insert(stmt.range.start)
            return true
        }
        if let n = followed, n <= UInt64(Self.plainLoopIterations), nesting == 0, !holdsLoop,
           plainLoopCost + n * expressions <= Self.plainLoopBudget,
           plainComparisonCost + n * comparedWords <= Self.plainComparisonBudget {
            plainLoopCost += n * expressions
            plainComparisonCost += n * comparedWords
            plainLoops.insert(stmt.range.start)
            return true
        }
        return false
    }

    /// Statements of integer arithmetic on `$variables` only: no map, call, builtin or memory
    /// read, so no test the verifier leaves open and nothing LLVM must keep.
    static func isArithmetic(_ stmt: Stmt) -> Bool {
        var arithmetic = true
        func check(_ s: Stmt) {
            switch s.kind {
            case .expr, .breakLoop, .continueLoop:
                break
            case .assign(let target, _, _):
                if case .variable = target.kind, target.type.isInteger {} else { arithmetic = false }
            case .ifElse(_, let then, let otherwise):
                then.statements.forEach(check)
                otherwise?.statements.forEach(check)
            case .whileLoop(_, let inner):
                inner.statements.forEach(check)
            default:
                arithmetic = false
            }
        }
        check(stmt)
        ASTWalker.visit(stmt) { e in
            switch e.kind {
            case .integer, .variable, .binary, .ternary, .cast, .sizeofType, .sizeofExpr, .positional, .positionalCount:
                break
            case .unary(let op, _):
                if op == .deref || op == .addressOf { arithmetic = false }
            case .increment(let target, _, _, _):
                if case .variable = target.kind {} else { arithmetic = false }
            default:
                arithmetic = false
            }
            if !e.type.isInteger, e.type != .none { arithmetic = false }
        }
        return arithmetic
    }
}
