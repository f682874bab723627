/// Expressions, from the ternary down to literals, with C's precedence and associativity.
extension Parser {
    /// Words that begin a type name, so `(word …)` is a cast and `sizeof(word …)` takes a type.
    static let typeWords: Set<String> = [
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "char", "short", "int", "long", "unsigned", "signed", "void", "bool",
        "struct", "union", "enum", "const", "volatile",
    ]

    /// Qualifiers are accepted where C allows them and dropped: they change nothing we track.
    static let typeQualifiers: Set<String> = ["const", "volatile"]

    /// expr = ternaryExpr .
    mutating func parseExpr() throws(Diagnostic) -> Expr {
        try parseTernaryExpr()
    }

    /// ternaryExpr = binaryExpr [ "?" ternaryExpr ":" ternaryExpr ] . Right-associative.
    mutating func parseTernaryExpr() throws(Diagnostic) -> Expr {
        try enterNesting()
        defer { nesting -= 1 }
        let condition = try parseBinaryExpr(1)
        guard tok.kind == .question else { return condition }
        next()
        let then = try parseTernaryExpr()
        try expect(.colon)
        let otherwise = try parseTernaryExpr()
        return Expr(.ternary(condition, then, otherwise), range: condition.range.union(otherwise.range))
    }

    /// binaryExpr = unaryExpr { binaryOp unaryExpr }, by precedence climbing: every operator at
    /// least as tight as `minPrecedence` is taken here, tighter ones by the recursive call, which
    /// makes each level left-associative.
    mutating func parseBinaryExpr(_ minPrecedence: Int) throws(Diagnostic) -> Expr {
        var lhs = try parseUnaryExpr()
        // Each operator makes the tree one level deeper, and trees are freed recursively.
        var levels = 0
        defer { nesting -= levels }
        while let (op, precedence) = tok.kind.binaryOperator, precedence >= minPrecedence {
            if tok.kind == .slash && inPredicate && exprLevel == 0 { break }
            try enterNesting()
            levels += 1
            next()
            let rhs = try parseBinaryExpr(precedence + 1)
            lhs = Expr(.binary(op, lhs, rhs), range: lhs.range.union(rhs.range))
        }
        return lhs
    }

    /// unaryExpr = unaryOp unaryExpr | ( "++" | "--" ) unaryExpr | "(" typeName ")" unaryExpr | postfixExpr .
    mutating func parseUnaryExpr() throws(Diagnostic) -> Expr {
        try enterNesting()
        defer { nesting -= 1 }
        let start = tok.range
        let op: UnaryOp
        switch tok.kind {
        case .minus: op = .negate
        case .bang: op = .logicalNot
        case .tilde: op = .bitNot
        case .star: op = .deref
        case .ampersand: op = .addressOf
        case .increment, .decrement:
            let isIncrement = tok.kind == .increment
            next()
            let operand = try parseUnaryExpr()
            return Expr(.increment(operand, increment: isIncrement, prefix: true), range: start.union(operand.range))
        case .leftParen where castFollows():
            return try parseCastExpr()
        default:
            return try parsePostfixExpr()
        }
        next()
        let operand = try parseUnaryExpr()
        return Expr(.unary(op, operand), range: start.union(operand.range))
    }

    /// Whether the `(` in the lookahead opens a cast rather than a parenthesised expression or tuple.
    func castFollows() -> Bool {
        var ahead = lexer
        let first = ahead.scan()
        return typeNameStarts(first, then: ahead)
    }

    /// Whether `first` begins a type name: a type word, a name the preamble defined, or any name
    /// followed by `*`s and `)` (`(pid_t *)`), which no expression is.
    func typeNameStarts(_ first: Token, then rest: Lexer) -> Bool {
        guard first.kind == .identifier else { return false }
        if Self.typeWords.contains(first.text) || typeNames.contains(first.text) { return true }
        var ahead = rest
        var token = ahead.scan()
        guard token.kind == .star else { return false }
        while token.kind == .star { token = ahead.scan() }
        return token.kind == .rightParen
    }

