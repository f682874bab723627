/// Types every expression in one pass and resolves names: builtins, `args` fields, variables.
/// Each probe body is checked once per tracepoint layout it reads through `args`.
public struct TypeChecker {
    let catalog: Catalog
    var settings = Settings()
    var diagnostics = Diagnostics()
    /// Where `args` points for the body being checked.
    var format: TracepointFormat?
    var probeName = ""
    /// The concrete attach points of the body being checked.
    var attachPoints: [ResolvedAttachPoint] = []
    /// The function the code being checked becomes (its variables, loops, whether it is a callback).
    var function = FunctionScope.probe
    /// The script, for quoting what a diagnostic is about.
    var source: SourceFile?
    /// Maps by name, typed by their first use; `mapOrder` keeps first-use order for printing.
    var maps: [String: MapInfo] = [:]
    /// Maps assigned or aggregated somewhere (not only read).
    var mapsWritten: Set<String> = []
    /// `$1…$N` as given on the command line.
    var positionalArguments: [String] = []
    /// `getopt()` values from the command line (ScriptOptions.swift); defaults otherwise.
    var scriptOptionValues: [String: ScriptOption.Value] = [:]
    /// `#define NAME body` bodies, parsed on first use; enum constants from the preamble.
    var defines: [String: String] = [:]
    var enumConstants: [String: Int64] = [:]
    var definesInUse: Set<String> = []
    /// Structs and unions the preamble defines, by `struct NAME`; they win over BTF's.
    var preambleRecords: [String: RecordType] = [:]
    /// Redefined kernel types and what the script does with them (TypeChecker+ShadowedKernelTypes).
    var shadowingFields: [ShadowingField] = []
    var preambleLaidOut = false
    var recordsUsed: Set<String> = []
    var fieldsRead: Set<String> = []
    /// Per probe: where each variable was first assigned, and which were read (for warnings).
    var variableAssignments: [String: SourceRange] = [:]
    var variablesRead: Set<String> = []
    /// Per probe: variables a later assignment made wider (a longer string, a tuple with one),
    /// by name. A variable is declared by its first assignment; when a later one is wider, the
    /// probe is checked again with the wider type from the start (`checkProbe`).
    var widenedVariables: [String: SType] = [:]
    var variableWidened = false
    var mapOrder: [String] = []
    var refusesWhatTheVerifierRefuses = true

    /// Checks a parsed program. The result is nil when any error was found.
    public static func check(_ program: Program, source: SourceFile, catalog: Catalog,
                             options: FrontEndOptions = FrontEndOptions()) -> (TypedProgram?, Diagnostics) {
        var checker = TypeChecker(catalog: catalog)
        checker.settings = options.settings
        checker.source = source
        checker.positionalArguments = options.positionalArguments
        checker.scriptOptionValues = options.scriptOptionValues
        checker.refusesWhatTheVerifierRefuses = options.refusesWhatTheVerifierRefuses
        checker.applyConfig(program.config)
        checker.collectPreamble(program.preamble, source: source)
        let probes = checker.checkProgram(program)
        checker.reportIncompleteShadowedMembers()
        checker.warnUnwrittenMaps()
        if checker.diagnostics.hasErrors { return (nil, checker.diagnostics) }
        let maps = checker.mapOrder.compactMap { checker.maps[$0] }
        return (TypedProgram(source: source, probes: probes, maps: maps, settings: checker.settings), checker.diagnostics)
    }

    init(catalog: Catalog) { self.catalog = catalog }

