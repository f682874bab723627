/// `getopt(NAME[, DEFAULT[, DESCRIPTION]])`: the named options a script declares, and the values
/// the words after `--` on the command line give them (`--NAME=VALUE`, or `--NAME` for a boolean).
///
/// The default's type is the option's type: none or `true`/`false` makes a boolean, an integer
/// literal an integer, a string literal a string. Values are compile-time constants: the checker
/// replaces each `getopt(...)` with the literal it stands for (TypeChecker+ScriptOptions.swift).
public struct ScriptOption: Equatable, Sendable {
    public enum Value: Equatable, Sendable, CustomStringConvertible {
        case bool(Bool)
        case integer(Int64)
        case string(String)

        /// The word `--help` prints for the type.
        public var typeName: String {
            switch self {
            case .bool: return "bool"
            case .integer: return "int"
            case .string: return "string"
            }
        }

        public var description: String {
            switch self {
            case .bool(let b): return b ? "true" : "false"
            case .integer(let n): return String(n)
            case .string(let s): return "\"\(s)\""
            }
        }

        /// The same type with `text` as its value, as the command line spells it.
        func parsed(from text: String?) -> Value? {
            switch self {
            case .bool:
                switch text {
                case nil, "true", "1": return .bool(true)
                case "false", "0": return .bool(false)
                default: return nil
                }
            case .integer:
                guard let text else { return nil }
                return Self.integer(text).map(Value.integer)
            case .string:
                return text.map(Value.string)
            }
        }

        /// Decimal or `0x` hex, optionally negative, as `$1` takes them.
        static func integer(_ text: String) -> Int64? {
            let negative = text.hasPrefix("-")
            let digits = negative ? text.dropFirst() : Substring(text)
            let magnitude: UInt64?
            if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
                magnitude = UInt64(digits.dropFirst(2), radix: 16)
            } else {
                magnitude = UInt64(digits)
            }
            guard let magnitude else { return nil }
            if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
            return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
        }
    }

    public var name: String
    public var defaultValue: Value
    public var description: String?
    /// The first `getopt(...)` declaring it.
    public var range: SourceRange

    public init(name: String, defaultValue: Value, description: String? = nil, range: SourceRange = .none) {
        self.name = name; self.defaultValue = defaultValue; self.description = description; self.range = range
    }

    /// Reads one `getopt(...)` call's arguments (before type checking), or the error to report.
    static func declaration(_ call: Expr, args: [Expr]) -> Result<ScriptOption, Diagnostic> {
        guard (1...3).contains(args.count) else {
            return .failure(.error(call.range, "getopt() requires 1 to 3 arguments (\(args.count) provided)"))
        }
        guard case .string(let nameBytes) = args[0].kind else {
            return .failure(.error(args[0].range, "getopt() expects the option's name as a string literal"))
        }
        let name = String(decoding: nameBytes, as: UTF8.self)
        guard isValidName(name) else {
            return .failure(.error(args[0].range,
                "getopt(): '\(name)' is not an option name (letters, digits, '-' and '_', not starting with '-')"))
        }
        var value = Value.bool(false)
        if args.count >= 2 {
            guard let v = literal(args[1]) else {
                return .failure(.error(args[1].range,
                    "getopt() expects a literal default: true, false, an integer or a string"))
            }
            value = v
        }
        var description: String?
        if args.count == 3 {
            guard case .string(let text) = args[2].kind else {
                return .failure(.error(args[2].range, "getopt() expects the description as a string literal"))
            }
            description = String(decoding: text, as: UTF8.self)
        }
        return .success(ScriptOption(name: name, defaultValue: value, description: description, range: call.range))
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != "-" else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
    }

    static func literal(_ e: Expr) -> Value? {
        switch e.kind {
        case .identifier("true"): return .bool(true)
        case .identifier("false"): return .bool(false)
        case .integer(let n): return n <= UInt64(Int64.max) ? .integer(Int64(n)) : nil
        case .unary(.negate, let inner):
            guard case .integer(let n) = inner.kind, n <= UInt64(Int64.max) + 1 else { return nil }
            return .integer(Int64(truncatingIfNeeded: 0 &- n))
        case .string(let bytes): return .string(String(decoding: bytes, as: UTF8.self))
        default: return nil
        }
    }
}

