/// Builds the syntax tree of a script: a recursive-descent parser with one token of lookahead,
/// one method per grammar rule, in the manner of Go's `go/parser`.
///
/// Errors never stop it. A rule that cannot go on throws the `Diagnostic` describing the token
/// it found; the nearest statement list (or the top level) records it, skips to a place where
/// parsing can resume, and carries on, so one run reports every independent mistake.
public struct Parser {
    let file: SourceFile
    var lexer: Lexer
    /// The lookahead: the next token not yet consumed.
    var tok: Token
    var diagnostics: [Diagnostic] = []
    /// Start offsets that already have an error: one error per token is enough, the rest are echoes.
    var errorOffsets: Set<Int> = []
    /// Bracket depth inside the current expression; a predicate's closing `/` only counts at depth 0.
    var exprLevel = 0
    var inPredicate = false
    /// Open blocks and expression levels, bounded so that hostile input cannot exhaust the stack.
    var nesting = 0
    /// Struct, union and enum names the preamble defined: `(name *)` and `(name)` read as casts.
    var typeNames: Set<String>
    var seenProbe = false

    static let maxNesting = 128

    init(_ file: SourceFile, startingIn mode: Lexer.Mode, typeNames: Set<String> = []) {
        self.file = file
        self.lexer = Lexer(file)
        self.typeNames = typeNames
        self.tok = Token(.endOfFile, .none)
        next(mode)
    }

    /// Parses a whole script. Never traps; returns the best-effort Program plus every syntax error found.
    public static func parse(_ file: SourceFile) -> (Program, Diagnostics) {
        var parser = Parser(file, startingIn: .attachPoint)
        let program = parser.parseProgram()
        return (program, parser.finish())
    }

    /// Parses `file` as one expression (a `#define` body, say) that must fill it entirely.
    /// `typeNames` are the preamble's struct, union and enum names, so that casts to them parse.
    /// The expression is nil only when none could be read at all.
    public static func parseExpression(_ file: SourceFile, typeNames: Set<String> = []) -> (Expr?, Diagnostics) {
        var parser = Parser(file, startingIn: .normal, typeNames: typeNames)
        var result: Expr?
        do throws(Diagnostic) {
            result = try parser.parseExpr()
            if parser.tok.kind != .endOfFile { throw parser.unexpected(expecting: .endOfFile) }
        } catch {
            parser.record(error)
        }
        return (result, parser.finish())
    }