    mutating func checkProgram(_ program: Program) -> [TypedProbe] {
        let expander = ProbeExpander(catalog: catalog, targetBinary: settings.targetBinary,
                                     targetFiles: settings.targetFiles)
        var result: [TypedProbe] = []
        for probe in program.probes {
            var resolved: [ResolvedAttachPoint] = []
            var failed = false
            for ap in probe.attachPoints {
                switch expander.expand(substitutingPositionals(ap)) {
                case .success(let list): resolved += list.filter { !resolved.contains($0) }
                // A warning (a kprobe on a function the kernel does not have) drops the
                // attach point; an error fails the probe.
                case .failure(let d): diagnostics.append(d); failed = failed || d.severity == .error
                }
            }
            if failed || resolved.isEmpty { continue }
            let name = probe.attachPoints.first?.text ?? ""
            // Which attach points share a program: TypeChecker+ProbeBuiltins.swift.
            let groups: [ProgramGroup]
            switch programGroups(probe, resolved) {
            case .success(let g): groups = g
            case .failure(let d): diagnostics.append(d); continue
            }
            var seen = Set<String>()
            for group in groups {
                let before = diagnostics.items.count
                if let typed = checkProbe(probe, attachPoints: group.attachPoints, format: group.format, name: name) {
                    result.append(typed)
                }
                // The same mistake in a wildcard body is reported once, not per match.
                let new = diagnostics.items[before...].filter { seen.insert("\($0.range)\($0.message)").inserted }
                diagnostics.items.removeSubrange(before...)
                diagnostics.items += new
            }
        }
        if result.isEmpty, let first = program.probes.first, !diagnostics.hasErrors {
            diagnostics.append(.error(first.range, "No probes to attach"))
        }
        return result
    }

    mutating func checkProbe(_ probe: Probe, attachPoints: [ResolvedAttachPoint], format: TracepointFormat?,
                             name: String) -> TypedProbe? {
        self.format = format
        self.attachPoints = attachPoints
        self.probeName = attachPoints.first.map(\.description) ?? name
        widenedVariables = [:]
        let itemsBefore = diagnostics.items.count
        // Each pass can only widen a variable, so this settles; the bound is a safety net.
        for _ in 0..<8 {
            variableWidened = false
            let typed = checkProbeOnce(probe, attachPoints: attachPoints, format: format, name: name)
            if !variableWidened { return typed }
            diagnostics.items.removeSubrange(itemsBefore...)
        }
        return checkProbeOnce(probe, attachPoints: attachPoints, format: format, name: name)
    }

    mutating func checkProbeOnce(_ probe: Probe, attachPoints: [ResolvedAttachPoint], format: TracepointFormat?,
                                 name: String) -> TypedProbe? {
        function = .probe
        let errorsBefore = diagnostics.errors.count
        var predicate: Expr?
        if let p = probe.predicate {
            let typed = checkExpr(p)
            if typed.type != .none, !typed.type.isInteger, !typed.type.isPointer {
                diagnostics.append(.error(p.range, "Invalid type for predicate: \(typed.type)"))
            }
            predicate = typed
        }
        variableAssignments = [:]
        variablesRead = []
        let body = checkBlock(probe.body)
        // Loops the verifier is sure to refuse (TypeChecker+Loops.swift): on a well-typed body.
        var plainLoops: Set<Int>?
        if refusesWhatTheVerifierRefuses, diagnostics.errors.count == errorsBefore {
            plainLoops = checkLoops(predicate: predicate, body: body)
        }
        if refusesWhatTheVerifierRefuses, diagnostics.errors.count == errorsBefore { checkComparisonCost(predicate: predicate, body: body) }
        for (name, range) in variableAssignments.sorted(by: { $0.value.start < $1.value.start })
        where !variablesRead.contains(name) {
            diagnostics.append(.warning(range, "Variable $\(name) is assigned but never read"))
        }
        guard diagnostics.errors.count == errorsBefore else { return nil }
        var typed = TypedProbe(attachPoints: attachPoints, tracepointFormat: format, predicate: predicate,
                               body: body, range: probe.range, displayName: name)
        typed.plainLoops = plainLoops
        return typed
    }

    /// Whether the predicate or body names the `args` builtin anywhere.
    static func usesArgs(_ probe: Probe) -> Bool {
        var found = false
        ASTWalker.visitExprs(probe) { e in
            if case .identifier(let n) = e.kind, n == "args" { found = true }
        }
        return found
    }

    // MARK: Statements

    mutating func checkBlock(_ block: Block) -> Block {
        function.variables.append([:])
        defer { function.variables.removeLast() }
        return Block(block.statements.map { checkStmt($0) }, range: block.range)
    }

