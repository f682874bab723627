/// Turns a script's bytes into tokens, one at a time, on the parser's demand.
///
/// A value type on purpose: the parser looks further ahead (to tell a cast from a parenthesised
/// expression) by scanning a copy, whose errors are thrown away with it.
struct Lexer {
    /// How to read the next token. Attach points are not made of ordinary tokens
    /// (`uprobe:/bin/bash:readline`, `kprobe:vfs_*`), so the parser, which knows when one can
    /// start, asks for them explicitly.
    enum Mode {
        case normal
        /// At the top level: an attach point, a `#` directive, or an ordinary token for anything else.
        case attachPoint
    }

    private let bytes: [UInt8]
    private var offset = 0
    /// Errors found since the parser last took them.
    private(set) var diagnostics: [Diagnostic] = []

    init(_ file: SourceFile) {
        self.bytes = file.bytes
    }

    /// Hands the errors found so far to the caller and forgets them.
    mutating func takeDiagnostics() -> [Diagnostic] {
        defer { diagnostics.removeAll() }
        return diagnostics
    }

    /// Scans the next token. Never fails: problems are recorded in `diagnostics`, and a byte that
    /// starts no token comes back as `.invalid`.
    mutating func scan(_ mode: Mode = .normal) -> Token {
        skipWhitespaceAndComments()
        guard offset < bytes.count else {
            // Errors at the end point at the last byte, so the renderer has a column to underline.
            return Token(.endOfFile, SourceRange(max(0, bytes.count - 1), bytes.count))
        }
        if mode == .attachPoint {
            if bytes[offset] == UInt8(ascii: "#") { return scanDirective() }
            if startsAttachPoint(bytes[offset]) && !atPreambleKeyword() { return scanAttachPoint() }
        }
        return scanToken()
    }

    // MARK: - Whitespace and comments