    /// The diagnostics in source order (the lexer runs one token ahead of the parser).
    func finish() -> Diagnostics {
        let ordered = diagnostics.enumerated().sorted {
            ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset)
        }
        return Diagnostics(ordered.map(\.element))
    }

    // MARK: - Tokens and errors

    /// Consumes the lookahead and scans the next token in `mode`.
    mutating func next(_ mode: Lexer.Mode = .normal) {
        tok = lexer.scan(mode)
        for diagnostic in lexer.takeDiagnostics() { record(diagnostic) }
    }

    /// Consumes a token of `kind`, then scans on in `mode`; throws "unexpected …, expecting `kind`".
    @discardableResult
    mutating func expect(_ kind: TokenKind, then mode: Lexer.Mode = .normal) throws(Diagnostic) -> Token {
        guard tok.kind == kind else { throw unexpected(expecting: kind) }
        let token = tok
        next(mode)
        return token
    }

    /// "syntax error, unexpected X" for the lookahead, naming what was wanted when one thing was.
    func unexpected(expecting expected: TokenKind? = nil) -> Diagnostic {
        let found = tok.kind == .endOfFile ? TokenKind.endOfFile.rawValue : file.text(of: tok.range)
        return .error(tok.range, SyntaxMessage.unexpected(found, expecting: expected))
    }

    /// Keeps `diagnostic` unless its position already has an error.
    mutating func record(_ diagnostic: Diagnostic) {
        if errorOffsets.insert(diagnostic.range.start).inserted {
            diagnostics.append(diagnostic)
        }
    }

    /// Counts one more level of blocks or expressions; pair with `defer { nesting -= 1 }`.
    mutating func enterNesting() throws(Diagnostic) {
        guard nesting < Self.maxNesting else { throw .error(tok.range, SyntaxMessage.nestingTooDeep) }
        nesting += 1
    }

    /// After an error in a statement: skips to just past the next `;`, or past a `}` that closes a
    /// block opened since, or to the `}` that closes the current block (left for the block to take).
    mutating func syncStatement() {
        var depth = 0
        while tok.kind != .endOfFile {
            switch tok.kind {
            case .leftBrace:
                depth += 1
            case .rightBrace:
                if depth == 0 { return }
                depth -= 1
                // An `else` after the block still belongs to the broken statement.
                if depth == 0 {
                    next()
                    if tok.kind == .elseKeyword { continue }
                    if tok.kind == .semicolon { next() }
                    return
                }
            case .semicolon where depth == 0:
                next()
                return
            default:
                break
            }
            next()
        }
    }

    /// After an error in a probe header or a preamble block: skips past the `}` that ends the
    /// block, whether or not its `{` has been read yet, and resumes at the top level.
    mutating func skipPastBlock() {
        var depth = 0
        while tok.kind != .endOfFile {
            switch tok.kind {
            case .leftBrace:
                depth += 1
            case .rightBrace:
                depth -= 1
                if depth <= 0 {
                    next(.attachPoint)
                    return
                }
            default:
                break
            }
            next()
        }
    }

    /// After a stray token at the top level: skips (blocks whole) to whatever can start an item.
    mutating func skipToTopLevelItem() {
        repeat {
            if tok.kind == .leftBrace { skipPastBlock() } else { next(.attachPoint) }
        } while tok.kind != .endOfFile && !startsTopLevelItem
    }

    var startsTopLevelItem: Bool {
        switch tok.kind {
        case .attachPoint, .directive, .configKeyword: return true
        case .identifier: return CTypeDefinition.Kind(rawValue: tok.text) != nil
        default: return false
        }
    }

    // MARK: - Program and probes

    /// program = { directive | cTypeDefinition | config | probe } .
    mutating func parseProgram() -> Program {
        var program = Program()
        while tok.kind != .endOfFile {
            do {
                try parseTopLevelItem(into: &program)
            } catch {
                record(error)
                skipPastBlock()
            }
        }
        return program
    }

    mutating func parseTopLevelItem(into program: inout Program) throws(Diagnostic) {
        switch tok.kind {
        case .attachPoint:
            seenProbe = true
            program.probes.append(try parseProbe())
        case .directive:
            checkPreambleOrder("preprocessor directives")
            parseDirective(into: &program.preamble)
        case .configKeyword:
            checkPreambleOrder("config")
            program.config += try parseConfig()
        case .identifier where CTypeDefinition.Kind(rawValue: tok.text) != nil:
            checkPreambleOrder("C definitions")
            var nested: [CTypeDefinition] = []
            let definition = try parseCTypeDefinition(nested: &nested)
            // Structs defined inside it come first: its layout needs theirs.
            program.preamble.types += nested + [definition]
        default:
            record(unexpected())
            skipToTopLevelItem()
        }
    }

    /// The preamble is compiled before the probes, so it has to be written before them too.
    mutating func checkPreambleOrder(_ what: String) {
        if seenProbe { record(.error(tok.range, SyntaxMessage.preambleAfterProbes(what))) }
    }

    /// probe = attachPoint { "," attachPoint } [ "/" expr "/" ] block .
    mutating func parseProbe() throws(Diagnostic) -> Probe {
        var attachPoints = [parseAttachPoint()]
        while tok.kind == .comma {
            next(.attachPoint)
            guard tok.kind == .attachPoint else { throw unexpected(expecting: .attachPoint) }
            attachPoints.append(parseAttachPoint())
        }
        var predicate: Expr?
        if tok.kind == .slash { predicate = try parsePredicate() }
        let body = try parseBlock(then: .attachPoint)
        return Probe(attachPoints: attachPoints, predicate: predicate, body: body,
                     range: attachPoints[0].range.union(body.range))
    }

    /// Splits the attach point token at the `:`s outside double quotes and drops the quotes.
    mutating func parseAttachPoint() -> AttachPoint {
        let token = tok
        next()
        var segments: [[UInt8]] = [[]]
        var quoted = false
        var escaped = false
        for c in token.text.utf8 {
            // `"\"name\""`: inside quotes a backslash keeps the next character (a quote) as is.
            if escaped {
                segments[segments.count - 1].append(c)
                escaped = false
            } else if quoted && c == UInt8(ascii: "\\") {
                escaped = true
            } else if c == UInt8(ascii: "\"") {
                quoted.toggle()
            } else if c == UInt8(ascii: ":") && !quoted {
                segments.append([])
            } else {
                segments[segments.count - 1].append(c)
            }
        }
        let names = segments.map { String(decoding: $0, as: UTF8.self) }
        return AttachPoint(provider: names[0], parts: Array(names.dropFirst()), text: token.text, range: token.range)
    }

    /// predicate = "/" expr "/" . A `/` at the predicate's top level closes it.
    mutating func parsePredicate() throws(Diagnostic) -> Expr {
        next()
        let saved = (inPredicate, exprLevel)
        (inPredicate, exprLevel) = (true, 0)
        defer { (inPredicate, exprLevel) = saved }
        let condition = try parseExpr()
        try expect(.slash)
        return condition
    }

    // MARK: - Blocks and statements

    /// block = "{" { statement [ ";" ] } "}" . The token after the `}` is scanned in `mode`.
    mutating func parseBlock(then mode: Lexer.Mode = .normal) throws(Diagnostic) -> Block {
        try enterNesting()
        defer { nesting -= 1 }
        let open = try expect(.leftBrace)
        var statements: [Stmt] = []
        while tok.kind != .rightBrace && tok.kind != .endOfFile {
            if tok.kind == .semicolon {
                next()
                continue
            }
            do {
                let statement = try parseStatement()
                statements.append(statement)
                try parseStatementEnd(after: statement)
            } catch {
                record(error)
                syncStatement()
            }
        }
        let close = try expect(.rightBrace, then: mode)
        return Block(statements, range: open.range.union(close.range))
    }

    /// A simple statement ends with `;` or at the block's `}`; one ending in a block needs neither.
    /// At the end of file the block reports the missing `}`.
    mutating func parseStatementEnd(after statement: Stmt) throws(Diagnostic) {
        switch tok.kind {
        case .semicolon:
            next()
        case .rightBrace, .endOfFile:
            break
        default:
            switch statement.kind {
            case .ifElse, .unroll, .whileLoop, .forMap: break
            default: throw unexpected()
            }
        }
    }

    mutating func parseStatement() throws(Diagnostic) -> Stmt {
        switch tok.kind {
        case .ifKeyword: return try parseIfStmt()
        case .unrollKeyword: return try parseUnrollStmt()
        case .whileKeyword: return try parseWhileStmt()
        case .forKeyword: return try parseForStmt()
        case .breakKeyword, .continueKeyword, .returnKeyword:
            let token = tok
            next()
            let kind: Stmt.Kind = token.kind == .breakKeyword ? .breakLoop
                : token.kind == .continueKeyword ? .continueLoop : .returnProbe
            return Stmt(kind, range: token.range)
        default:
            return try parseSimpleStmt()
        }
    }

    /// simpleStmt = expr | ( variable | map ) assignOp expr .
    mutating func parseSimpleStmt() throws(Diagnostic) -> Stmt {
        let target = try parseExpr()
        guard let op = tok.kind.assignmentOperator else {
            return Stmt(.expr(target), range: target.range)
        }
        switch target.kind {
        case .variable, .map: break
        default: throw unexpected()
        }
        next()
        let value = try parseExpr()
        return Stmt(.assign(target: target, op: op, value: value), range: target.range.union(value.range))
    }

    /// ifStmt = "if" "(" expr ")" block [ "else" ( ifStmt | block ) ] .
    mutating func parseIfStmt() throws(Diagnostic) -> Stmt {
        // `else if` recurses here without passing through a block.
        try enterNesting()
        defer { nesting -= 1 }
        let start = tok.range
        next()
        let condition = try parseParenthesizedExpr()
        let then = try parseBlock()
        var otherwise: Block?
        if tok.kind == .elseKeyword {
            next()
            if tok.kind == .ifKeyword {
                let elseIf = try parseIfStmt()
                otherwise = Block([elseIf], range: elseIf.range)
            } else if tok.kind == .leftBrace {
                otherwise = try parseBlock()
            } else {
                let found = tok.kind == .endOfFile ? TokenKind.endOfFile.rawValue : file.text(of: tok.range)
                throw .error(tok.range, "syntax error, unexpected \(found), expecting { or if")
            }
        }
        return Stmt(.ifElse(condition: condition, then: then, otherwise: otherwise),
                    range: start.union(otherwise?.range ?? then.range))
    }

    /// unrollStmt = "unroll" "(" expr ")" block .
    mutating func parseUnrollStmt() throws(Diagnostic) -> Stmt {
        let start = tok.range
        next()
        let count = try parseParenthesizedExpr()
        let body = try parseBlock()
        return Stmt(.unroll(count: count, body: body), range: start.union(body.range))
    }

    /// whileStmt = "while" "(" expr ")" block .
    mutating func parseWhileStmt() throws(Diagnostic) -> Stmt {
        let start = tok.range
        next()
        let condition = try parseParenthesizedExpr()
        let body = try parseBlock()
        return Stmt(.whileLoop(condition: condition, body: body), range: start.union(body.range))
    }

    /// forStmt = "for" "(" variable ":" map ")" block .
    mutating func parseForStmt() throws(Diagnostic) -> Stmt {
        let start = tok.range
        next()
        try expect(.leftParen)
        let variable = try expect(.variable)
        try expect(.colon)
        let map = try expect(.map)
        try expect(.rightParen)
        let body = try parseBlock()
        return Stmt(.forMap(variable: variable.text, map: Expr(.map(name: map.text, keys: []), range: map.range), body: body),
                    range: start.union(body.range))
    }

    /// "(" expr ")" after `if`, `while` and `unroll`.
    mutating func parseParenthesizedExpr() throws(Diagnostic) -> Expr {
        try expect(.leftParen)
        exprLevel += 1
        defer { exprLevel -= 1 }
        let expr = try parseExpr()
        try expect(.rightParen)
        return expr
    }
}
