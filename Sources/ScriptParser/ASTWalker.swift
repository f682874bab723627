/// Visits every expression under a probe, parents before children.
enum ASTWalker {
    static func visitExprs(_ probe: Probe, _ f: (Expr) -> Void) {
        if let p = probe.predicate { visit(p, f) }
        visit(probe.body, f)
    }

    static func visit(_ block: Block, _ f: (Expr) -> Void) {
        for s in block.statements { visit(s, f) }
    }

    static func visit(_ stmt: Stmt, _ f: (Expr) -> Void) {
        switch stmt.kind {
        case .expr(let e): visit(e, f)
        case .assign(let t, _, let v): visit(t, f); visit(v, f)
        case .ifElse(let c, let t, let o): visit(c, f); visit(t, f); if let o { visit(o, f) }
        case .unroll(let c, let b), .whileLoop(let c, let b): visit(c, f); visit(b, f)
        case .forMap(_, let m, let b): visit(m, f); visit(b, f)
        case .breakLoop, .continueLoop, .returnProbe: break
        }
    }

    static func visit(_ e: Expr, _ f: (Expr) -> Void) {
        f(e)
        for c in children(e) { visit(c, f) }
    }

    static func children(_ e: Expr) -> [Expr] {
        switch e.kind {
        case .integer, .string, .identifier, .positional, .positionalCount, .variable, .sizeofType, .offsetof,
             .builtin, .tracepointField, .probeValue:
            return []
        case .map(_, let keys): return keys
        case .call(_, let args), .function(_, let args): return args
        case .unary(_, let a), .field(let a, _, _), .tupleElement(let a, _), .cast(_, let a),
             .increment(let a, _, _, _), .sizeofExpr(let a), .copiedMember(let a, _):
            return [a]
        case .binary(_, let a, let b), .index(let a, let b): return [a, b]
        case .ternary(let a, let b, let c): return [a, b, c]
        case .tuple(let xs): return xs
        case .currentTask: return []
        case .recordField(let a, _), .dereference(let a), .addressOf(let a): return [a]
        case .pointerOffset(let a, let b, _): return [a, b]
        }
    }
}

extension Stmt {
    /// Every `$variable` the statement names, at any depth (codegen passes these to a loop
    /// lowered as a callback).
    public var variableNames: Set<String> {
        var names: Set<String> = []
        ASTWalker.visit(self) { if case .variable(let name) = $0.kind { names.insert(name) } }
        return names
    }
}

extension Stmt {
    /// Every `$variable` the statement may assign or step, at any depth: what a loop lowered
    /// as a callback copies back (BPFCodegen's IRGen+WhileCallback.swift), and what the checker
    /// forgets after it.
    public var assignedVariableNames: Set<String> {
        var names: Set<String> = []
        func visit(_ stmt: Stmt) {
            switch stmt.kind {
            case .assign(let target, _, _):
                if case .variable(let name) = target.kind { names.insert(name) }
            case .ifElse(_, let then, let otherwise):
                then.statements.forEach(visit)
                otherwise?.statements.forEach(visit)
            case .whileLoop(_, let body), .unroll(_, let body), .forMap(_, _, let body):
                body.statements.forEach(visit)
            default:
                break
            }
        }
        visit(self)
        ASTWalker.visit(self) { e in
            if case .increment(let target, _, _, _) = e.kind, case .variable(let name) = target.kind { names.insert(name) }
        }
        return names
    }
}

extension Block {
    /// Where every `while` statement in the block starts, at any depth.
    public var whileLoopStarts: Set<Int> {
        var starts: Set<Int> = []
        LoopWalker.visitStatements(self, intoLoops: true) { if case .whileLoop = $0.kind { starts.insert($0.range.start) } }
        return starts
    }
}