/// What was wrong with the words after `--`; said before anything is compiled or loaded.
public struct ScriptOptionError: Error, Equatable, Sendable {
    public var message: String
}

/// Every option a script declares, in order of first declaration.
public struct ScriptOptionSet: Equatable, Sendable {
    public var options: [ScriptOption] = []
    public init(options: [ScriptOption] = []) { self.options = options }

    public subscript(name: String) -> ScriptOption? { options.first { $0.name == name } }

    /// The `getopt(...)` calls of a parsed program. Declaring one name twice with different
    /// defaults is an error: which one would `--help` show?
    public static func declared(in program: Program) -> (ScriptOptionSet, Diagnostics) {
        var set = ScriptOptionSet()
        var diagnostics = Diagnostics()
        for probe in program.probes {
            ASTWalker.visitExprs(probe) { e in
                guard case .call("getopt", let args) = e.kind else { return }
                switch ScriptOption.declaration(e, args: args) {
                case .failure(let d): diagnostics.append(d)
                case .success(let option):
                    guard let earlier = set[option.name] else { set.options.append(option); return }
                    if earlier.defaultValue != option.defaultValue {
                        diagnostics.append(Diagnostic(.error, e.range,
                            "getopt(): option '\(option.name)' was declared with default \(earlier.defaultValue) before; give every getopt(\"\(option.name)\", …) the same default",
                            notes: []))
                    }
                }
            }
        }
        return (set, diagnostics)
    }

    /// The value of every declared option: given on the command line, else its default.
    /// `words` are the command line's words after `--` that start with `--`.
    public func values(from words: [String]) -> Result<[String: ScriptOption.Value], ScriptOptionError> {
        var values: [String: ScriptOption.Value] = [:]
        for option in options { values[option.name] = option.defaultValue }
        for word in words {
            guard word.hasPrefix("--"), word.count > 2 else {
                return .failure(ScriptOptionError(message: "'\(word)' is not a script option: they are written --NAME=VALUE or --NAME"))
            }
            let body = word.dropFirst(2)
            let name: String, text: String?
            if let eq = body.firstIndex(of: "=") {
                name = String(body[..<eq]); text = String(body[body.index(after: eq)...])
            } else {
                name = String(body); text = nil
            }
            guard let option = self[name] else {
                let known = options.map { "--\($0.name)" }
                let hint = Suggestion.closest(to: "--\(name)", among: known).map { " (did you mean '\($0)'?)" } ?? ""
                let list = known.isEmpty ? "this script takes no options" : "it takes \(known.joined(separator: ", "))"
                return .failure(ScriptOptionError(message: "unknown script option --\(name)\(hint); \(list)"))
            }
            guard let value = option.defaultValue.parsed(from: text) else {
                let what: String
                switch option.defaultValue {
                case .bool: what = "true, false, 1 or 0"
                case .integer: what = "an integer"
                case .string: what = "a string"
                }
                let given = text.map { ", not '\($0)'" } ?? ""
                return .failure(ScriptOptionError(message: "script option --\(name) takes \(what) (--\(name)=VALUE)\(given)"))
            }
            values[name] = value
        }
        return .success(values)
    }

    /// What `swtrace SCRIPT -- --help` prints: every option with its type, default and description.
    public func usage(scriptName: String) -> String {
        guard !options.isEmpty else { return "\(scriptName) takes no script options.\n" }
        var out = "USAGE: swtrace \(scriptName) [-- OPTIONS]\n\nOPTIONS:\n"
        let spelled = options.map { o -> String in
            switch o.defaultValue {
            case .bool: return "--\(o.name)"
            case .integer: return "--\(o.name)=INT"
            case .string: return "--\(o.name)=STRING"
            }
        }
        let width = spelled.map(\.count).max() ?? 0
        for (o, s) in zip(options, spelled) {
            var line = "    " + s + String(repeating: " ", count: width - s.count)
            line += "  \(o.defaultValue.typeName), default \(o.defaultValue)"
            if let d = o.description, !d.isEmpty { line += ": \(d)" }
            out += line + "\n"
        }
        return out
    }
}
