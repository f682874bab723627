/// The part of a script before its probes: `#` directives, C type definitions and `config`.
extension Parser {
    /// Directives that a C preprocessor would act on but that leave nothing for us to record.
    /// Conditionals are not evaluated: whatever they enclose is read in either case.
    static let ignoredDirectives: Set<String> = ["", "if", "ifdef", "ifndef", "elif", "else", "endif", "pragma"]

    /// directive = "#include" ( "<" path ">" | "\"" path "\"" ) | "#define" identifier body | … .
    /// The lexer hands over the whole line; errors here are reported without stopping anything.
    mutating func parseDirective(into preamble: inout Preamble) {
        let token = tok
        next(.attachPoint)
        var line = DirectiveLine(token)
        line.skip(1) // "#"
        line.skipBlanks()
        let word = line.word()
        switch word.text {
        case "include":
            line.skipBlanks()
            let quoted = line.rest()
            guard let path = line.includePath() else {
                record(.error(line.rest(), SyntaxMessage.includeWithoutFile))
                return
            }
            preamble.includes.append(path)
            preamble.includeRanges.append(SourceRange(quoted.start, line.rest().start))
            preamble.includeQuoted.append(token.text.utf8.contains(UInt8(ascii: "\"")))
        case "define":
            line.skipBlanks()
            let name = line.word()
            guard !name.text.isEmpty else {
                record(.error(line.rest(), SyntaxMessage.defineWithoutName))
                return
            }
            preamble.defines.append(MacroDefinition(name: name.text, body: line.macroBody(), range: token.range))
        case "undef":
            line.skipBlanks()
            let name = line.word().text
            preamble.defines.removeAll { $0.name == name }
        case let other where Self.ignoredDirectives.contains(other):
            break
        default:
            record(.error(SourceRange(token.range.start, word.range.end), SyntaxMessage.invalidDirective(word.text)))
        }
    }

    /// config = "config" "=" "{" { identifier "=" expr [ ";" ] } "}" .
    mutating func parseConfig() throws(Diagnostic) -> [ConfigSetting] {
        next()
        try expect(.assign)
        try expect(.leftBrace)
        var settings: [ConfigSetting] = []
        while tok.kind != .rightBrace {
            let key = try expect(.identifier)
            try expect(.assign)
            let value = try parseExpr()
            settings.append(ConfigSetting(key: key.text, value: value, range: key.range.union(value.range)))
            if tok.kind == .semicolon {
                next()
            } else if tok.kind != .rightBrace {
                throw unexpected()
            }
        }
        try expect(.rightBrace, then: .attachPoint)
        return settings
    }

    /// cTypeDefinition = ( "struct" | "union" ) identifier "{" { fieldDeclaration } "}" [ ";" ]
    ///                 | "enum" identifier "{" enumerator { "," enumerator } [ "," ] "}" [ ";" ] .
    mutating func parseCTypeDefinition(nested: inout [CTypeDefinition]) throws(Diagnostic) -> CTypeDefinition {
        let start = tok.range
        let kind = CTypeDefinition.Kind(rawValue: tok.text) ?? .structType
        next()
        let name = try expect(.identifier)
        typeNames.insert(name.text)
        try expect(.leftBrace)
        var definition = CTypeDefinition(kind: kind, name: name.text, range: start)
        if kind == .enumType {
            definition.enumerators = try parseEnumerators()
        } else {
            definition.fields = parseFieldList(in: name.text, nested: &nested)
        }
        var end = try expect(.rightBrace, then: .attachPoint).range
        if tok.kind == .semicolon {
            end = tok.range
            next(.attachPoint)
        }
        definition.range = start.union(end)
        return definition
    }

    /// `struct { … }` (or `struct tag { … }`) as a member's type: the definition goes to
    /// `nested`, under its tag or a name made from where it is (`Foo.y`); returns that name.
    mutating func parseNestedDefinition(in outer: String, nested: inout [CTypeDefinition]) throws(Diagnostic) -> (name: String, range: SourceRange) {
        let start = tok.range
        let kind = CTypeDefinition.Kind(rawValue: tok.text) ?? .structType
        next()
        var tag: String?
        if tok.kind == .identifier {
            tag = tok.text
            next()
        }
        try expect(.leftBrace)
        let name = tag ?? "\(outer).\(nested.count)"
        var definition = CTypeDefinition(kind: kind, name: name, range: start)
        if kind == .enumType {
            definition.enumerators = try parseEnumerators()
        } else {
            definition.fields = parseFieldList(in: name, nested: &nested)
        }
        let end = try expect(.rightBrace)
        definition.range = start.union(end.range)
        nested.append(definition)
        return ("\(kind.rawValue) \(name)", start.union(end.range))
    }

