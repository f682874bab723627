/// What a loop's condition reads and its body changes or leaves by, from the typed tree.
extension LoopWalker {
    /// `$variables` an expression reads.
    static func variablesRead(_ e: Expr) -> Set<String> {
        var names = Set<String>()
        ASTWalker.visit(e) { if case .variable(let n) = $0.kind { names.insert(n) } }
        return names
    }

    /// `$variables` an expression changes with `++`/`--`.
    static func variablesIncremented(_ e: Expr) -> Set<String> {
        var names = Set<String>()
        ASTWalker.visit(e) { x in
            if case .increment(let t, _, _, _) = x.kind, case .variable(let n) = t.kind { names.insert(n) }
        }
        return names
    }

    /// Calls each time a statement of the block (nested blocks included) assigns or steps a
    /// `$variable`. A `for` body is a function of its own whose variables are not the probe's.
    static func forEachChange(in block: Block, _ f: (String) -> Void) {
        for stmt in block.statements {
            switch stmt.kind {
            case .expr(let e):
                variablesIncremented(e).forEach(f)
            case .assign(let t, _, let v):
                if case .variable(let n) = t.kind { f(n) }
                variablesIncremented(t).union(variablesIncremented(v)).forEach(f)
            case .ifElse(let c, let then, let otherwise):
                variablesIncremented(c).forEach(f)
                forEachChange(in: then, f)
                if let otherwise { forEachChange(in: otherwise, f) }
            case .whileLoop(let c, let body), .unroll(let c, let body):
                variablesIncremented(c).forEach(f)
                forEachChange(in: body, f)
            case .forMap, .breakLoop, .continueLoop, .returnProbe:
                break
            }
        }
    }

    static func variablesChanged(_ block: Block) -> Set<String> {
        var names = Set<String>()
        forEachChange(in: block) { names.insert($0) }
        return names
    }

    static func callsExit(_ e: Expr) -> Bool {
        var found = false
        ASTWalker.visit(e) { if case .function(.exit, _) = $0.kind { found = true } }
        return found
    }

    /// A `break` of this loop.
    static func breaks(_ body: Block) -> Bool {
        var found = false
        visitStatements(body, intoLoops: false) { if case .breakLoop = $0.kind { found = true } }
        return found
    }

    static func visitStatements(_ block: Block, intoLoops: Bool, _ f: (Stmt) -> Void) {
        for stmt in block.statements {
            f(stmt)
            switch stmt.kind {
            case .ifElse(_, let then, let otherwise):
                visitStatements(then, intoLoops: intoLoops, f)
                if let otherwise { visitStatements(otherwise, intoLoops: intoLoops, f) }
            case .whileLoop(_, let body), .unroll(_, let body), .forMap(_, _, let body):
                if intoLoops { visitStatements(body, intoLoops: intoLoops, f) }
            default:
                break
            }
        }
    }

    /// Whether an expression's value depends only on `$variables` and constants: it cannot
    /// change unless one of those variables does (no maps, builtins, calls or memory reads).
    static func isFixed(_ e: Expr) -> Bool {
        switch e.kind {
        case .integer, .string, .variable, .positional, .positionalCount, .sizeofType, .offsetof:
            return true
        case .sizeofExpr:
            return true
        case .unary(let op, let a):
            return op != .deref && op != .addressOf && isFixed(a)
        case .binary(_, let a, let b):
            return isFixed(a) && isFixed(b)
        case .ternary(let a, let b, let c):
            return isFixed(a) && isFixed(b) && isFixed(c)
        case .cast(_, let a), .tupleElement(let a, _), .copiedMember(let a, _):
            return isFixed(a)
        case .tuple(let xs):
            return xs.allSatisfy(isFixed)
        default:
            return false
        }
    }
}

extension BinaryOp {
    /// The comparison that holds with its operands swapped (`a < b` is `b > a`).
    var mirrored: BinaryOp {
        switch self {
        case .lt: return .gt
        case .le: return .ge
        case .gt: return .lt
        case .ge: return .le
        default: return self
        }
    }

    /// The comparison that holds exactly when this one fails; nil for other operators.
    var negated: BinaryOp? {
        switch self {
        case .lt: return .ge
        case .le: return .gt
        case .gt: return .le
        case .ge: return .lt
        case .eq: return .ne
        case .ne: return .eq
        default: return nil
        }
    }
}