    private mutating func skipWhitespaceAndComments() {
        while offset < bytes.count {
            let c = bytes[offset]
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r")
                || c == 0x0B || c == 0x0C {
                offset += 1
            } else if c == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "/") {
                while offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") { offset += 1 }
            } else if c == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                let start = offset
                offset += 2
                while offset < bytes.count, !(bytes[offset] == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/")) {
                    offset += 1
                }
                if offset < bytes.count {
                    offset += 2
                } else {
                    report(SourceRange(start, start + 2), SyntaxMessage.unterminatedComment)
                }
            } else {
                return
            }
        }
    }

    // MARK: - Ordinary tokens

    private mutating func scanToken() -> Token {
        let start = offset
        let c = bytes[offset]
        if isIdentifierStart(c) {
            let name = scanWord()
            let kind = TokenKind.keywords[name] ?? .identifier
            return Token(kind, SourceRange(start, offset), text: name)
        }
        if isDigit(c) { return scanNumber() }
        switch c {
        case UInt8(ascii: "\""): return scanString()
        case UInt8(ascii: "$"): return scanDollar()
        case UInt8(ascii: "@"):
            offset += 1
            while offset < bytes.count, isIdentifierPart(bytes[offset]) { offset += 1 }
            return Token(.map, SourceRange(start, offset), text: text(start + 1, offset))
        default: break
        }
        if let kind = scanPunctuation() {
            return Token(kind, SourceRange(start, offset))
        }
        return scanInvalidCharacter()
    }

    /// The longest operator or punctuation mark at `offset`, consumed.
    private mutating func scanPunctuation() -> TokenKind? {
        // Longest first, so `<<=` wins over `<<` and `<`.
        for length in (1...3).reversed() where offset + length <= bytes.count {
            let spelling = text(offset, offset + length)
            if let kind = Self.punctuation[spelling] {
                offset += length
                return kind
            }
        }
        return nil
    }

    private static let punctuation: [String: TokenKind] = {
        var table: [String: TokenKind] = [:]
        for kind in TokenKind.allCases where !kind.isKeyword {
            let spelling = kind.rawValue
            if !spelling.isEmpty, spelling.utf8.count <= 3,
               spelling.utf8.allSatisfy({ !isLetterOrSpace($0) }), kind != .positionalCount {
                table[spelling] = kind
            }
        }
        return table
    }()

    private static func isLetterOrSpace(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
    }

    private mutating func scanInvalidCharacter() -> Token {
        let start = offset
        // Show the whole UTF-8 character, not its first byte.
        let lead = bytes[offset]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        offset += 1
        while offset < bytes.count, offset - start < length, bytes[offset] & 0xC0 == 0x80 { offset += 1 }
        let shown: String
        if lead < 0x20 || lead == 0x7F || (lead >= 0x80 && offset - start < 2) {
            shown = "\\x" + hex(lead)
        } else {
            shown = text(start, offset)
        }
        report(SourceRange(start, offset), SyntaxMessage.invalidCharacter(shown))
        return Token(.invalid, SourceRange(start, offset))
    }

    /// `$name`, `$1`, `$#`.
    private mutating func scanDollar() -> Token {
        let start = offset
        offset += 1
        if peek(0) == UInt8(ascii: "#") {
            offset += 1
            return Token(.positionalCount, SourceRange(start, offset))
        }
        if let c = peek(0), isDigit(c) {
            var value: UInt64 = 0
            var overflow = false
            while let d = peek(0), isDigit(d) {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(UInt64(d - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                value = plus
                offset += 1
            }
            if overflow {
                report(SourceRange(start, offset), SyntaxMessage.integerTooLarge)
                value = 0
            }
            return Token(.positional, SourceRange(start, offset), value: value)
        }
        if let c = peek(0), isIdentifierStart(c) {
            let name = scanWord()
            return Token(.variable, SourceRange(start, offset), text: name)
        }
        report(SourceRange(start, offset), SyntaxMessage.invalidCharacter("$"))
        return Token(.invalid, SourceRange(start, offset))
    }

    // MARK: - Integer literals

    /// Decimal `42`, `1_000`, exponent `1e6`, octal `017`, hex `0x1F`. The whole run of letters
    /// and digits is taken, so `12ab` is one bad literal rather than `12` followed by `ab`.
    private mutating func scanNumber() -> Token {
        let start = offset
        var value: UInt64?
        if bytes[offset] == UInt8(ascii: "0"), let x = peek(1), x | 0x20 == UInt8(ascii: "x") {
            offset += 2
            let digitsStart = offset
            while let c = peek(0), isHexDigit(c) || c == UInt8(ascii: "_") { offset += 1 }
            value = digitsStart == offset ? nil : accumulate(start: digitsStart, end: offset, base: 16)
        } else {
            while let c = peek(0), isDigit(c) || c == UInt8(ascii: "_") { offset += 1 }
            let mantissaEnd = offset
            if let e = peek(0), e | 0x20 == UInt8(ascii: "e"), let exponentDigits = exponentStart() {
                offset = exponentDigits
                while let c = peek(0), isDigit(c) { offset += 1 }
                value = exponentValue(mantissa: (start, mantissaEnd), exponent: (mantissaEnd + 1, offset))
            } else {
                let octal = bytes[start] == UInt8(ascii: "0") && mantissaEnd - start > 1
                value = accumulate(start: start, end: mantissaEnd, base: octal ? 8 : 10)
            }
        }
        if let c = peek(0), isIdentifierPart(c) {
            while let c = peek(0), isIdentifierPart(c) { offset += 1 }
            value = nil
        }
        let range = SourceRange(start, offset)
        guard let value else {
            // A value that was computed and then thrown away already has its own message.
            if !diagnostics.contains(where: { $0.range.start == start }) {
                report(range, SyntaxMessage.invalidInteger(text(start, offset)))
            }
            return Token(.integer, range)
        }
        return Token(.integer, range, value: value)
    }

    /// Where the exponent's digits start when `offset` is at an `e` that begins one (`e6`, `e+6`, `e-6`).
    private func exponentStart() -> Int? {
        var i = offset + 1
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
        return i < bytes.count && isDigit(bytes[i]) ? i : nil
    }

    /// The digits in `start..<end` (skipping `_`) in `base`; nil, with an error, when invalid or too large.
    private mutating func accumulate(start: Int, end: Int, base: UInt64) -> UInt64? {
        var value: UInt64 = 0
        for i in start..<end where bytes[i] != UInt8(ascii: "_") {
            guard let digit = digitValue(bytes[i]), UInt64(digit) < base else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: base)
            let (plus, o2) = times.addingReportingOverflow(UInt64(digit))
            if o1 || o2 {
                report(SourceRange(offsetOfLiteralStart(start), end), SyntaxMessage.integerTooLarge)
                return nil
            }
            value = plus
        }
        return value
    }

    /// Hex digits start after `0x`; messages cover the whole literal.
    private func offsetOfLiteralStart(_ digitsStart: Int) -> Int {
        if digitsStart >= 2, bytes[digitsStart - 1] | 0x20 == UInt8(ascii: "x"), bytes[digitsStart - 2] == UInt8(ascii: "0") {
            return digitsStart - 2
        }
        return digitsStart
    }

    /// `1e6` → 1000000; `5e-1` is an error because it is not a whole number.
    private mutating func exponentValue(mantissa: (Int, Int), exponent: (Int, Int)) -> UInt64? {
        let literal = SourceRange(mantissa.0, exponent.1)
        guard let base = accumulate(start: mantissa.0, end: mantissa.1, base: 10) else { return nil }
        let negative = bytes[exponent.0] == UInt8(ascii: "-")
        let digitsStart = bytes[exponent.0] == UInt8(ascii: "+") || negative ? exponent.0 + 1 : exponent.0
        var power = 0
        for i in digitsStart..<exponent.1 {
            power = min(power * 10 + Int(bytes[i] - UInt8(ascii: "0")), 1000)
        }
        var value = base
        for _ in 0..<power where value != 0 {
            if negative {
                guard value % 10 == 0 else {
                    report(literal, SyntaxMessage.integerNotIntegral)
                    return nil
                }
                value /= 10
            } else {
                let (times, overflow) = value.multipliedReportingOverflow(by: 10)
                if overflow {
                    report(literal, SyntaxMessage.integerTooLarge)
                    return nil
                }
                value = times
            }
        }
        return value
    }

    // MARK: - String literals

    /// A double-quoted string; the token's `bytes` hold it with escapes decoded.
    /// A string ends at its line: a newline before the closing quote makes it unterminated.
    private mutating func scanString() -> Token {
        let start = offset
        offset += 1
        var decoded: [UInt8] = []
        while true {
            guard let c = peek(0), c != UInt8(ascii: "\n") else {
                report(SourceRange(start, offset), SyntaxMessage.unterminatedString)
                return Token(.string, SourceRange(start, offset), bytes: decoded)
            }
            offset += 1
            if c == UInt8(ascii: "\"") { break }
            if c == UInt8(ascii: "\\") {
                guard let escaped = scanEscape(backslash: offset - 1) else {
                    report(SourceRange(start, offset), SyntaxMessage.unterminatedString)
                    return Token(.string, SourceRange(start, offset), bytes: decoded)
                }
                decoded += escaped
            } else {
                decoded.append(c)
            }
        }
        return Token(.string, SourceRange(start, offset), bytes: decoded)
    }

    /// The bytes an escape stands for, with `offset` just past the backslash; nil when the string
    /// ends right after the backslash. A bad escape is reported and stands for itself.
    private mutating func scanEscape(backslash: Int) -> [UInt8]? {
        guard let c = peek(0), c != UInt8(ascii: "\n") else { return nil }
        offset += 1
        switch c {
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "'"): return [c]
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            var value = Int(c - UInt8(ascii: "0"))
            var count = 1
            while count < 3, let d = peek(0), d >= UInt8(ascii: "0"), d <= UInt8(ascii: "7") {
                value = value * 8 + Int(d - UInt8(ascii: "0"))
                offset += 1
                count += 1
            }
            guard value <= 0xFF else { return invalidEscape(backslash) }
            return [UInt8(value)]
        case UInt8(ascii: "x"):
            var value = 0
            var count = 0
            while count < 2, let d = peek(0), let digit = digitValue(d), digit < 16 {
                value = value * 16 + digit
                offset += 1
                count += 1
            }
            guard count > 0 else { return invalidEscape(backslash) }
            return [UInt8(value)]
        default:
            // Take the whole UTF-8 character so the message shows it intact.
            while let d = peek(0), d & 0xC0 == 0x80 { offset += 1 }
            return invalidEscape(backslash)
        }
    }

    private mutating func invalidEscape(_ backslash: Int) -> [UInt8] {
        report(SourceRange(backslash, offset), SyntaxMessage.invalidEscape(text(backslash, offset)))
        return Array(bytes[backslash..<offset])
    }

    // MARK: - Attach points and directives

    /// Attach points start with a provider name; anything else at the top level is an ordinary
    /// token, so stray punctuation and numbers there stay small, separate mistakes.
    private func startsAttachPoint(_ c: UInt8) -> Bool {
        isIdentifierStart(c)
    }

    /// `struct`, `union`, `enum` and `config` open preamble items, which are made of ordinary
    /// tokens. No provider has those names, so the word alone decides, unless a `:` shows
    /// that it is, after all, an (unknown) provider.
    private func atPreambleKeyword() -> Bool {
        var end = offset
        while end < bytes.count, isIdentifierPart(bytes[end]) { end += 1 }
        guard ["struct", "union", "enum", "config"].contains(text(offset, end)) else { return false }
        return end == bytes.count || bytes[end] != UInt8(ascii: ":")
    }

    /// The longest run up to whitespace, `,`, `{` or a comment; double-quoted segments may hold
    /// any of these. The token's `text` is the raw run, quotes included.
    private mutating func scanAttachPoint() -> Token {
        let start = offset
        scanning: while let c = peek(0) {
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
                 UInt8(ascii: ","), UInt8(ascii: "{"):
                break scanning
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "/") || peek(1) == UInt8(ascii: "*"):
                break scanning
            case UInt8(ascii: "\""):
                let quote = offset
                offset += 1
                while let d = peek(0), d != UInt8(ascii: "\""), d != UInt8(ascii: "\n") { offset += 1 }
                if peek(0) == UInt8(ascii: "\"") {
                    offset += 1
                } else {
                    report(SourceRange(quote, offset), SyntaxMessage.unterminatedString)
                    break scanning
                }
            default:
                offset += 1
            }
        }
        return Token(.attachPoint, SourceRange(start, offset), text: text(start, offset))
    }

    /// A `#` line, continued over lines that end in `\`; the parser takes it apart.
    private mutating func scanDirective() -> Token {
        let start = offset
        while let c = peek(0), c != UInt8(ascii: "\n") {
            if c == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "\n") {
                offset += 2
            } else if c == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "\r"), peek(2) == UInt8(ascii: "\n") {
                offset += 3
            } else {
                offset += 1
            }
        }
        var end = offset
        while end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return Token(.directive, SourceRange(start, end), text: text(start, end))
    }

    // MARK: - Helpers

    private mutating func scanWord() -> String {
        let start = offset
        while let c = peek(0), isIdentifierPart(c) { offset += 1 }
        return text(start, offset)
    }

    private func peek(_ ahead: Int) -> UInt8? {
        offset + ahead < bytes.count ? bytes[offset + ahead] : nil
    }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[max(0, start)..<min(end, bytes.count)], as: UTF8.self)
    }

    private mutating func report(_ range: SourceRange, _ message: String) {
        diagnostics.append(.error(range, message))
    }
}

private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

private func isHexDigit(_ c: UInt8) -> Bool { (digitValue(c) ?? 16) < 16 }

private func isIdentifierStart(_ c: UInt8) -> Bool {
    (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
        || c == UInt8(ascii: "_")
}

private func isIdentifierPart(_ c: UInt8) -> Bool { isIdentifierStart(c) || isDigit(c) }

/// The value of a digit in any base up to 36 (`a`/`A` = 10); nil for other bytes.
private func digitValue(_ c: UInt8) -> Int? {
    if isDigit(c) { return Int(c - UInt8(ascii: "0")) }
    let lower = c | 0x20
    if lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z") { return Int(lower - UInt8(ascii: "a")) + 10 }
    return nil
}

private func hex(_ c: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(c >> 4)], digits[Int(c & 0xF)]])
}