    /// The fields up to the closing `}`; a bad declaration is reported and skipped.
    mutating func parseFieldList(in outer: String, nested: inout [CTypeDefinition]) -> [CTypeDefinition.Field] {
        var fields: [CTypeDefinition.Field] = []
        while tok.kind != .rightBrace && tok.kind != .endOfFile {
            if tok.kind == .semicolon {
                next()
                continue
            }
            do {
                fields += try parseFieldDeclaration(in: outer, nested: &nested)
            } catch {
                record(error)
                syncStatement()
            }
        }
        return fields
    }

    /// fieldDeclaration = ( typeSpecifier | nestedDefinition ) [ declarator { "," declarator } ] ( ";" | before "}" ) .
    /// declarator = { "*" } identifier { "[" integer "]" } [ ":" integer ] .
    /// A nested struct or union without a declarator is an anonymous member; the last
    /// declaration may end at the `}` without its `;`, as clang accepts it for bpftrace.
    mutating func parseFieldDeclaration(in outer: String, nested: inout [CTypeDefinition]) throws(Diagnostic) -> [CTypeDefinition.Field] {
        let base: (name: String, range: SourceRange)
        if tok.kind == .identifier, CTypeDefinition.Kind(rawValue: tok.text) != nil, definesNestedType() {
            base = try parseNestedDefinition(in: outer, nested: &nested)
            if tok.kind == .semicolon || tok.kind == .rightBrace {
                if tok.kind == .semicolon { next() }
                return [.init(type: TypeName(name: base.name, range: base.range), name: "", range: base.range)]
            }
        } else {
            base = try parseTypeSpecifier()
        }
        var fields: [CTypeDefinition.Field] = []
        while true {
            var typeRange = base.range
            var pointerDepth = 0
            while tok.kind == .star {
                pointerDepth += 1
                typeRange = typeRange.union(tok.range)
                next()
            }
            let name = try expect(.identifier)
            var end = name.range
            var arrayCount: Int?
            var innerCounts: [Int] = []
            while tok.kind == .leftBracket {
                next()
                let count = try parseCount().value
                if arrayCount == nil { arrayCount = count } else { innerCounts.append(count) }
                end = try expect(.rightBracket).range
            }
            var bitWidth: Int?
            if tok.kind == .colon {
                next()
                let width = try parseCount()
                bitWidth = width.value
                end = width.range
            }
            let type = TypeName(name: base.name, pointerDepth: pointerDepth, range: typeRange)
            var field = CTypeDefinition.Field(type: type, name: name.text, arrayCount: arrayCount, bitWidth: bitWidth,
                                              range: base.range.union(end))
            field.innerArrayCounts = innerCounts
            fields.append(field)
            guard tok.kind == .comma else { break }
            next()
        }
        if tok.kind != .rightBrace { try expect(.semicolon) }
        return fields
    }

    /// Whether the `struct`/`union` keyword in `tok` opens a definition (`struct {`,
    /// `struct tag {`) rather than naming a type; looks ahead on a copy of the lexer.
    func definesNestedType() -> Bool {
        var ahead = lexer
        let first = ahead.scan(.normal)
        if first.kind == .leftBrace { return true }
        return first.kind == .identifier && ahead.scan(.normal).kind == .leftBrace
    }

    /// An array length or bit width: an integer literal that fits an `Int`.
    mutating func parseCount() throws(Diagnostic) -> (value: Int, range: SourceRange) {
        let literal = try expect(.integer)
        guard let count = Int(exactly: literal.value) else {
            throw .error(literal.range, SyntaxMessage.integerTooLarge)
        }
        return (count, literal.range)
    }

