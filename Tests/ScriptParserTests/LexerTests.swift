import XCTest
@testable import ScriptParser

final class LexerTests: XCTestCase {
    /// All tokens of `source` up to end of file, the first scanned in `mode`, plus the errors.
    private func scan(_ source: String, mode: Lexer.Mode = .normal) -> ([Token], [String]) {
        let file = SourceFile(name: "test.st", text: source)
        var lexer = Lexer(file)
        var tokens: [Token] = []
        var current = mode
        while tokens.count < 10_000 {
            let token = lexer.scan(current)
            if token.kind == .endOfFile { break }
            tokens.append(token)
            current = .normal
        }
        let errors = lexer.takeDiagnostics().map { d -> String in
            let (line, column) = file.location(of: d.range.start)
            let endColumn = file.location(of: d.range.end).column
            return "\(line):\(column)-\(endColumn): \(d.message)"
        }
        return (tokens, errors)
    }

    private func kinds(_ source: String) -> [TokenKind] {
        scan(source).0.map(\.kind)
    }

    private func single(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> Token? {
        let (tokens, errors) = scan(source)
        XCTAssertEqual(tokens.count, 1, "tokens of \(source)", file: file, line: line)
        XCTAssertEqual(errors, [], "errors of \(source)", file: file, line: line)
        return tokens.first
    }

    private func integer(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> UInt64? {
        guard let token = single(source, file: file, line: line) else { return nil }
        XCTAssertEqual(token.kind, .integer, file: file, line: line)
        return token.value
    }

    private func string(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> [UInt8]? {
        guard let token = single(source, file: file, line: line) else { return nil }
        XCTAssertEqual(token.kind, .string, file: file, line: line)
        return token.bytes
    }

    // MARK: - Punctuation and operators

    func testEveryOperatorAndPunctuation() {
        let expected: [(String, TokenKind)] = [
            ("(", .leftParen), (")", .rightParen), ("{", .leftBrace), ("}", .rightBrace),
            ("[", .leftBracket), ("]", .rightBracket), (",", .comma), (";", .semicolon), (":", .colon),
            ("?", .question), (".", .dot), ("->", .arrow), ("+", .plus), ("-", .minus), ("*", .star),
            ("/", .slash), ("%", .percent), ("&", .ampersand), ("|", .pipe), ("^", .caret), ("~", .tilde),
            ("!", .bang), ("<<", .shiftLeft), (">>", .shiftRight), ("==", .equal), ("!=", .notEqual),
            ("<", .less), ("<=", .lessEqual), (">", .greater), (">=", .greaterEqual), ("&&", .logicalAnd),
            ("||", .logicalOr), ("++", .increment), ("--", .decrement), ("=", .assign), ("+=", .plusAssign),
            ("-=", .minusAssign), ("*=", .starAssign), ("/=", .slashAssign), ("%=", .percentAssign),
            ("&=", .ampersandAssign), ("|=", .pipeAssign), ("^=", .caretAssign), ("<<=", .shiftLeftAssign),
            (">>=", .shiftRightAssign),
        ]
        for (spelling, kind) in expected {
            XCTAssertEqual(single(spelling)?.kind, kind, spelling)
        }
        XCTAssertEqual(kinds(expected.map(\.0).joined(separator: " ")), expected.map(\.1))
    }

    func testLongestMatchWins() {
        XCTAssertEqual(kinds("a<<=b"), [.identifier, .shiftLeftAssign, .identifier])
        XCTAssertEqual(kinds("a<<b"), [.identifier, .shiftLeft, .identifier])
        XCTAssertEqual(kinds("x+++y"), [.identifier, .increment, .plus, .identifier])
        XCTAssertEqual(kinds("p->f"), [.identifier, .arrow, .identifier])
        XCTAssertEqual(kinds("a-->b"), [.identifier, .decrement, .greater, .identifier])
        XCTAssertEqual(kinds("!!x"), [.bang, .bang, .identifier])
        XCTAssertEqual(kinds("a&&&b"), [.identifier, .logicalAnd, .ampersand, .identifier])
    }

    // MARK: - Words

    func testKeywords() {
        for (spelling, kind) in TokenKind.keywords {
            let token = single(spelling)
            XCTAssertEqual(token?.kind, kind)
            XCTAssertEqual(token?.text, spelling)
        }
        // Near misses and type words stay identifiers.
        for word in ["iff", "If", "struct", "int", "uint64", "BEGIN", "END", "pid", "_x1", "sizeof_"] {
            XCTAssertEqual(single(word)?.kind, .identifier, word)
            XCTAssertEqual(single(word)?.text, word)
        }
    }

    func testVariablesMapsAndPositionals() {
        XCTAssertEqual(single("$x")?.kind, .variable)
        XCTAssertEqual(single("$my_var2")?.text, "my_var2")
        XCTAssertEqual(single("@")?.kind, .map)
        XCTAssertEqual(single("@")?.text, "")
        XCTAssertEqual(single("@start_ts")?.text, "start_ts")
        XCTAssertEqual(single("@1")?.text, "1")
        XCTAssertEqual(single("$1")?.kind, .positional)
        XCTAssertEqual(single("$12")?.value, 12)
        XCTAssertEqual(single("$#")?.kind, .positionalCount)
        XCTAssertEqual(kinds("@m[$1]"), [.map, .leftBracket, .positional, .rightBracket])
        XCTAssertEqual(scan("$").1, ["1:1-2: invalid character '$'"])
        XCTAssertEqual(scan("$99999999999999999999999").1, ["1:1-25: integer literal is too large"])
    }

    // MARK: - Numbers

    func testDecimalHexOctal() {
        XCTAssertEqual(integer("0"), 0)
        XCTAssertEqual(integer("42"), 42)
        XCTAssertEqual(integer("0x1F"), 31)
        XCTAssertEqual(integer("0X1f"), 31)
        XCTAssertEqual(integer("0xffffffffffffffff"), UInt64.max)
        XCTAssertEqual(integer("017"), 15)
        XCTAssertEqual(integer("00"), 0)
        XCTAssertEqual(integer("18446744073709551615"), UInt64.max)
    }

    func testUnderscoreSeparators() {
        XCTAssertEqual(integer("1_000_000"), 1_000_000)
        XCTAssertEqual(integer("0xffff_ffff"), 0xffff_ffff)
    }

    func testExponentForm() {
        XCTAssertEqual(integer("1e6"), 1_000_000)
        XCTAssertEqual(integer("5e3"), 5000)
        XCTAssertEqual(integer("5E3"), 5000)
        XCTAssertEqual(integer("2e+2"), 200)
        XCTAssertEqual(integer("1500e-2"), 15)
        XCTAssertEqual(integer("0e99"), 0)
        XCTAssertEqual(integer("1e19"), 10_000_000_000_000_000_000)
        // In hex, `e` is a digit and `-` the operator.
        XCTAssertEqual(kinds("0x1e-1"), [.integer, .minus, .integer])
    }

    func testBadNumbers() {
        XCTAssertEqual(scan("18446744073709551616").1, ["1:1-21: integer literal is too large"])
        XCTAssertEqual(scan("0x1ffffffffffffffff").1, ["1:1-20: integer literal is too large"])
        XCTAssertEqual(scan("1e20").1, ["1:1-5: integer literal is too large"])
        XCTAssertEqual(scan("5e-1").1, ["1:1-5: integer literal is not integral"])
        XCTAssertEqual(scan("0x").1, ["1:1-3: invalid integer literal '0x'"])
        XCTAssertEqual(scan("089").1, ["1:1-4: invalid integer literal '089'"])
        XCTAssertEqual(scan("12abc").1, ["1:1-6: invalid integer literal '12abc'"])
        XCTAssertEqual(scan("1e").1, ["1:1-3: invalid integer literal '1e'"])
        // A bad literal is still one integer token, so the parser sees no second problem.
        XCTAssertEqual(kinds("12abc + 1"), [.integer, .plus, .integer])
    }

    // MARK: - Strings

    func testStringsAndEscapes() {
        XCTAssertEqual(string(#""""#), [])
        XCTAssertEqual(string(#""hello""#), Array("hello".utf8))
        XCTAssertEqual(string(#""a\nb\tc\rd""#), [0x61, 0x0A, 0x62, 0x09, 0x63, 0x0D, 0x64])
        XCTAssertEqual(string(#""\"\\\'""#), [0x22, 0x5C, 0x27])
        XCTAssertEqual(string(#""\0""#), [0])
        XCTAssertEqual(string(#""\101\60\7""#), [0x41, 0x30, 0x07])
        XCTAssertEqual(string(#""\1011""#), [0x41, 0x31]) // at most three octal digits
        XCTAssertEqual(string(#""\x41\x9\xffz""#), [0x41, 0x09, 0xFF, 0x7A])
        XCTAssertEqual(string("\"hé\""), [0x68, 0xC3, 0xA9])
        XCTAssertEqual(string(#""%s // not a comment /* nor this */""#), Array("%s // not a comment /* nor this */".utf8))
    }

    func testBadStrings() {
        XCTAssertEqual(scan(#""abc"#).1, ["1:1-5: unterminated string"])
        XCTAssertEqual(scan("\"abc\n\"").1, ["1:1-5: unterminated string", "2:1-2: unterminated string"])
        XCTAssertEqual(scan(#""abc\"#).1, ["1:1-6: unterminated string"])
        XCTAssertEqual(scan(#""a\qb""#).1, [#"1:3-5: invalid escape sequence '\q'"#])
        XCTAssertEqual(scan(#""\x""#).1, [#"1:2-4: invalid escape sequence '\x'"#])
        XCTAssertEqual(scan(#""\777""#).1, [#"1:2-6: invalid escape sequence '\777'"#])
        // A bad escape keeps its text, and the string goes on.
        let (tokens, _) = scan(#""a\qb" x"#)
        XCTAssertEqual(tokens.map(\.kind), [.string, .identifier])
        XCTAssertEqual(tokens.first?.bytes, Array(#"a\qb"#.utf8))
    }

    // MARK: - Comments, whitespace and bad characters

    func testComments() {
        XCTAssertEqual(kinds("a // comment\nb"), [.identifier, .identifier])
        XCTAssertEqual(kinds("a /* multi\nline */ b"), [.identifier, .identifier])
        XCTAssertEqual(kinds("a/**/b"), [.identifier, .identifier])
        XCTAssertEqual(kinds("a /* /* */ b"), [.identifier, .identifier])
        XCTAssertEqual(kinds("// only a comment"), [])
        XCTAssertEqual(kinds("a / b"), [.identifier, .slash, .identifier])
        XCTAssertEqual(scan("a /* never closed").1, ["1:3-5: unterminated comment"])
        XCTAssertEqual(kinds("a /* never closed"), [.identifier])
    }

    func testInvalidCharacters() {
        XCTAssertEqual(scan("a # b").1, ["1:3-4: invalid character '#'"])
        XCTAssertEqual(kinds("a # b"), [.identifier, .invalid, .identifier])
        XCTAssertEqual(scan("`").1, ["1:1-2: invalid character '`'"])
        XCTAssertEqual(scan("é").1, ["1:1-3: invalid character 'é'"])
        XCTAssertEqual(scan("\u{1}").1, [#"1:1-2: invalid character '\x01'"#])
    }

    func testPositions() {
        let (tokens, _) = scan("if ($x >= 10)\n  @m[\"k\"]++;")
        let ranges = tokens.map { "\($0.range.start)-\($0.range.end)" }
        XCTAssertEqual(ranges, ["0-2", "3-4", "4-6", "7-9", "10-12", "12-13", "16-18", "18-19", "19-22", "22-23", "23-25", "25-26"])
        XCTAssertEqual(tokens.map(\.kind), [.ifKeyword, .leftParen, .variable, .greaterEqual, .integer, .rightParen,
                                            .map, .leftBracket, .string, .rightBracket, .increment, .semicolon])
    }

    func testEndOfFilePointsAtLastByte() {
        var lexer = Lexer(SourceFile(name: "t", text: "ab  "))
        _ = lexer.scan()
        XCTAssertEqual(lexer.scan().range, SourceRange(3, 4))
        var empty = Lexer(SourceFile(name: "t", text: ""))
        XCTAssertEqual(empty.scan().kind, .endOfFile)
        XCTAssertEqual(empty.scan().kind, .endOfFile) // and stays there
    }

    // MARK: - Attach point mode

    private func attachPoint(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> Token? {
        let (tokens, errors) = scan(source, mode: .attachPoint)
        XCTAssertEqual(errors, [], file: file, line: line)
        XCTAssertEqual(tokens.first?.kind, .attachPoint, source, file: file, line: line)
        return tokens.first
    }

    func testAttachPointsAreOneToken() {
        let examples = [
            "BEGIN", "END", "t:syscalls:sys_enter_execve", "uprobe:/bin/bash:readline", "kprobe:vfs_*",
            "kprobe:do_sys_open+0x10", "interval:s:1", "usdt:./a.out:prov:name", "tracepoint:syscalls:sys_enter_exec*",
            "u:/lib/x86_64-linux-gnu/libc.so.6:malloc", "software:cpu-clock:100000", "hardware:cache-misses:1000000",
            "profile:hz:99", "kprobe:module:fn", "uprobe:/usr/lib/libstdc++.so.6:_Znwm",
        ]
        for example in examples {
            XCTAssertEqual(attachPoint(example + " { }")?.text, example)
            XCTAssertEqual(attachPoint(example + "{}")?.text, example)
            XCTAssertEqual(attachPoint(example + ",BEGIN")?.text, example)
            XCTAssertEqual(attachPoint("\n  " + example + "\n/pid/")?.text, example)
        }
    }

    func testAttachPointEndsAndWhatFollows() {
        let (tokens, _) = scan("kprobe:f /pid == 1/ {", mode: .attachPoint)
        XCTAssertEqual(tokens.map(\.kind), [.attachPoint, .slash, .identifier, .equal, .integer, .slash, .leftBrace])
        XCTAssertEqual(tokens.first?.range, SourceRange(0, 8))
        // Without whitespace the slash belongs to the path.
        XCTAssertEqual(attachPoint("uprobe:/bin/sh/x{")?.text, "uprobe:/bin/sh/x")
        XCTAssertEqual(attachPoint("BEGIN/*c*/{")?.text, "BEGIN")
        XCTAssertEqual(attachPoint("BEGIN// c\n{")?.text, "BEGIN")
    }

    func testQuotedAttachPointSegments() {
        XCTAssertEqual(attachPoint(#"uprobe:"/path with space":fn {"#)?.text, #"uprobe:"/path with space":fn"#)
        XCTAssertEqual(attachPoint(#"uprobe:"/a,b{c}":"ns::f" {"#)?.text, #"uprobe:"/a,b{c}":"ns::f""#)
        let (_, errors) = scan("uprobe:\"/never closed\n{", mode: .attachPoint)
        XCTAssertEqual(errors, ["1:8-22: unterminated string"])
    }

    func testAttachModeLeavesOtherTokensAlone() {
        func first(_ s: String) -> Token? { scan(s, mode: .attachPoint).0.first }
        XCTAssertEqual(first("}")?.kind, .rightBrace)
        XCTAssertEqual(first(";")?.kind, .semicolon)
        XCTAssertEqual(first("{")?.kind, .leftBrace)
        XCTAssertEqual(first("struct foo {")?.kind, .identifier)
        XCTAssertEqual(first("struct{")?.text, "struct")
        XCTAssertEqual(first("union u {")?.kind, .identifier)
        XCTAssertEqual(first("enum e {")?.kind, .identifier)
        XCTAssertEqual(first("config = {")?.kind, .configKeyword)
        XCTAssertEqual(first("config={")?.kind, .configKeyword)
        XCTAssertEqual(first("structure:x")?.kind, .attachPoint)
        XCTAssertEqual(first("config:x")?.kind, .attachPoint)
    }

    func testDirectives() {
        var lexer = Lexer(SourceFile(name: "t", text: "#include <a.h>\n#define X 1 \\\n  + 2\nBEGIN"))
        let include = lexer.scan(.attachPoint)
        XCTAssertEqual(include.kind, .directive)
        XCTAssertEqual(include.text, "#include <a.h>")
        XCTAssertEqual(include.range, SourceRange(0, 14))
        XCTAssertEqual(lexer.scan(.attachPoint).text, "#define X 1 \\\n  + 2")
        XCTAssertEqual(lexer.scan(.attachPoint).text, "BEGIN")
        // Outside the top level `#` is just a bad character.
        XCTAssertEqual(kinds("#include"), [.invalid, .identifier])
    }
}
