/// Maps: keys, values, aggregations, and the functions that act on whole maps.
/// A map's type is fixed by its first use; a conflicting later use is a located error.
extension TypeChecker {
    static let aggregationFunctions = ["count", "sum", "avg", "min", "max", "stats", "hist", "lhist"]
    static let mapFunctions = ["delete", "clear", "zero", "print", "has_key", "len"]

    /// `@m[keys] = value` and `@m[keys] op= value`.
    mutating func checkMapAssignment(_ stmt: Stmt, target: Expr, name: String, keys: [Expr], op: BinaryOp?,
                                     value: Expr) -> Stmt {
        guard let typedKeys = checkMapKeys(keys) else { return stmt }
        let keyTypes = Self.mapKeyTypes(typedKeys)
        var valueType: MapValueType
        var v: Expr
        if case .call(let fn, let args) = value.kind, Self.aggregationFunctions.contains(fn) {
            guard op == nil else {
                diagnostics.append(.error(stmt.range, "\(fn)() must be assigned with =, not \(op?.rawValue ?? "")="))
                return stmt
            }
            guard let (agg, typedArgs) = checkAggregation(value, fn, args) else { return stmt }
            valueType = agg
            v = Self.resolvedFunction(Expr(.call(name: fn, args: typedArgs), range: value.range, type: .void))
        } else {
            v = checkExpr(value)
            guard v.type != .none else { return stmt }
            if op == nil { v = copiedValue(v) }
            if op != nil, !v.type.isInteger {
                diagnostics.append(.error(value.range, "\(op?.rawValue ?? "")= needs an integer, got \(v.type)"))
                return stmt
            }
            if op == .add || op == .sub, case .plain(.pointer(let pointee, _))? = maps[name]?.value,
               let size = byteSize(of: pointee), size > 1 {
                // `@p += n` on a pointer moves n elements, as C (and bpftrace) scale it.
                let scale = Expr(.integer(UInt64(size)), range: value.range, type: .int64)
                v = Expr(.binary(.mul, v, scale), range: value.range, type: v.type.isSigned ? .int64 : .uint64)
            }
            guard let plain = plainValueType(v) else {
                diagnostics.append(.error(value.range, Self.notAValue(v.type, storedIn: "@" + name)))
                return stmt
            }
            valueType = .plain(plain)
        }
        guard let info = declareMap(name, keyTypes: keyTypes, value: valueType, at: target.range, keys: keys) else { return stmt }
        mapsWritten.insert(name)
        var t = Expr(.map(name: name, keys: typedKeys), range: target.range, type: .none)
        if case .plain(let pt) = info.value { t.type = pt }
        return Stmt(.assign(target: t, op: op, value: v), range: stmt.range)
    }

    /// Types the keys of `@m[k1, k2]`: integers, pointers and strings. The expressions keep
    /// their own types (a cast's width decides how its value is truncated and extended);
    /// `mapKeyTypes` gives the key slots' types.
    mutating func checkMapKeys(_ keys: [Expr]) -> [Expr]? {
        var out: [Expr] = []
        for k in keys {
            let tk = copiedValue(checkExpr(k))
            switch tk.type {
            case .none: return nil
            case .integer, .pointer, .string, .rendered: break
            default:
                diagnostics.append(.error(k.range, "\(tk.type) cannot be used as a map key"))
                return nil
            }
            out.append(tk)
        }
        return out
    }

    /// Key slots hold integers widened to 64 bits, keeping their sign; pointers as uint64.
    static func mapKeyTypes(_ keys: [Expr]) -> [SType] {
        keys.map { k in
            switch k.type {
            case .integer(_, let signed): return .integer(bits: 64, signed: signed)
            case .pointer: return .uint64
            default: return k.type
            }
        }
    }

    func plainValueType(_ v: Expr) -> SType? {
        switch v.type {
        case .integer(_, let signed): return .integer(bits: 64, signed: signed)
        // A pointer stays a pointer (printed as a number), so `@p += 1` and `@p->x` know its pointee.
        case .pointer, .string, .tuple, .rendered: return v.type
        default: return nil
        }
    }

