/// Expression typing: literals, builtins, `args` fields, operators.
extension TypeChecker {
    /// Types one expression (its operands through `checkExpr`); see `checkExpr` for the rules
    /// applied to every typed node.
    mutating func typeExpr(_ e: Expr) -> Expr {
        var out = e
        switch e.kind {
        case .integer(let v):
            out.type = v > UInt64(Int64.max) ? .uint64 : .int64
        case .string(let bytes):
            out.type = .string(capacity: bytes.count + 1)
        case .identifier(let name):
            return Self.resolvedFunction(checkIdentifier(e, name))
        case .builtin(let b):
            out.type = b.type
        case .tracepointField(let f):
            out.type = fieldType(f)
        case .probeValue, .function:
            break  // typed when resolved
        case .currentTask, .recordField, .dereference, .addressOf, .pointerOffset, .copiedMember:
            break  // kernel types: typed when resolved (TypeChecker+KernelTypes.swift)
        case .variable(let name):
            variablesRead.insert(name)
            guard let t = lookupVariable(name) else {
                let all = function.variables.flatMap(\.keys).map { "$" + $0 }
                let hint = Suggestion.closest(to: "$" + name, among: all)
                diagnostics.append(.error(e.range, "Undefined or undeclared variable: $\(name)", suggestion: hint))
                return out
            }
            out.type = t
        case .field(let base, let name, _):
            return checkField(e, base: base, name: name)
        case .call(let name, let args):
            return Self.resolvedFunction(checkCall(e, name: name, args: args))
        case .unary(let op, let a):
            let ta = checkExpr(a)
            out.kind = .unary(op, ta)
            guard ta.type != .none else { return out }
            switch op {
            case .negate, .bitNot:
                guard ta.type.isInteger else { return invalidOperand(out, op.rawValue, ta.type) }
                out.type = op == .negate ? SType.int64.withSign(ta.type.isSigned) : ta.type
            case .logicalNot:
                guard ta.type.isInteger || ta.type.isPointer else { return invalidOperand(out, op.rawValue, ta.type) }
                out.type = .uint64
            case .deref, .addressOf:
                if let resolved = checkPointerOperator(e, op, a) { return resolved }
                diagnostics.append(.error(e.range, "The \(op.rawValue) operator is not supported yet"))
            }
        case .binary(let op, let a, let b):
            return checkBinary(e, op, checkExpr(a), checkExpr(b))
        case .ternary(let c, let a, let b):
            let tc = checkCondition(c), ta = checkExpr(a), tb = checkExpr(b)
            out.kind = .ternary(tc, ta, tb)
            guard ta.type != .none, tb.type != .none else { return out }
            switch (ta.type, tb.type) {
            case (.integer, .integer):
                out.type = ta.type.isSigned || tb.type.isSigned ? .int64 : .uint64
            case (.string(let x), .string(let y)):
                out.type = .string(capacity: max(x, y))
            case (.void, .void):
                // `c ? printf("a") : printf("b")`: a statement choosing which call to make.
                out.type = .void
            case _ where ta.type == tb.type || Self.kindWord(ta.type) == Self.kindWord(tb.type):
                // bpftrace's wording: the types agree, but a ternary only yields integers and strings.
                diagnostics.append(.error(e.range, "Ternary return type unsupported \(Self.kindWord(ta.type))"))
            default:
                diagnostics.append(.error(e.range,
                    "Ternary operator must return the same type: have '\(ta.type)' and '\(tb.type)'"))
            }
        case .map(let name, let keys):
            return checkMapRead(e, name: name, keys: keys)
        case .increment(let target, let inc, let prefix, _):
            return checkIncrement(e, target, inc, prefix)
        case .tuple(let elements):
            let typed = elements.map { copiedValue(checkExpr($0)) }
            out.kind = .tuple(typed)
            guard !typed.contains(where: { $0.type == .none }) else { return out }
            for t in typed where !(t.type.isInteger || t.type.isString || t.type.isPointer || t.type.isRendered || t.type.isTuple) {
                diagnostics.append(.error(t.range, "a tuple element cannot be of type \(t.type)"))
                return out
            }
            out.type = .tuple(typed.map { $0.type.isPointer ? .uint64 : $0.type })
        case .tupleElement(let base, let index):
            let tb = checkExpr(base)
            out.kind = .tupleElement(tb, index)
            guard tb.type != .none else { return out }
            guard case .tuple(let types) = tb.type else {
                diagnostics.append(.error(e.range, "Can not access index '\(index)' on expression of type '\(tb.type)'"))
                return out
            }
            guard index < types.count else {
                diagnostics.append(.error(e.range, "Invalid tuple index: \(index). Found \(types.count) elements in tuple."))
                return out
            }
            out.type = types[index]
        case .cast(let typeName, let inner):
            return checkCast(e, typeName, inner)
        case .positional(let n):
            return positionalInteger(e, n)
        case .positionalCount:
            return Expr(.integer(UInt64(positionalArguments.count)), range: e.range, type: .int64)
        case .sizeofType(let typeName):
            if let resolved = checkKernelTypeQuery(e) { return resolved }
            guard let t = Self.integerType(named: typeName), typeName.pointerDepth == 0 else {
                diagnostics.append(.error(e.range, "sizeof(\(typeName)) needs kernel types (BTF), which are not supported yet"))
                return out
            }
            return Expr(.integer(UInt64(t.size)), range: e.range, type: .uint64)
        case .sizeofExpr(let inner):
            if let resolved = checkKernelTypeQuery(e) { return resolved }
            let t = checkExpr(inner)
            guard t.type != .none else { return out }
            return Expr(.integer(UInt64(t.type.size)), range: e.range, type: .uint64)
        case .index(let base, let index):
            if let resolved = checkIndex(e, base, index) { return resolved }
            diagnostics.append(.error(e.range, "indexing is not supported on this expression"))
        case .offsetof:
            if let resolved = checkKernelTypeQuery(e) { return resolved }
            diagnostics.append(.error(e.range, "offsetof() needs kernel types (BTF)"))
        }
        return out
    }

