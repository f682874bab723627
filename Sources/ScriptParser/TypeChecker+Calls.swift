/// Typing of function calls: argument counts, argument types, printf formats.
extension TypeChecker {
    static let functionNames = ["printf", "join", "str", "exit"] + aggregationFunctions + mapFunctions

    mutating func checkCall(_ e: Expr, name: String, args rawArgs: [Expr]) -> Expr {
        var out = e
        if let resolved = checkExtraFunction(e, name, rawArgs) { return resolved }
        guard Self.functionNames.contains(name) else {
            // The span is the function name, as bpftrace underlines it.
            let nameRange = SourceRange(e.range.start, e.range.start + name.utf8.count)
            diagnostics.append(.error(nameRange, "Unknown function: \(name)",
                                      suggestion: Suggestion.closest(to: name, among: Self.functionNames + Self.extraFunctionNames)))
            return out
        }
        if Self.mapFunctions.contains(name) { return checkMapFunction(e, name, rawArgs) }
        if Self.aggregationFunctions.contains(name) {
            diagnostics.append(.error(e.range, "\(name)() should be directly assigned to a map: @x = \(name)(...)"))
            return out
        }
        var args = rawArgs.map { a -> Expr in
            // str($1) is the argument as text, never parsed as a number.
            if name == "str", case .positional(let n) = a.kind { return positionalString(a, n) }
            // str($1 + N) with a $1 that is not a number: bpftrace keeps such an argument as a
            // string in memory, so the sum points N bytes into it.
            if name == "str", case .binary(.add, let l, let r) = a.kind, case .positional(let n) = l.kind,
               case .integer(let skip) = r.kind, n >= 1, n <= positionalArguments.count,
               Int64(positionalArguments[n - 1]) == nil, !positionalArguments[n - 1].hasPrefix("0x") {
                let text = positionalArguments[n - 1]
                let bytes = Array(text.utf8.dropFirst(Int(min(skip, UInt64(text.utf8.count)))))
                return Expr(.string(bytes), range: a.range, type: .string(capacity: bytes.count + 1))
            }
            return checkExpr(a)
        }
        if name == "str", case .string? = args.first?.kind, let raw = rawArgs.first, Self.isPositionalText(raw) {
            args[0].type = .string(capacity: max(args[0].type.size, 1))
        }
        out.kind = .call(name: name, args: args)
        guard !args.contains(where: { $0.type == .none }) else { return out }
        switch name {
        case "printf":
            out.type = checkPrintf(e, args)
        case "join":
            guard argumentCount(e, name, args, 1...2) else { return out }
            if !args[0].type.isPointer, !args[0].type.isInteger {
                diagnostics.append(.error(args[0].range, "join() expects an array of strings (char **), got \(args[0].type)"))
            }
            if args.count == 2, !isStringLiteral(args[1]) {
                diagnostics.append(.error(args[1].range, "join() expects a string literal as its separator"))
            }
            out.type = .void
        case "str":
            guard argumentCount(e, name, args, 1...2) else { return out }
            var capacity = settings.stringLength
            if args.count == 2 {
                guard case .integer(let n) = args[1].kind, n >= 1 else {
                    diagnostics.append(.error(args[1].range, "str() expects a positive integer literal as its length"))
                    return out
                }
                capacity = Int(min(n, UInt64(settings.stringLength))) + 1
                capacity = min(capacity, settings.stringLength)
            }
            switch args[0].type {
            case .string(let n):
                // str($1) is the argument's text and str(args->name) a tracepoint's string
                // field (bpftrace accepts both); str() of any other string is a mistake.
                var isFieldOrPositional = false
                if let raw = rawArgs.first, Self.isPositionalText(raw) { isFieldOrPositional = true }
                if case .tracepointField = args[0].kind { isFieldOrPositional = true }
                guard isFieldOrPositional else {
                    diagnostics.append(.error(e.range,
                        "str() expects an integer or a pointer type as first argument (\(args[0].type) provided)"))
                    return out
                }
                out.type = .string(capacity: min(n, capacity))
            case .pointer, .integer: out.type = .string(capacity: capacity)
            default:
                diagnostics.append(.error(args[0].range, "str() expects a pointer or integer, got \(args[0].type)"))
            }
        case "exit":
            guard argumentCount(e, name, args, 0...0) else { return out }
            out.type = .void
        default:
            break
        }
        return out
    }

    /// A checked call as codegen reads it: `.function(case, args)`. A call that failed to check
    /// (its type is unset) stays a `.call`; the program then has errors and reaches no codegen.
    static func resolvedFunction(_ e: Expr) -> Expr {
        guard case .call(let name, let args) = e.kind, e.type != .none,
              let function = BuiltinFunction(rawValue: name) else { return e }
        var out = e
        out.kind = .function(function, args: args)
        return out
    }

    func isStringLiteral(_ e: Expr) -> Bool {
        if case .string = e.kind { return true }
        return false
    }

    mutating func argumentCount(_ e: Expr, _ name: String, _ args: [Expr], _ allowed: ClosedRange<Int>) -> Bool {
        if allowed.contains(args.count) { return true }
        let expected = allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)"
            : "\(allowed.lowerBound) to \(allowed.upperBound)"
        let plural = allowed.upperBound == 1 ? "argument" : "arguments"
        diagnostics.append(.error(e.range, "\(name)() requires \(expected) \(plural) (\(args.count) provided)"))
        return false
    }

    mutating func checkPrintf(_ e: Expr, _ args: [Expr]) -> SType {
        guard let first = args.first else {
            diagnostics.append(.error(e.range, "printf() requires at least 1 argument (0 provided)"))
            return .none
        }
        guard case .string(let bytes) = first.kind else {
            diagnostics.append(.error(e.range, "printf() expects a string literal (\(Self.kindWord(first.type)) provided)"))
            return .none
        }
        let format = PrintfFormat(String(decoding: bytes, as: UTF8.self))
        let convs = format.conversions
        let values = args.dropFirst()
        if values.count > convs.count {
            diagnostics.append(.error(e.range,
                "printf: Too many arguments for format string (\(values.count) supplied, \(convs.count) expected)"))
            return .none
        }
        if values.count < convs.count {
            diagnostics.append(.error(e.range,
                "printf: Not enough arguments for format string (\(values.count) supplied, \(convs.count) expected)"))
            return .none
        }
        for (conv, value) in zip(convs, values) {
            let ok: Bool
            switch conv.kind {
            // %r takes buffers; %s strings and the other rendered values (Rendering.swift).
            case .string: ok = conv.specifier == "r" ? value.type.isBuffer : value.type.printsAsString
            case .integer, .pointer: ok = value.type.isInteger || value.type.isPointer
            }
            if !ok {
                let want = conv.specifier == "r" ? "buffer" : conv.kind == .string ? "string" : "integer"
                diagnostics.append(.error(e.range,
                    "printf: %\(conv.specifier) specifier expects a value of type \(want) (\(Self.kindWord(value.type)) supplied)"))
            }
        }
        return .void
    }

    /// bpftrace's one-word type names in messages: integer, string, pointer, …
    static func kindWord(_ t: SType) -> String {
        switch t {
        case .integer: return "integer"
        case .string: return "string"
        case .pointer: return "pointer"
        case .tuple: return "tuple"
        case .array: return "array"
        case .record: return "record"
        case .rendered(let r): return r.description
        case .void, .none: return "none"
        }
    }
}