    /// Declares the map on first use; later uses must agree (strings may grow to the longest).
    mutating func declareMap(_ name: String, keyTypes: [SType], value: MapValueType, at range: SourceRange,
                             keys: [Expr] = []) -> MapInfo? {
        guard var info = maps[name] else {
            var info = MapInfo(name: name, keyTypes: keyTypes, value: value, firstUse: range)
            info.keyRanges = keys.map(\.range)
            info.keyNames = keys.map(Self.keyName)
            maps[name] = info
            mapOrder.append(name)
            return info
        }
        guard info.keyTypes.count == keyTypes.count,
              let merged = Self.mergeTypes(info.keyTypes, keyTypes) else {
            let have = info.keyTypes.map(\.description).joined(separator: ", ")
            let want = keyTypes.map(\.description).joined(separator: ", ")
            diagnostics.append(.error(range,
                "Argument mismatch for @\(name): trying to access with arguments: [\(want)] when map expects arguments: [\(have)]"))
            return nil
        }
        info.keyTypes = merged
        switch (info.value, value) {
        case (.plain(let a), .plain(let b)):
            guard let m = Self.mergeTypes([a], [b])?.first else { return mismatch(name, info.value, value, range) }
            info.value = .plain(m)
        case let (a, b) where a == b:
            break
        case (.sum(let a), .sum(let b)), (.min(let a), .min(let b)), (.max(let a), .max(let b)),
             (.avg(let a), .avg(let b)), (.stats(let a), .stats(let b)):
            // Signedness is decided by the first use; later uses of the other sign still fit in 64 bits.
            _ = (a, b)
        default:
            return mismatch(name, info.value, value, range)
        }
        maps[name] = info
        return info
    }

    /// The name a key expression gives its metric label: the builtin, variable or field it
    /// reads, seen through `str()` and casts; nil for anything computed.
    static func keyName(_ key: Expr) -> String? {
        switch key.kind {
        case .identifier(let name), .variable(let name), .field(_, let name, _): return name
        case .cast(_, let inner): return keyName(inner)
        case .call(let fn, let args) where args.count == 1 && ["str", "ksym", "usym", "kaddr", "uaddr", "ntop"].contains(fn):
            return keyName(args[0])
        default: return nil
        }
    }

    mutating func mismatch(_ name: String, _ have: MapValueType, _ want: MapValueType, _ range: SourceRange) -> MapInfo? {
        diagnostics.append(.error(range,
            "Type mismatch for @\(name): trying to assign value of type '\(want)' when map already contains a value of type '\(have)'"))
        return nil
    }

    /// Integers of either sign merge; strings merge to the longer capacity.
    static func mergeTypes(_ a: [SType], _ b: [SType]) -> [SType]? {
        var out: [SType] = []
        for (x, y) in zip(a, b) {
            switch (x, y) {
            case (.integer, .integer): out.append(x)
            case (.pointer, .pointer), (.pointer, .integer): out.append(x)
            case (.string(let n), .string(let m)): out.append(.string(capacity: max(n, m)))
            case (.tuple(let p), .tuple(let q)) where p.count == q.count:
                guard let merged = mergeTypes(p, q) else { return nil }
                out.append(.tuple(merged))
            case (.rendered(let p), .rendered(let q)) where p == q: out.append(x)
            default: return nil
            }
        }
        return out
    }

    /// `count()`, `sum(x)`, `hist(x)`, `lhist(x, min, max, step)`, …
    mutating func checkAggregation(_ e: Expr, _ fn: String, _ args: [Expr]) -> (MapValueType, [Expr])? {
        let typed = args.map { checkExpr($0) }
        if typed.contains(where: { $0.type == .none }) { return nil }
        let expected = fn == "count" ? 0 : fn == "lhist" ? 4 : 1
        guard argumentCount(e, fn, typed, expected...expected) else { return nil }
        if let first = typed.first, !first.type.isInteger {
            diagnostics.append(.error(first.range, "\(fn)() expects an integer, got \(first.type)"))
            return nil
        }
        let signed = typed.first?.type.isSigned ?? false
        switch fn {
        case "count": return (.count, typed)
        case "sum": return (.sum(signed: signed), typed)
        case "avg": return (.avg(signed: signed), typed)
        case "min": return (.min(signed: signed), typed)
        case "max": return (.max(signed: signed), typed)
        case "stats": return (.stats(signed: signed), typed)
        case "hist": return (.hist, typed)
        default:
            var bounds: [Int64] = []
            for a in typed.dropFirst() {
                guard case .integer(let v) = a.kind, v <= UInt64(Int64.max) else {
                    diagnostics.append(.error(a.range, "lhist() expects integer literals for min, max and step"))
                    return nil
                }
                bounds.append(Int64(v))
            }
            let (lo, hi, step) = (bounds[0], bounds[1], bounds[2])
            guard step > 0, hi > lo else {
                diagnostics.append(.error(e.range, "lhist() needs min < max and a positive step"))
                return nil
            }
            // A step past the range would leave no bucket between the two outside ones.
            guard step <= hi - lo else {
                diagnostics.append(.error(e.range, "lhist() step \(step) is larger than the range from min to max (\(hi - lo))"))
                return nil
            }
            guard (hi - lo) / step <= 1000 else {
                diagnostics.append(.error(e.range, "lhist() would have more than 1000 buckets; use a larger step"))
                return nil
            }
            return (.lhist(min: lo, max: hi, step: step), typed)
        }
    }

