/// The kinds of token the `Lexer` produces.
///
/// The raw value is the spelling used in "expecting …" messages: the operator or keyword itself
/// for fixed tokens, a word for the token classes.
enum TokenKind: String, Sendable, CaseIterable {
    case endOfFile = "end of file"
    /// A byte that starts no token; the lexer has already reported it.
    case invalid = "invalid character"

    // Token classes, each with a payload in `Token`.
    case identifier = "identifier"
    case integer = "integer"
    case string = "string"
    /// `$name`
    case variable = "variable"
    /// `$1`
    case positional = "positional parameter"
    /// `$#`
    case positionalCount = "$#"
    /// `@name`, or `@` alone.
    case map = "map"
    /// Only in `Lexer.Mode.attachPoint`.
    case attachPoint = "attach point"
    /// A whole `#…` line (with its `\` continuations); only in `Lexer.Mode.attachPoint`.
    case directive = "preprocessor directive"

    // Keywords.
    case ifKeyword = "if"
    case elseKeyword = "else"
    case unrollKeyword = "unroll"
    case whileKeyword = "while"
    case forKeyword = "for"
    case breakKeyword = "break"
    case continueKeyword = "continue"
    case returnKeyword = "return"
    case sizeofKeyword = "sizeof"
    case offsetofKeyword = "offsetof"
    case configKeyword = "config"

    // Punctuation.
    case leftParen = "("
    case rightParen = ")"
    case leftBrace = "{"
    case rightBrace = "}"
    case leftBracket = "["
    case rightBracket = "]"
    case comma = ","
    case semicolon = ";"
    case colon = ":"
    case question = "?"
    case dot = "."
    case arrow = "->"

    // Operators.
    case plus = "+"
    case minus = "-"
    case star = "*"
    case slash = "/"
    case percent = "%"
    case ampersand = "&"
    case pipe = "|"
    case caret = "^"
    case tilde = "~"
    case bang = "!"
    case shiftLeft = "<<"
    case shiftRight = ">>"
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessEqual = "<="
    case greater = ">"
    case greaterEqual = ">="
    case logicalAnd = "&&"
    case logicalOr = "||"
    case increment = "++"
    case decrement = "--"

    // Assignments.
    case assign = "="
    case plusAssign = "+="
    case minusAssign = "-="
    case starAssign = "*="
    case slashAssign = "/="
    case percentAssign = "%="
    case ampersandAssign = "&="
    case pipeAssign = "|="
    case caretAssign = "^="
    case shiftLeftAssign = "<<="
    case shiftRightAssign = ">>="

    /// Reserved words, by spelling.
    static let keywords: [String: TokenKind] = [
        "if": .ifKeyword, "else": .elseKeyword, "unroll": .unrollKeyword, "while": .whileKeyword,
        "for": .forKeyword, "break": .breakKeyword, "continue": .continueKeyword,
        "return": .returnKeyword, "sizeof": .sizeofKeyword, "offsetof": .offsetofKeyword,
        "config": .configKeyword,
    ]

    var isKeyword: Bool { Self.keywords[rawValue] == self }

    /// The operator and its C precedence (1 = `||` … 10 = `* / %`) when this token is a binary operator.
    var binaryOperator: (op: BinaryOp, precedence: Int)? {
        switch self {
        case .logicalOr: return (.logicalOr, 1)
        case .logicalAnd: return (.logicalAnd, 2)
        case .pipe: return (.bitOr, 3)
        case .caret: return (.bitXor, 4)
        case .ampersand: return (.bitAnd, 5)
        case .equal: return (.eq, 6)
        case .notEqual: return (.ne, 6)
        case .less: return (.lt, 7)
        case .lessEqual: return (.le, 7)
        case .greater: return (.gt, 7)
        case .greaterEqual: return (.ge, 7)
        case .shiftLeft: return (.shl, 8)
        case .shiftRight: return (.shr, 8)
        case .plus: return (.add, 9)
        case .minus: return (.sub, 9)
        case .star: return (.mul, 10)
        case .slash: return (.div, 10)
        case .percent: return (.mod, 10)
        default: return nil
        }
    }

    /// For `=` and the compound assignments: `.some(nil)` for plain `=`, `.some(op)` for `op=`.
    var assignmentOperator: BinaryOp?? {
        switch self {
        case .assign: return .some(nil)
        case .plusAssign: return .add
        case .minusAssign: return .sub
        case .starAssign: return .mul
        case .slashAssign: return .div
        case .percentAssign: return .mod
        case .ampersandAssign: return .bitAnd
        case .pipeAssign: return .bitOr
        case .caretAssign: return .bitXor
        case .shiftLeftAssign: return .shl
        case .shiftRightAssign: return .shr
        default: return nil
        }
    }
}

/// One token: its kind, where it is, and what it carries.
struct Token: Sendable {
    var kind: TokenKind
    var range: SourceRange
    /// The name for identifiers and keywords, variables (without `$`) and maps (without `@`);
    /// the raw text for attach points and directives; empty otherwise.
    var text: String = ""
    /// The value of an integer literal or a positional parameter.
    var value: UInt64 = 0
    /// A string literal's bytes with escapes decoded.
    var bytes: [UInt8] = []

    init(_ kind: TokenKind, _ range: SourceRange, text: String = "", value: UInt64 = 0, bytes: [UInt8] = []) {
        self.kind = kind
        self.range = range
        self.text = text
        self.value = value
        self.bytes = bytes
    }
}

/// Every message the lexer and the parser report, in one place: the wording is part of the
/// product (it follows bpftrace's and, for directives, the C preprocessor's).
enum SyntaxMessage {
    /// `expected` is named when the parser was waiting for one particular token.
    static func unexpected(_ found: String, expecting expected: TokenKind?) -> String {
        "syntax error, unexpected \(found)" + (expected.map { ", expecting \($0.rawValue)" } ?? "")
    }
    static let unterminatedString = "unterminated string"
    static let unterminatedComment = "unterminated comment"
    static func invalidCharacter(_ shown: String) -> String { "invalid character '\(shown)'" }
    static func invalidEscape(_ escape: String) -> String { "invalid escape sequence '\(escape)'" }
    static func invalidInteger(_ literal: String) -> String { "invalid integer literal '\(literal)'" }
    static let integerTooLarge = "integer literal is too large"
    static let integerNotIntegral = "integer literal is not integral"
    static let nestingTooDeep = "nesting is too deep"
    static func preambleAfterProbes(_ what: String) -> String { "\(what) must come before the first probe" }
    static let enumeratorTooLarge = "enumerator value is too large"
    static let includeWithoutFile = "#include expects \"FILENAME\" or <FILENAME>"
    static let defineWithoutName = "no macro name given in #define directive"
    static func invalidDirective(_ name: String) -> String { "invalid preprocessing directive #\(name)" }
}
