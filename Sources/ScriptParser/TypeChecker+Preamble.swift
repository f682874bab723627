/// Settings, `#define`s, enum constants, casts and positional parameters.
extension TypeChecker {
    /// `config = { key = value }`: the same knobs as bpftrace's environment variables.
    mutating func applyConfig(_ config: [ConfigSetting]) {
        for setting in config {
            guard case .integer(let v) = setting.value.kind else {
                diagnostics.append(.error(setting.value.range, "config values must be integer literals"))
                continue
            }
            let value = Int(min(v, UInt64(Int32.max)))
            switch setting.key.lowercased() {
            case "max_strlen", "strlen", "bpftrace_strlen", "bpftrace_max_strlen":
                guard value >= 1, value <= Settings.maxStringLength else {
                    diagnostics.append(.error(setting.range, "max_strlen must be between 1 and \(Settings.maxStringLength)"))
                    continue
                }
                settings.stringLength = value
            case "max_map_keys", "bpftrace_map_keys_max", "bpftrace_max_map_keys":
                guard value >= 1 else {
                    diagnostics.append(.error(setting.range, "max_map_keys must be positive"))
                    continue
                }
                settings.maxMapKeys = value
            case "perf_rb_pages", "bpftrace_perf_rb_pages":
                guard value >= 1 else {
                    diagnostics.append(.error(setting.range, "perf_rb_pages must be positive"))
                    continue
                }
                settings.ringBufferSize = Settings.ringBufferBytes(pages: value)
            default:
                let known = ["max_strlen", "max_map_keys", "perf_rb_pages"]
                diagnostics.append(.error(setting.range, "Unrecognized config variable: \(setting.key)",
                                          suggestion: Suggestion.closest(to: setting.key, among: known)))
            }
        }
    }

    mutating func collectPreamble(_ preamble: Preamble, source: SourceFile) {
        for d in preamble.defines { defines[d.name] = d.body }
        for t in preamble.types where t.kind == .enumType {
            for (name, value) in t.enumerators { enumConstants[name] = value }
        }
        collectPreambleRecords(preamble.types)
        noteShadowedKernelTypes(preamble.types)
    }

    /// A `#define` used as an expression: its body parsed and checked, located at the use.
    mutating func expandDefine(_ e: Expr, _ name: String, _ body: String) -> Expr {
        guard !definesInUse.contains(name) else {
            diagnostics.append(.error(e.range, "#define \(name) refers to itself"))
            return e
        }
        let (parsed, parseDiagnostics) = Parser.parseExpression(SourceFile(name: name, text: body))
        guard let parsed, !parseDiagnostics.hasErrors else {
            diagnostics.append(.error(e.range, "#define \(name) is not an expression: \(body)"))
            return e
        }
        definesInUse.insert(name)
        defer { definesInUse.remove(name) }
        return checkExpr(Self.relocated(parsed, to: e.range))
    }

    /// The same expression with every range set to `range`, so errors point at the use.
    static func relocated(_ e: Expr, to range: SourceRange) -> Expr {
        var out = e
        out.range = range
        switch e.kind {
        case .unary(let op, let a): out.kind = .unary(op, relocated(a, to: range))
        case .binary(let op, let a, let b): out.kind = .binary(op, relocated(a, to: range), relocated(b, to: range))
        case .ternary(let a, let b, let c):
            out.kind = .ternary(relocated(a, to: range), relocated(b, to: range), relocated(c, to: range))
        case .cast(let t, let a): out.kind = .cast(t, relocated(a, to: range))
        case .call(let n, let args): out.kind = .call(name: n, args: args.map { relocated($0, to: range) })
        case .tuple(let xs): out.kind = .tuple(xs.map { relocated($0, to: range) })
        default: break
        }
        return out
    }

    /// The integer type a cast names: bpftrace's `int8…uint64` and the C spellings.
    static func integerType(named t: TypeName) -> SType? {
        let words = t.name.split(separator: " ").filter { $0 != "const" && $0 != "volatile" }.joined(separator: " ")
        switch words {
        case "int8", "int8_t", "s8", "char", "signed char": return .integer(bits: 8, signed: true)
        case "uint8", "uint8_t", "u8", "unsigned char", "bool", "_Bool": return .integer(bits: 8, signed: false)
        case "int16", "int16_t", "s16", "short", "signed short", "short int": return .integer(bits: 16, signed: true)
        case "uint16", "uint16_t", "u16", "unsigned short", "unsigned short int": return .integer(bits: 16, signed: false)
        case "int32", "int32_t", "s32", "int", "signed", "signed int", "pid_t": return .integer(bits: 32, signed: true)
        case "uint32", "uint32_t", "u32", "unsigned", "unsigned int": return .integer(bits: 32, signed: false)
        case "int64", "int64_t", "s64", "long", "long int", "long long", "signed long", "long long int", "ssize_t":
            return .integer(bits: 64, signed: true)
        case "uint64", "uint64_t", "u64", "unsigned long", "unsigned long int", "unsigned long long",
             "unsigned long long int", "size_t":
            return .integer(bits: 64, signed: false)
        default: return nil
        }
    }

    /// `(uint32)x`: truncates or extends; pointer casts need kernel types.
    mutating func checkCast(_ e: Expr, _ typeName: TypeName, _ inner: Expr) -> Expr {
        let t = checkExpr(inner)
        var out = Expr(.cast(typeName, t), range: e.range)
        guard t.type != .none else { return out }
        guard typeName.pointerDepth == 0, let target = Self.integerType(named: typeName) else {
            if let resolved = checkPointerCast(e, typeName, inner) { return resolved }
            diagnostics.append(.error(e.range, "Cannot cast to \"\(typeName)\": casts to pointers and structs need kernel types (BTF), which are not supported yet"))
            return out
        }
        guard t.type.isInteger || t.type.isPointer else {
            diagnostics.append(.error(e.range, "Cannot cast from \"\(t.type)\" to \"\(target)\""))
            return out
        }
        out.type = target
        return out
    }

    /// `$N` used as a number: the argument parsed as an integer (0 when not given).
    mutating func positionalInteger(_ e: Expr, _ n: Int) -> Expr {
        guard n >= 1, n <= positionalArguments.count else {
            return Expr(.integer(0), range: e.range, type: .int64)
        }
        let text = positionalArguments[n - 1]
        let value: UInt64?
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            value = UInt64(text.dropFirst(2), radix: 16)
        } else if text.hasPrefix("0"), text.count > 1 {
            // As C's strtoll with base 0, which bpftrace uses: a leading 0 means octal.
            value = UInt64(text.dropFirst(), radix: 8)
        } else if text.hasPrefix("-"), let v = Int64(text) {
            value = UInt64(bitPattern: v)
        } else {
            value = UInt64(text)
        }
        guard let value else {
            diagnostics.append(.error(e.range, "$\(n) used numerically but given \"\(text)\". Try using str($\(n))."))
            return e
        }
        return Expr(.integer(value), range: e.range, type: text.hasPrefix("-") ? .int64 : (value > UInt64(Int64.max) ? .uint64 : .int64))
    }

    /// `$N` inside `str()`: the argument as a string literal ("" when not given).
    func positionalString(_ e: Expr, _ n: Int) -> Expr {
        let text = n >= 1 && n <= positionalArguments.count ? positionalArguments[n - 1] : ""
        let bytes = Array(text.utf8)
        return Expr(.string(bytes), range: e.range, type: .string(capacity: bytes.count + 1))
    }
}