    /// Enumerators up to the closing `}`: each takes the value written, or one more than the previous.
    mutating func parseEnumerators() throws(Diagnostic) -> [(name: String, value: Int64)] {
        var enumerators: [(name: String, value: Int64)] = []
        var nextValue: Int64? = 0
        while tok.kind != .rightBrace {
            let name = try expect(.identifier)
            let value: Int64
            if tok.kind == .assign {
                next()
                value = try parseEnumeratorValue()
            } else if let nextValue {
                value = nextValue
            } else {
                throw .error(name.range, SyntaxMessage.enumeratorTooLarge)
            }
            enumerators.append((name.text, value))
            nextValue = value == .max ? nil : value + 1
            guard tok.kind == .comma else { break }
            next()
        }
        return enumerators
    }

    /// enumeratorValue = [ "-" ] integer .
    mutating func parseEnumeratorValue() throws(Diagnostic) -> Int64 {
        let start = tok.range
        let negative = tok.kind == .minus
        if negative { next() }
        let literal = try expect(.integer)
        let magnitude = literal.value
        if negative, magnitude <= UInt64(Int64.max) + 1 {
            return Int64(bitPattern: 0 &- magnitude)
        }
        if !negative, let value = Int64(exactly: magnitude) {
            return value
        }
        throw .error(start.union(literal.range), SyntaxMessage.enumeratorTooLarge)
    }
}

/// A directive's raw text with a read position, for taking it apart.
struct DirectiveLine {
    private let bytes: [UInt8]
    private let base: Int
    private var index = 0

    init(_ token: Token) {
        bytes = Array(token.text.utf8)
        base = token.range.start
    }

    mutating func skip(_ count: Int) { index = min(bytes.count, index + count) }

    /// Spaces, tabs and `\`-newline continuations.
    mutating func skipBlanks() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: "\\"):
                index += 1
            default:
                return
            }
        }
    }

    /// The identifier at the read position (empty if none) and its source range.
    mutating func word() -> (text: String, range: SourceRange) {
        let start = index
        while index < bytes.count, isWordByte(bytes[index], first: index == start) { index += 1 }
        return (String(decoding: bytes[start..<index], as: UTF8.self), SourceRange(base + start, base + index))
    }

    /// From the read position to the end of the line (at least one column, even past its end):
    /// where a missing operand would have been.
    func rest() -> SourceRange {
        SourceRange(base + index, base + max(bytes.count, index + 1))
    }

    /// `<path>` or `"path"`, with nothing but blanks or a comment after it.
    mutating func includePath() -> String? {
        guard index < bytes.count else { return nil }
        let close: UInt8
        switch bytes[index] {
        case UInt8(ascii: "<"): close = UInt8(ascii: ">")
        case UInt8(ascii: "\""): close = UInt8(ascii: "\"")
        default: return nil
        }
        let start = index + 1
        guard let end = bytes[start...].firstIndex(of: close), end > start else { return nil }
        index = end + 1
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The rest of the line with continuations joined and comments dropped (outside quotes), trimmed.
    mutating func macroBody() -> String {
        var body: [UInt8] = []
        var quote: UInt8?
        while index < bytes.count {
            let c = bytes[index]
            let following: UInt8? = index + 1 < bytes.count ? bytes[index + 1] : nil
            if let open = quote {
                body.append(c)
                if c == UInt8(ascii: "\\"), let following, following != UInt8(ascii: "\n") {
                    body.append(following)
                    index += 1
                } else if c == open {
                    quote = nil
                }
            } else if c == UInt8(ascii: "\\") && (following == UInt8(ascii: "\n") || following == UInt8(ascii: "\r")) {
                body.append(UInt8(ascii: " "))
                while index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\r") || bytes[index + 1] == UInt8(ascii: "\n") {
                    index += 1
                }
            } else if c == UInt8(ascii: "/") && following == UInt8(ascii: "/") {
                break
            } else if c == UInt8(ascii: "/") && following == UInt8(ascii: "*") {
                index += 2
                while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) {
                    index += 1
                }
                index += 1
                body.append(UInt8(ascii: " "))
            } else {
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { quote = c }
                body.append(c)
            }
            index += 1
        }
        let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
        let trimmed = body.drop(while: isBlank).reversed().drop(while: isBlank).reversed()
        return String(decoding: Array(trimmed), as: UTF8.self)
    }

    private func isWordByte(_ c: UInt8, first: Bool) -> Bool {
        let letter = (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z")
        let digit = c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
        return letter || c == UInt8(ascii: "_") || (!first && digit)
    }
}