    mutating func checkStmt(_ stmt: Stmt) -> Stmt {
        switch stmt.kind {
        case .expr(let e):
            let typed = checkExpr(e)
            switch typed.type {
            case .record, .array:
                diagnostics.append(.error(e.range, "a whole \(typed.type) cannot be used as a value: read one of its fields or elements"))
            default: break
            }
            return Stmt(.expr(typed), range: stmt.range)
        case .assign(let target, let op, let value):
            return checkAssignment(stmt, target: target, op: op, value: value)
        case .ifElse(let cond, let then, let otherwise):
            let c = checkCondition(cond)
            return Stmt(.ifElse(condition: c, then: checkBlock(then), otherwise: otherwise.map { checkBlock($0) }),
                        range: stmt.range)
        case .whileLoop(let cond, let body):
            let c = checkCondition(cond)
            function.loopDepth += 1
            defer { function.loopDepth -= 1 }
            return Stmt(.whileLoop(condition: c, body: checkBlock(body)), range: stmt.range)
        case .unroll(let count, let body):
            let n = checkExpr(count)
            // bpftrace's messages, underlining `unroll (N)`.
            let head = SourceRange(stmt.range.start, min(stmt.range.end, count.range.end + 1))
            if case .integer(let v) = n.kind {
                if v > 100 {
                    diagnostics.append(.error(head, "unroll maximum value is 100"))
                } else if v < 1 {
                    diagnostics.append(.error(head, "unroll minimum value is 1"))
                }
            } else if n.type != .none {
                diagnostics.append(.error(count.range, "unroll count must be an integer literal from 1 to 100"))
            }
            return Stmt(.unroll(count: n, body: checkBlock(body)), range: stmt.range)
        case .forMap(let variable, let map, let body):
            return checkForMap(stmt, variable, map, body)
        case .breakLoop, .continueLoop:
            if function.loopDepth == 0 {
                let word = { if case .breakLoop = stmt.kind { return "break" }; return "continue" }()
                diagnostics.append(.error(stmt.range, "'\(word)' statement is not allowed outside of a loop"))
            }
            return stmt
        case .returnProbe:
            if function.isCallback {
                diagnostics.append(.error(stmt.range, "'return' is not allowed inside a for loop over a map; use break"))
            }
            return stmt
        }
    }

    /// `for ($kv : @m) { … }`: the body runs once per entry with `$kv = (key, value)`. It runs as
    /// a separate BPF function, so it sees only `$kv` and its own variables, not the probe's.
    mutating func checkForMap(_ stmt: Stmt, _ variable: String, _ map: Expr, _ body: Block) -> Stmt {
        guard case .map(let name, let keys) = map.kind, keys.isEmpty else {
            diagnostics.append(.error(map.range, "for loops iterate over a whole map: for ($kv : @map)"))
            return stmt
        }
        guard let info = maps[name] else {
            diagnostics.append(.error(map.range, "Undefined map: @\(name)",
                                      suggestion: Suggestion.closest(to: "@" + name, among: maps.keys.map { "@" + $0 })))
            return stmt
        }
        guard case .plain(let valueType) = info.value else {
            diagnostics.append(.error(map.range,
                "@\(name) holds a \(info.value)() aggregation, whose values are per-CPU until printed; for loops need a map of plain values"))
            return stmt
        }
        guard !info.keyTypes.isEmpty else {
            diagnostics.append(.error(map.range, "for loops need a map with keys; @\(name) has none"))
            return stmt
        }
        let keyType = info.keyTypes.count == 1 ? info.keyTypes[0] : SType.tuple(info.keyTypes)
        let pairType = SType.tuple([keyType, valueType])
        let caller = function
        function = .forMapBody(variable, pairType)
        variablesRead.insert(variable)
        let typedBody = checkBlock(body)
        function = caller
        var typedMap = map
        typedMap.type = pairType
        return Stmt(.forMap(variable: variable, map: typedMap, body: typedBody), range: stmt.range)
    }