    /// castExpr = "(" typeName ")" unaryExpr .
    mutating func parseCastExpr() throws(Diagnostic) -> Expr {
        let open = tok.range
        next()
        let type = try parseTypeName()
        try expect(.rightParen)
        let operand = try parseUnaryExpr()
        return Expr(.cast(type, operand), range: open.union(operand.range))
    }

    /// typeName = typeSpecifier { "*" } .
    mutating func parseTypeName() throws(Diagnostic) -> TypeName {
        let specifier = try parseTypeSpecifier()
        var range = specifier.range
        var pointerDepth = 0
        while tok.kind == .star || (tok.kind == .identifier && Self.typeQualifiers.contains(tok.text)) {
            if tok.kind == .star { pointerDepth += 1 }
            range = range.union(tok.range)
            next()
        }
        return TypeName(name: specifier.name, pointerDepth: pointerDepth, range: range)
    }

    /// typeSpecifier = ( "struct" | "union" | "enum" ) identifier | typeWord { typeWord } | identifier .
    /// Several words make one name (`unsigned long`); a lone other name is a typedef.
    mutating func parseTypeSpecifier() throws(Diagnostic) -> (name: String, range: SourceRange) {
        let start = tok.range
        while tok.kind == .identifier && Self.typeQualifiers.contains(tok.text) { next() }
        if tok.kind == .identifier, CTypeDefinition.Kind(rawValue: tok.text) != nil {
            let keyword = tok.text
            next()
            let name = try expect(.identifier)
            return ("\(keyword) \(name.text)", start.union(name.range))
        }
        var words: [String] = []
        var end = start
        while tok.kind == .identifier, Self.typeWords.contains(tok.text), CTypeDefinition.Kind(rawValue: tok.text) == nil {
            if !Self.typeQualifiers.contains(tok.text) { words.append(tok.text) }
            end = tok.range
            next()
        }
        if words.isEmpty {
            let name = try expect(.identifier)
            words = [name.text]
            end = name.range
        }
        return (words.joined(separator: " "), start.union(end))
    }

    /// postfixExpr = primaryExpr { "." ( identifier | integer ) | "->" identifier | "[" expr "]" | "++" | "--" } .
    mutating func parsePostfixExpr() throws(Diagnostic) -> Expr {
        var expr = try parsePrimaryExpr()
        var levels = 0
        defer { nesting -= levels }
        while true {
            if tok.kind == .dot || tok.kind == .arrow || tok.kind == .leftBracket || tok.kind == .increment
                || tok.kind == .decrement {
                try enterNesting()
                levels += 1
            }
            switch tok.kind {
            case .dot, .arrow:
                let isArrow = tok.kind == .arrow
                next()
                if !isArrow, tok.kind == .integer {
                    guard let index = Int(exactly: tok.value) else {
                        throw .error(tok.range, SyntaxMessage.integerTooLarge)
                    }
                    expr = Expr(.tupleElement(expr, index), range: expr.range.union(tok.range))
                    next()
                } else if tok.kind == .identifier || tok.kind.isKeyword {
                    // After `.` or `->` a keyword can only be a field name.
                    expr = Expr(.field(expr, name: tok.text, arrow: isArrow), range: expr.range.union(tok.range))
                    next()
                } else {
                    throw unexpected(expecting: .identifier)
                }
            case .leftBracket:
                next()
                let index = try parseBracketedExpr()
                expr = Expr(.index(expr, index.expr), range: expr.range.union(index.close))
            case .increment, .decrement:
                expr = Expr(.increment(expr, increment: tok.kind == .increment, prefix: false),
                            range: expr.range.union(tok.range))
                next()
            default:
                return expr
            }
        }
    }

    /// The rest of `[ expr ]` after the `[`: the expression and the `]`'s range.
    mutating func parseBracketedExpr() throws(Diagnostic) -> (expr: Expr, close: SourceRange) {
        exprLevel += 1
        defer { exprLevel -= 1 }
        let expr = try parseExpr()
        let close = try expect(.rightBracket)
        return (expr, close.range)
    }