    /// A map only ever read is almost always a misspelt name: warn, and name the nearest
    /// map that is written.
    mutating func warnUnwrittenMaps() {
        for name in mapOrder where !mapsWritten.contains(name) {
            guard let info = maps[name] else { continue }
            let written = mapsWritten.map { "@" + $0 }
            var d = Diagnostic.warning(info.firstUse, "Map @\(name) is read but never assigned; it is always empty")
            if let hint = Suggestion.closest(to: "@" + name, among: written) { d.notes.append("HINT: did you mean '\(hint)'?") }
            diagnostics.append(d)
        }
    }

    /// Reading `@m[k]` in an expression: plain maps only; an unknown map becomes an integer map.
    mutating func checkMapRead(_ e: Expr, name: String, keys: [Expr]) -> Expr {
        guard let typedKeys = checkMapKeys(keys) else { return e }
        if let info = maps[name], info.value.isAggregation {
            diagnostics.append(.error(e.range,
                "@\(name) holds a \(info.value)() aggregation, which is combined across CPUs only when printed; it cannot be read in a probe"))
            return e
        }
        guard let info = declareMap(name, keyTypes: Self.mapKeyTypes(typedKeys), value: maps[name]?.value ?? .plain(.int64),
                                    at: e.range, keys: keys),
              case .plain(let t) = info.value else { return e }
        return Expr(.map(name: name, keys: typedKeys), range: e.range, type: t)
    }

    /// `delete(@m[k])`, `clear(@m)`, `zero(@m)`, `print(@m[, top[, div]])`, `print(value)`, `has_key(@m, k)`.
    mutating func checkMapFunction(_ e: Expr, _ fn: String, _ args: [Expr]) -> Expr {
        var out = e
        func mapArgument(_ a: Expr, allowKeys: Bool) -> (String, [Expr])? {
            guard case .map(let name, let keys) = a.kind, allowKeys || keys.isEmpty else {
                diagnostics.append(.error(a.range, "\(fn)() expects a map\(allowKeys ? " element" : "") argument"))
                return nil
            }
            guard maps[name] != nil else {
                diagnostics.append(.error(a.range, "Undefined map: @\(name)",
                                          suggestion: Suggestion.closest(to: "@" + name, among: maps.keys.map { "@" + $0 })))
                return nil
            }
            return (name, keys)
        }
        switch fn {
        case "delete":
            guard argumentCount(e, fn, args, 1...1), let (name, keys) = mapArgument(args[0], allowKeys: true),
                  let typedKeys = checkMapKeys(keys),
                  declareMap(name, keyTypes: Self.mapKeyTypes(typedKeys), value: maps[name]?.value ?? .plain(.int64), at: args[0].range, keys: keys) != nil
            else { return out }
            out.kind = .call(name: fn, args: [Expr(.map(name: name, keys: typedKeys), range: args[0].range)])
            out.type = .void
        case "len":
            guard argumentCount(e, fn, args, 1...1), mapArgument(args[0], allowKeys: false) != nil else { return out }
            out.kind = .call(name: fn, args: args)
            out.type = .uint64
        case "clear", "zero":
            guard argumentCount(e, fn, args, 1...1), mapArgument(args[0], allowKeys: false) != nil else { return out }
            out.type = .void
        case "has_key":
            guard argumentCount(e, fn, args, 2...9), let (name, _) = mapArgument(args[0], allowKeys: false),
                  let typedKeys = checkMapKeys(Array(args.dropFirst())),
                  declareMap(name, keyTypes: Self.mapKeyTypes(typedKeys), value: maps[name]?.value ?? .plain(.int64), at: e.range) != nil
            else { return out }
            out.kind = .call(name: fn, args: [args[0]] + typedKeys)
            out.type = .uint64
        case "print":
            guard argumentCount(e, fn, args, 1...3) else { return out }
            if case .map(let name, let keys) = args[0].kind, keys.isEmpty {
                guard mapArgument(args[0], allowKeys: false) != nil else { return out }
                for extra in args.dropFirst() {
                    guard case .integer = extra.kind else {
                        diagnostics.append(.error(extra.range, "print() expects integer literals for top and divisor"))
                        return out
                    }
                }
                _ = name
                out.type = .void
            } else {
                guard argumentCount(e, fn, args, 1...1) else { return out }
                let v = copiedValue(checkExpr(args[0]))
                guard v.type != .none else { return out }
                guard v.type.isInteger || v.type.isString || v.type.isPointer || v.type.isTuple || v.type.isRendered else {
                    diagnostics.append(.error(args[0].range, "print() cannot print a value of type \(v.type)"))
                    return out
                }
                out.kind = .call(name: fn, args: [v])
                out.type = .void
            }
        default:
            diagnostics.append(.error(e.range, "\(fn)() is not supported yet"))
        }
        return out
    }
}