    /// `$x++`, `--@m[k]`: integer variables and plain integer maps.
    mutating func checkIncrement(_ e: Expr, _ target: Expr, _ inc: Bool, _ prefix: Bool) -> Expr {
        var t: Expr
        switch target.kind {
        case .variable(let name):
            guard let vt = lookupVariable(name) else {
                diagnostics.append(.error(target.range, "Undefined or undeclared variable: $\(name)"))
                return e
            }
            t = target
            t.type = vt
        case .map(let name, let keys):
            if let info = maps[name], info.value.isAggregation {
                diagnostics.append(.error(e.range, "@\(name) holds a \(info.value)() aggregation and cannot be incremented"))
                return e
            }
            t = checkMapRead(target, name: name, keys: keys)
            mapsWritten.insert(name)
        default:
            diagnostics.append(.error(e.range, "++ and -- apply to variables and maps only"))
            return e
        }
        guard t.type != .none else { return e }
        if case .pointer(let pointee, _) = t.type {
            // C's pointer increment: one element further.
            guard let size = byteSize(of: pointee), size > 0 else {
                diagnostics.append(.error(e.range, "++ and -- need a pointer to a type with a size, got \(t.type)"))
                return e
            }
            return Expr(.increment(t, increment: inc, prefix: prefix, step: size), range: e.range, type: t.type)
        }
        guard t.type.isInteger else {
            diagnostics.append(.error(e.range, "++ and -- need an integer, got \(t.type)"))
            return e
        }
        return Expr(.increment(t, increment: inc, prefix: prefix), range: e.range, type: t.type)
    }

    mutating func invalidOperand(_ e: Expr, _ op: String, _ t: SType) -> Expr {
        diagnostics.append(.error(e.range, "Invalid operand for \(op): \(t)"))
        return e
    }

    mutating func checkIdentifier(_ e: Expr, _ name: String) -> Expr {
        if let b = Builtin(rawValue: name) {
            return Expr(.builtin(b), range: e.range, type: b.type)
        }
        if let resolved = checkProbeBuiltin(e, name) { return resolved }
        if let resolved = checkKernelTypeIdentifier(e, name) { return resolved }
        if let resolved = checkFunctionBuiltin(e, name) { return resolved }
        if let value = enumConstants[name] {
            return Expr(.integer(UInt64(bitPattern: value)), range: e.range, type: .int64)
        }
        if let body = defines[name] { return expandDefine(e, name, body) }
        if name == "args" {
            diagnostics.append(.error(e.range, "args must be followed by a field: args->NAME"))
            return e
        }
        let names = Builtin.allCases.map(\.rawValue) + ["args"] + Self.probeBuiltinNames + Array(defines.keys) + Self.kernelTypeNames + Self.extraBuiltinNames
            + Array(enumConstants.keys)
        diagnostics.append(.error(e.range, "Unknown identifier: '\(name)'",
                                  suggestion: Suggestion.closest(to: name, among: names)))
        return e
    }

