/// Writes well-typed bpftrace programs from the grammar. Program `n` features one
/// (probe type, feature, statement context) triple, walking the whole product so a
/// run of (probes × features × contexts) programs covers every combination once; the rest of
/// the program (filler statements, nesting, operators) is random from the seed.
struct ProgramGenerator {
    /// Where the featured function or builtin is placed.
    enum Context: CaseIterable {
        case body, ifThen, ifElse, whileLoop, unroll, forMap, predicate, tuple, mapKey, nested, ternary, printfArgument
    }

    static var combinations: Int { GeneratedProbe.allCases.count * features.count * Context.allCases.count }

    var rng: SeededRandom
    private var probe = GeneratedProbe.begin
    private var depth = 0
    private var variables: [(name: String, isString: Bool)] = []

    init(seed: UInt64) { rng = SeededRandom(seed: seed) }

    /// Program number `index`, and whether it may only be compiled (kprobe/fentry).
    mutating func program(_ index: Int) -> (text: String, compileOnly: Bool) {
        let probes = GeneratedProbe.allCases, contexts = Context.allCases
        // A stride coprime to the number of combinations: still each one once per cycle, but a
        // short run already spreads over every probe type, feature and context.
        var i = (index % Self.combinations) * 7919 % Self.combinations
        probe = probes[i % probes.count]; i /= probes.count
        let feature = features[i % features.count]; i /= features.count
        let context = contexts[i % contexts.count]
        var text = ""
        var compileOnly = probe.compileOnly
        // Sometimes a second probe shares the maps, with another type.
        if rng.oneIn(3) {
            let featured = probe
            variables = []
            probe = rng.pick(probes)
            compileOnly = compileOnly || probe.compileOnly
            text += body(header: probe.header, predicate: rng.oneIn(4) ? integer() : nil, statements: filler(2))
            probe = featured
        }
        text += featuredProbe(feature, context)
        return (text, compileOnly)
    }

    private mutating func featuredProbe(_ feature: Feature, _ context: Context) -> String {
        variables = []
        depth = 0
        // Strings of one size only go into $s and @ms: a string[2] after a string[16] is a type error.
        var statements = ["$i = \(integer())", "$s = comm", "@mi[0] = 1", "@ms[0] = comm"]
        variables = [("$i", false), ("$s", true)]
        var predicate: String?
        let use = instantiate(feature)
        let asStatement: String
        switch feature.kind {
        case .statement: asStatement = use
        case .integer: asStatement = rng.oneIn(2) ? "@mi[\(integer())] = \(use)" : "printf(\"%d\\n\", \(use))"
        case .string: asStatement = rng.oneIn(2) ? "@mstr[\(integer())] = \(use)" : "printf(\"%s\\n\", \(use))"
        case .printable: asStatement = rng.oneIn(2) ? "@mp[\(use)] = count()" : "printf(\"%s\\n\", \(use))"
        }
        switch context {
        case .body: statements.append(asStatement)
        case .ifThen: statements.append("if (\(condition())) { \(block([asStatement])) }")
        case .ifElse:
            statements.append("if (\(condition())) { \(block(filler(1))) } else if (\(condition())) { \(block(filler(1))) } else { \(block([asStatement])) }")
        case .whileLoop:
            statements.append("$n = 0; while ($n < \(1 + rng.below(5))) { $n++; if ($n == 2) { continue; } \(block([asStatement])) if ($n > 3) { break; } }")
        case .unroll: statements.append("unroll(\(1 + rng.below(4))) { \(block([asStatement])) }")
        case .forMap:
            statements.append("for ($kv : @mi) { printf(\"%d %d\\n\", $kv.0, $kv.1); \(block([asStatement])) }")
        case .predicate:
            predicate = feature.kind == .integer ? use : (feature.kind == .string ? "\(use) == \"bash\"" : condition())
            if feature.kind != .integer && feature.kind != .string { statements.append(asStatement) }
        case .tuple:
            switch feature.kind {
            case .integer: statements.append("$t = (\(use), \(string())); printf(\"%d %s\\n\", $t.0, $t.1)")
            case .string, .printable: statements.append("$t = (\(integer()), \(use)); print($t)")
            case .statement: statements.append("$t = (\(integer()), (\(string()), \(integer()))); print($t.1); \(asStatement)")
            }
        case .mapKey:
            switch feature.kind {
            case .integer: statements.append("@mk[\(use), \(string())] = \(integer())")
            case .string, .printable: statements.append("@mk2[\(use)] = \(integer()); print(@mk2)")
            case .statement: statements.append("@mk3[(\(integer()), \(string()))] = 1; \(asStatement)")
            }
        case .nested:
            statements.append("unroll(2) { if (\(condition())) { $n = 0; while ($n < 2) { $n++; \(block([asStatement])) } } }")
        case .ternary:
            if feature.kind == .integer {
                statements.append("$i = \(condition()) ? \(use) : \(integer())")
            } else if feature.kind == .string {
                statements.append("$s2 = \(condition()) ? \(use) : \(use)")
            } else {
                statements.append(asStatement)
            }
        case .printfArgument:
            switch feature.kind {
            case .integer: statements.append("printf(\"%d %u %x %5d|%-5d|%c\\n\", \(use), \(use), \(use), \(use), \(use), \(use))")
            case .string, .printable: statements.append("printf(\"[%s] [%10s] [%-10s]\\n\", \(use), \(use), \(use))")
            case .statement: statements.append(asStatement)
            }
        }
        statements += filler(rng.below(3))
        return body(header: probe.header, predicate: predicate, statements: statements)
    }