    /// primaryExpr = integer | string | identifier [ arguments ] | variable | positional | "$#"
    ///             | map [ "[" exprList "]" ] | sizeofExpr | offsetofExpr | "(" exprList ")" .
    mutating func parsePrimaryExpr() throws(Diagnostic) -> Expr {
        let token = tok
        switch token.kind {
        case .integer:
            next()
            return Expr(.integer(token.value), range: token.range)
        case .string:
            next()
            return Expr(.string(token.bytes), range: token.range)
        case .identifier:
            next()
            guard tok.kind == .leftParen else { return Expr(.identifier(token.text), range: token.range) }
            next()
            let (args, close) = try parseExprList(closedBy: .rightParen, allowEmpty: true)
            return Expr(.call(name: token.text, args: args), range: token.range.union(close))
        case .variable:
            next()
            return Expr(.variable(token.text), range: token.range)
        case .positional:
            next()
            // Beyond Int's range no script has that many arguments; the checker reports it as missing.
            return Expr(.positional(Int(exactly: token.value) ?? Int.max), range: token.range)
        case .positionalCount:
            next()
            return Expr(.positionalCount, range: token.range)
        case .map:
            next()
            guard tok.kind == .leftBracket else { return Expr(.map(name: token.text, keys: []), range: token.range) }
            next()
            let (keys, close) = try parseExprList(closedBy: .rightBracket, allowEmpty: false)
            return Expr(.map(name: token.text, keys: keys), range: token.range.union(close))
        case .sizeofKeyword:
            return try parseSizeofExpr()
        case .offsetofKeyword:
            return try parseOffsetofExpr()
        case .leftParen:
            return try parseParenOrTupleExpr()
        default:
            throw unexpected()
        }
    }

    /// exprList = expr { "," expr }, after the opening bracket and through `closing`.
    mutating func parseExprList(closedBy closing: TokenKind, allowEmpty: Bool) throws(Diagnostic) -> ([Expr], SourceRange) {
        exprLevel += 1
        defer { exprLevel -= 1 }
        var exprs: [Expr] = []
        if !(allowEmpty && tok.kind == closing) {
            exprs.append(try parseExpr())
            while tok.kind == .comma {
                next()
                exprs.append(try parseExpr())
            }
        }
        let close = try expect(closing)
        return (exprs, close.range)
    }

    /// "(" expr ")" is the expression itself, its range widened over the parentheses;
    /// "(" expr "," expr { "," expr } ")" is a tuple.
    mutating func parseParenOrTupleExpr() throws(Diagnostic) -> Expr {
        let open = tok.range
        next()
        let (exprs, close) = try parseExprList(closedBy: .rightParen, allowEmpty: false)
        let range = open.union(close)
        guard exprs.count == 1, var single = exprs.first else { return Expr(.tuple(exprs), range: range) }
        single.range = range
        return single
    }

    /// sizeofExpr = "sizeof" "(" ( typeName | expr ) ")" .
    mutating func parseSizeofExpr() throws(Diagnostic) -> Expr {
        let start = tok.range
        next()
        try expect(.leftParen)
        exprLevel += 1
        defer { exprLevel -= 1 }
        if typeNameStarts(tok, then: lexer) {
            let type = try parseTypeName()
            let close = try expect(.rightParen)
            return Expr(.sizeofType(type), range: start.union(close.range))
        }
        let operand = try parseExpr()
        let close = try expect(.rightParen)
        return Expr(.sizeofExpr(operand), range: start.union(close.range))
    }

    /// offsetofExpr = "offsetof" "(" typeName "," identifier { "." identifier } ")" .
    mutating func parseOffsetofExpr() throws(Diagnostic) -> Expr {
        let start = tok.range
        next()
        try expect(.leftParen)
        exprLevel += 1
        defer { exprLevel -= 1 }
        let type = try parseTypeName()
        try expect(.comma)
        var path = [try expect(.identifier).text]
        while tok.kind == .dot {
            next()
            path.append(try expect(.identifier).text)
        }
        let close = try expect(.rightParen)
        return Expr(.offsetof(type, path), range: start.union(close.range))
    }
}
