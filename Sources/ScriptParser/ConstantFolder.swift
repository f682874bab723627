/// Folds C integer constant expressions of header macros and enumerators: literals in any base
/// with `u`/`l` suffixes, character literals, other constants by name, parentheses, casts to
/// integer types (ignored: the value is kept as a 64-bit integer), and C's unary, binary and
/// conditional operators. Anything else (`sizeof`, strings, function-like macros) is not a
/// constant here, and the name stays unknown.
struct ConstantFolder {
    let macros: [String: String]
    let enumerators: [String: String]
    private var cache: [String: Int64?] = [:]
    /// Names being folded: C does not expand a macro inside itself, so `#define X X` names the
    /// enumerator `X` (glibc writes its enums this way).
    private var inProgress: Set<String> = []

    init(macros: [String: String], enumerators: [String: String]) {
        self.macros = macros
        self.enumerators = enumerators
    }

    mutating func value(of name: String) -> Int64? {
        if let cached = cache[name] { return cached }
        var result: Int64?
        if !inProgress.contains(name), let body = macros[name] {
            result = fold(body, name: name)
        }
        if result == nil, !inProgress.contains("enum " + name), let body = enumerators[name] {
            result = fold(body, name: "enum " + name)
        }
        if !inProgress.contains(name) { cache[name] = result }
        return result
    }

    private mutating func fold(_ text: String, name: String) -> Int64? {
        inProgress.insert(name)
        defer { inProgress.remove(name) }
        var p = ExpressionCursor(tokens: CTokens(text))
        guard !p.atEnd, let v = conditional(&p), p.atEnd else { return nil }
        return v
    }

    // MARK: Grammar, lowest precedence first

    private mutating func conditional(_ p: inout ExpressionCursor) -> Int64? {
        guard let c = binary(&p, level: 0) else { return nil }
        guard p.take("?") else { return c }
        guard let a = conditional(&p), p.take(":"), let b = conditional(&p) else { return nil }
        return c != 0 ? a : b
    }

    private static let levels: [[String]] = [
        ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", "<=", ">", ">="], ["<<", ">>"], ["+", "-"], ["*", "/", "%"],
    ]

    private mutating func binary(_ p: inout ExpressionCursor, level: Int) -> Int64? {
        guard level < Self.levels.count else { return unary(&p) }
        guard var left = binary(&p, level: level + 1) else { return nil }
        while let op = p.peek, Self.levels[level].contains(op) {
            p.advance()
            guard let right = binary(&p, level: level + 1) else { return nil }
            switch op {
            case "||": left = (left != 0 || right != 0) ? 1 : 0
            case "&&": left = (left != 0 && right != 0) ? 1 : 0
            case "|": left |= right
            case "^": left ^= right
            case "&": left &= right
            case "==": left = left == right ? 1 : 0
            case "!=": left = left != right ? 1 : 0
            case "<": left = left < right ? 1 : 0
            case "<=": left = left <= right ? 1 : 0
            case ">": left = left > right ? 1 : 0
            case ">=": left = left >= right ? 1 : 0
            case "<<": left = right >= 0 && right < 64 ? left << right : 0
            case ">>": left = right >= 0 && right < 64 ? left >> right : 0
            case "+": left = left &+ right
            case "-": left = left &- right
            case "*": left = left &* right
            case "/": guard right != 0 else { return nil }; left = left.dividedReportingOverflow(by: right).partialValue
            default: guard right != 0 else { return nil }; left = left.remainderReportingOverflow(dividingBy: right).partialValue
            }
        }
        return left
    }

    private mutating func unary(_ p: inout ExpressionCursor) -> Int64? {
        guard let t = p.peek else { return nil }
        switch t {
        case "-": p.advance(); return unary(&p).map { 0 &- $0 }
        case "+": p.advance(); return unary(&p)
        case "~": p.advance(); return unary(&p).map { ~$0 }
        case "!": p.advance(); return unary(&p).map { $0 == 0 ? 1 : 0 }
        case "(":
            if let after = p.castEnd() {
                p.position = after
                return unary(&p)
            }
            p.advance()
            guard let v = conditional(&p), p.take(")") else { return nil }
            return v
        default:
            p.advance()
            if let v = Self.literal(t) { return v }
            guard t.isIdentifier else { return nil }
            return value(of: t)
        }
    }

    /// `42`, `0x1fU`, `0644`, `1UL`, `'a'`.
    static func literal(_ t: String) -> Int64? {
        if t.hasPrefix("'"), t.hasSuffix("'"), t.count == 3, let c = t.dropFirst().first?.asciiValue { return Int64(c) }
        guard let first = t.first, first.isNumber else { return nil }
        var digits = Substring(t)
        while let last = digits.last, "uUlL".contains(last) { digits = digits.dropLast() }
        let magnitude: UInt64?
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            magnitude = UInt64(digits.dropFirst(2), radix: 16)
        } else if digits.count > 1, digits.hasPrefix("0") {
            magnitude = UInt64(digits.dropFirst(), radix: 8)
        } else {
            magnitude = UInt64(digits)
        }
        return magnitude.map { Int64(bitPattern: $0) }
    }
}

/// A position in a token list.
struct ExpressionCursor {
    let tokens: [String]
    var position = 0
    init(tokens: CTokens) { self.tokens = tokens.items }
    var atEnd: Bool { position >= tokens.count }
    var peek: String? { atEnd ? nil : tokens[position] }
    mutating func advance() { position += 1 }
    mutating func take(_ t: String) -> Bool {
        guard peek == t else { return false }
        position += 1
        return true
    }

    static let typeWords: Set<String> = ["int", "unsigned", "signed", "long", "short", "char", "const", "volatile",
                                          "_Bool", "size_t", "ssize_t"]

    /// After `(`: if a type name and `)` follow (`(int)`, `(unsigned long)`, `(__u32)`, `(__s16)`,
    /// `(mode_t)`), the position after the `)`; nil when it is a parenthesised expression.
    func castEnd() -> Int? {
        var i = position + 1
        var words = 0
        while i < tokens.count, tokens[i] != ")" {
            let w = tokens[i]
            guard w == "*" || (w.isIdentifier && (Self.typeWords.contains(w) || w.hasPrefix("__u") || w.hasPrefix("__s")
                    || w.hasPrefix("__kernel_") || w.hasSuffix("_t"))) else { return nil }
            words += 1
            i += 1
        }
        return words > 0 && i < tokens.count ? i + 1 : nil
    }
}

/// C tokens of a line or a header body: identifiers, numbers, character literals, punctuators
/// (two-character operators kept whole). String literals become one token each.
struct CTokens {
    var items: [String] = []

    init(_ text: String) {
        let b = Array(text.utf8)
        var i = 0
        func isWord(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
        }
        while i < b.count {
            let c = b[i]
            if c == 32 || c == 9 || c == 10 || c == 13 { i += 1; continue }
            let start = i
            if isWord(c) {
                while i < b.count, isWord(b[i]) { i += 1 }
            } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                i += 1
                while i < b.count, b[i] != c { i += b[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i = min(i + 1, b.count)
            } else if i + 1 < b.count, ["<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->"]
                        .contains(String(decoding: b[i...(i + 1)], as: UTF8.self)) {
                i += 2
            } else {
                i += 1
            }
            items.append(String(decoding: b[start..<i], as: UTF8.self))
        }
    }

    var count: Int { items.count }
    subscript(i: Int) -> String { items[i] }
}

extension String {
    var isIdentifier: Bool {
        guard let f = first, f.isLetter || f == "_" else { return false }
        return allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && allSatisfy(\.isASCII)
    }
}