    private func body(header: String, predicate: String?, statements: [String]) -> String {
        let filter = predicate.map { " /\($0)/" } ?? ""
        return "\(header)\(filter)\n{\n" + statements.map { "  \($0);\n" }.joined() + "}\n"
    }

    private func block(_ statements: [String]) -> String {
        statements.map { "\($0);" }.joined(separator: " ")
    }

    /// Fills the feature's holes with fresh expressions.
    private mutating func instantiate(_ feature: Feature) -> String {
        var out = ""
        for c in feature.template {
            switch c {
            case "I": out += integer()
            case "S": out += string()
            case "P": out += probe.textPointer ?? integer()
            default: out.append(c)
            }
        }
        return out
    }

    private mutating func filler(_ count: Int) -> [String] {
        (0..<count).map { _ in
            switch rng.below(7) {
            case 0: return "$i = \(integer())"
            case 1: return "@mi[\(integer())] = \(integer())"
            case 2: return "printf(\"%d %s\\n\", \(integer()), \(string()))"
            case 3: return "if (\(condition())) { @mi[\(integer())]++; }"
            case 4: return "@fill[\(integer()), \(string())] = count()"
            case 5: return "printf(\"%s\\n\", \(string()))"
            default: return "@fh = hist(\(integer()))"
            }
        }
    }

    private mutating func condition() -> String {
        rng.oneIn(3) ? "\(string()) == \(string())" : "\(integer()) \(rng.pick(["<", "<=", ">", ">=", "==", "!="])) \(integer())"
    }

    mutating func integer() -> String {
        depth += 1
        defer { depth -= 1 }
        if depth > 3 || rng.oneIn(2) {
            let pool = commonIntegers + probe.integers + variables.filter { !$0.isString }.map(\.name)
            return rng.pick(pool)
        }
        switch rng.below(6) {
        case 0: return "(\(integer()) \(rng.pick(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"])) \(integer()))"
        case 1: return "(\(condition()) ? \(integer()) : \(integer()))"
        case 2: return "(\(rng.pick(["int8", "uint8", "int16", "uint32", "int64", "uint64"])))\(integer())"
        case 3: return "@mi[\(integer())]"
        case 4: return "\(rng.pick(["-", "~", "!"]))\(integer())"
        default: return "strncmp(\(string()), \(string()), \(rng.below(20)))"
        }
    }

    mutating func string() -> String {
        depth += 1
        defer { depth -= 1 }
        var pool = ["comm", "\"\"", "\"a\"", "\"bash\"", "\"\\n\\t\\\"\\\\\""] + variables.filter(\.isString).map(\.name)
        if let p = probe.textPointer { pool.append("str(\(p))") }
        return rng.pick(pool)
    }
}