    mutating func checkCondition(_ e: Expr) -> Expr {
        let c = checkExpr(e)
        if c.type != .none, !c.type.isInteger, !c.type.isPointer {
            diagnostics.append(.error(e.range, "Invalid condition: expected an integer, got \(c.type)"))
        }
        return c
    }

    mutating func checkAssignment(_ stmt: Stmt, target: Expr, op: BinaryOp?, value: Expr) -> Stmt {
        if case .map(let mapName, let keys) = target.kind {
            return checkMapAssignment(stmt, target: target, name: mapName, keys: keys, op: op, value: value)
        }
        guard case .variable(let name) = target.kind else {
            diagnostics.append(.error(target.range, "Only variables ($x) and maps (@x) can be assigned to"))
            return stmt
        }
        var v = checkExpr(value)
        if let op {
            var t = target
            t.type = lookupVariable(name) ?? .none
            if t.type == .none {
                diagnostics.append(.error(target.range, "Undefined or undeclared variable: $\(name)"))
                return stmt
            }
            v = checkBinary(Expr(.binary(op, t, value), range: stmt.range), op, t, v)
        }
        guard v.type != .none else { return stmt }
        v = copiedValue(v)
        if v.type == .void {
            diagnostics.append(.error(value.range, "Value has no type (void) and cannot be assigned to $\(name)"))
            return stmt
        }
        // A whole struct may be named by a variable (bpftrace accepts it), but nothing copies it:
        // every read of such a variable is refused (TypeChecker+RecordFields.swift).
        guard v.type.isStorable || v.type.isRecordValue else {
            diagnostics.append(.error(value.range, Self.notAValue(v.type, storedIn: "$" + name)))
            return stmt
        }
        var declared = lookupVariable(name)
        if variableAssignments[name] == nil { variableAssignments[name] = target.range }
        if declared == nil {
            declared = v.type.isInteger ? .int64.withSign(v.type.isSigned) : v.type
            if let wide = widenedVariables[name], let merged = Self.mergeTypes([wide], [declared ?? v.type])?.first {
                declared = merged
            }
            function.variables[function.variables.count - 1][name] = declared
        } else if let d = declared, !Self.assignable(v.type, to: d) {
            diagnostics.append(.error(stmt.range,
                "Type mismatch for $\(name): trying to assign value of type '\(v.type)' when variable already contains a value of type '\(d)'"))
            return stmt
        } else if let d = declared, let merged = Self.mergeTypes([d], [v.type])?.first, merged != d {
            // `$a = ""; … $a = "hi"`: the variable must hold its longest value.
            widenedVariables[name] = merged
            variableWidened = true
        }
        var t = target
        t.type = declared ?? v.type
        return Stmt(.assign(target: t, op: nil, value: v), range: stmt.range)
    }

    /// Why a value of `type` cannot be kept in a variable or map: a whole struct or array lives
    /// in kernel memory, and only its members and elements are copied out.
    static func notAValue(_ type: SType, storedIn place: String) -> String {
        switch type {
        case .record, .array:
            return "a whole \(type) cannot be stored in \(place): read one of its fields or elements"
        case .void:
            return "this call returns no value to store in \(place)"
        default:
            return "a value of type \(type) cannot be stored in \(place)"
        }
    }

    static func assignable(_ from: SType, to: SType) -> Bool {
        switch (from, to) {
        case (.integer, .integer): return true
        case (.string, .string): return true
        case (.pointer, .pointer), (.integer, .pointer): return true
        case (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { assignable($0, to: $1) }
        default: return from == to
        }
    }

    func lookupVariable(_ name: String) -> SType? {
        function.lookup(name)
    }
}

extension SType {
    var isRecordValue: Bool { if case .record = self { return true }; return false }

    /// What a variable or map can hold: values copied out of the kernel into BPF memory.
    var isStorable: Bool {
        switch self {
        case .integer, .string, .pointer, .tuple, .rendered: return true
        case .none, .void, .array, .record: return false
        }
    }

    func withSign(_ signed: Bool) -> SType {
        if case .integer(let bits, _) = self { return .integer(bits: bits, signed: signed) }
        return self
    }
}
