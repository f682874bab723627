/// Comparisons of whole values (`$p->b == $q->b` on arrays and structs) compile to a loop over
/// their 8-byte words (IRGen+WholeValues.swift), and the verifier follows every iteration of
/// it. A probe whose comparisons take it past its 1,000,000 instructions is refused at the
/// comparison that crosses the limit, before anything is loaded.
extension TypeChecker {
    /// Instructions one compared word costs the verifier: two loads, xor, or, two pointer
    /// steps, the index step, its test and the jump back (measured on 6.18: one comparison of
    /// 880,000 bytes loads, of 960,000 bytes is refused).
    static let instructionsPerComparedWord = 9
    /// Up to this many words the comparison is unrolled: 4 instructions a word.
    static let unrolledComparisonWords = 16
    static let verifierInstructionLimit = 1_000_000

    /// Counts only the comparisons every run of the probe certainly reaches: those in the
    /// predicate and in the probe's top-level statements, outside the right of `&&`/`||` and
    /// the arms of `?:`. Anything else may or may not add to what the verifier follows.
    mutating func checkComparisonCost(predicate: Expr?, body: Block) {
        var total = 0
        var refused = false
        func visit(_ e: Expr) {
            guard !refused else { return }
            switch e.kind {
            case .binary(.logicalAnd, let a, _), .binary(.logicalOr, let a, _), .ternary(let a, _, _):
                visit(a)
                return
            case .binary(let op, let a, let b) where op == .eq || op == .ne:
                if let cost = Self.comparisonInstructions(a, b) {
                    total += cost
                    if total > Self.verifierInstructionLimit {
                        refused = true
                        let bytes = min(a.type.size, b.type.size)
                        let sum = total > cost ? ", and with the comparisons before it in this probe \(UInt64(total).groupedDigits)," : ","
                        diagnostics.append(.error(e.range, "comparing \(UInt64(bytes).groupedDigits) bytes takes the kernel's verifier \(UInt64(cost).groupedDigits) instructions\(sum) more than the 1,000,000 it follows; compare fewer bytes (a member, or part of the array)"))
                        return
                    }
                }
            default:
                break
            }
            for child in ASTWalker.children(e) { visit(child) }
        }
        if let predicate { visit(predicate) }
        for stmt in body.statements {
            switch stmt.kind {
            case .expr(let e): visit(e)
            case .assign(let t, _, let v): visit(v); visit(t)
            case .ifElse(let c, _, _), .whileLoop(let c, _): visit(c)
            case .unroll, .forMap, .breakLoop, .continueLoop, .returnProbe: break
            }
        }
    }

    /// What comparing two whole values costs the verifier; nil for any other comparison.
    static func comparisonInstructions(_ a: Expr, _ b: Expr) -> Int? {
        guard isWholeValue(a.type), isWholeValue(b.type) else { return nil }
        let words = min(a.type.size, b.type.size) / 8
        return words * (words > unrolledComparisonWords ? instructionsPerComparedWord : 4)
    }

    static func isWholeValue(_ t: SType) -> Bool {
        switch t {
        case .rendered(.memoryCopy), .rendered(.buffer): return true
        default: return false
        }
    }
}