    mutating func checkField(_ e: Expr, base: Expr, name: String) -> Expr {
        guard case .identifier("args") = base.kind else {
            if case .field(_, _, let arrow) = e.kind, let resolved = checkRecordField(e, base: base, name: name, arrow: arrow) {
                return resolved
            }
            let tb = checkExpr(base)
            if tb.type != .none {
                diagnostics.append(.error(e.range, "Can not access field '\(name)' on type '\(tb.type)'"))
            }
            return e
        }
        if format == nil, let resolved = checkProbeArgsField(e, name) { return resolved }
        guard let format else {
            diagnostics.append(.error(base.range,
                "The args builtin can only be used with tracepoint probes (\(probeName) used here)"))
            return e
        }
        guard let f = format.field(named: name), !f.isCommon else {
            let names = format.fields.filter { !$0.isCommon }.map(\.name)
            diagnostics.append(.error(e.range,
                "Struct/union of type 'struct _tracepoint_\(format.id.category)_\(format.id.name)' does not contain a field named '\(name)'",
                suggestion: Suggestion.closest(to: name, among: names)))
            return e
        }
        let t = fieldType(f)
        if t == .none {
            diagnostics.append(.error(e.range, "Field '\(name)' has type '\(f.cType)', which is not supported yet"))
            return e
        }
        return Expr(.tracepointField(f), range: e.range, type: t)
    }

    /// The script type of a tracepoint field, from its C declaration in the format file.
    func fieldType(_ f: TracepointField) -> SType {
        if f.isDataLoc { return .string(capacity: settings.stringLength) }
        let stars = f.cType.filter { $0 == "*" }.count
        let words = f.cType.split(whereSeparator: { $0 == " " || $0 == "*" }).filter { $0 != "const" }
        let isChar = words.first == "char" || words.first == "u8" || (words.first == "unsigned" && words.dropFirst().first == "char")
        if let n = f.arrayCount {
            if isChar, stars == 0 { return .string(capacity: max(n, 1)) }
            guard n > 0, f.size % n == 0, [1, 2, 4, 8].contains(f.size / n) else { return .none }
            return .array(of: .integer(bits: f.size / n * 8, signed: f.isSigned), count: n)
        }
        if stars > 0 {
            // Syscall arguments point into the calling process; other tracepoints' pointers are kernel ones.
            let user = f.name != "" && format?.id.category == "syscalls"
            var t: SType = isChar ? .char : .integer(bits: 8, signed: false)
            // `struct __kernel_timespec * rqtp`: typed through BTF when followed (`->tv_sec`).
            if words.count >= 2, words[0] == "struct" || words[0] == "union" {
                t = .record(name: "\(words[0]) \(words[1])")
            } else if let scalar = Self.integerType(named: TypeName(name: words.joined(separator: " "))), !isChar {
                t = scalar
            }
            for _ in 0..<stars { t = .pointer(to: t, user: user) }
            return t
        }
        guard [1, 2, 4, 8].contains(f.size) else { return .none }
        return .integer(bits: f.size * 8, signed: f.isSigned)
    }

    mutating func checkBinary(_ e: Expr, _ op: BinaryOp, _ a: Expr, _ b: Expr) -> Expr {
        var out = e
        out.kind = .binary(op, a, b)
        guard a.type != .none, b.type != .none else { return out }
        if let resolved = checkPointerArithmetic(e, op, a, b) { return resolved }
        if let resolved = checkValueEquality(e, op, a, b) { return resolved }
        switch (a.type, b.type) {
        case (.string, .string):
            guard op == .eq || op == .ne else {
                diagnostics.append(.error(e.range, "Operator \(op.rawValue) is not supported on strings; use == or !="))
                return out
            }
            out.type = .uint64
        case (.integer, .integer), (.pointer, .integer), (.integer, .pointer), (.pointer, .pointer):
            switch op {
            case .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr:
                out.type = .uint64
            default:
                // Unsigned unless both sides are signed: C's rule for 64-bit operands.
                out.type = a.type.isSigned && b.type.isSigned ? .int64 : .uint64
            }
        default:
            diagnostics.append(.error(e.range,
                "Type mismatch for '\(op.rawValue)': comparing '\(a.type)' with '\(b.type)'"))
        }
        return out
    }
}
