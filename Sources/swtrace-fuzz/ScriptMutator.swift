/// Mutations of a seed script, at the level of tokens (most of them: the result still looks
/// like a script, so it gets past the lexer and exercises the parser, checker and codegen) and
/// of bytes (for the lexer and the file reader).
struct ScriptMutator {
    let seeds: [[UInt8]]
    /// Tokens seen anywhere in the corpus: replacements come from here, so a mutation swaps
    /// `count` for `hist` or `pid` for `comm`, not for noise.
    let vocabulary: [[UInt8]]

    /// Seeds that compile as they are: most mutations start from one of these, so a mutated
    /// script is often one step from valid and reaches the checker and codegen.
    let validSeeds: [[UInt8]]
    /// The vocabulary by token class (word, number, string, punctuation): a same-class swap
    /// keeps the script's shape.
    private let vocabularyByClass: [Int: [[UInt8]]]

    init(seeds: [[UInt8]], validSeeds: [[UInt8]] = []) {
        self.seeds = seeds
        self.validSeeds = validSeeds.isEmpty ? seeds : validSeeds
        var seen = Set<[UInt8]>()
        for s in seeds {
            for t in ScriptTokens.split(s) where t.count < 40 && !t.allSatisfy({ $0 == 0x20 || $0 == 0x0A }) { seen.insert(t) }
        }
        seen.formUnion(Self.extraTokens.map { Array($0.utf8) })
        vocabulary = seen.sorted { $0.lexicographicallyPrecedes($1) }
        vocabularyByClass = Dictionary(grouping: vocabulary, by: Self.tokenClass)
    }

    static func tokenClass(_ t: [UInt8]) -> Int {
        guard let c = t.first else { return 0 }
        if c >= 0x30 && c <= 0x39 { return 1 }
        if c == UInt8(ascii: "\"") { return 2 }
        if c == UInt8(ascii: "$") || c == UInt8(ascii: "@") { return 3 }
        if (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F { return 4 }
        return 5
    }

    /// Tokens that stress limits and corner cases, whatever the corpus holds.
    static let extraTokens = [
        "0", "-1", "18446744073709551615", "18446744073709551616", "9223372036854775808", "0x", "0xffffffffffffffffff",
        "1e9", "(", ")", "{", "}", "[", "]", ";", ",", "\"", "\"\\", "\\", "'", "$", "@", "$0", "$#", "$99999999999",
        "/*", "*/", "//", "#", "#include", "#define X", "++", "--", "->", ".", ".0", ".99", "?", ":", "::",
        "unroll(0)", "unroll(1000)", "while (1)", "if", "else", "for", "break", "continue", "return", "sizeof", "offsetof",
        "config", "BEGIN", "END", "uprobe:/bin/bash:readline", "tracepoint:syscalls:sys_enter_read", "kprobe:vfs_read",
        "interval:s:1", "profile:hz:99", "software:cpu-clock:1000000", "rawtracepoint:sched_switch", "fentry:vfs_read",
        "args", "args->", "retval", "arg0", "arg9", "curtask", "struct task_struct *", "(int8)", "(uint64)", "(struct x *)",
        "str(", "printf(\"%s %d %llu %-10.3s\\n\",", "kstack", "ustack(perf, 3)", "@x[1,2,3]", "count()", "hist(",
        "lhist(", "stats(", "(1,\"a\")", "\u{00e9}", "\u{0000}",
    ]

    func mutate(_ rng: inout SeededRandom) -> [UInt8] {
        var script = rng.oneIn(4) ? rng.pick(seeds) : rng.pick(validSeeds)
        // Mostly one edit: a script one step from a valid one reaches the checker and codegen.
        let rounds = rng.oneIn(2) ? 1 : 1 + rng.below(rng.oneIn(4) ? 8 : 3)
        for _ in 0..<rounds {
            script = rng.oneIn(5) ? mutateBytes(script, &rng) : mutateTokens(script, &rng)
        }
        return script
    }

    func mutateTokens(_ script: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var tokens = ScriptTokens.split(script)
        guard !tokens.isEmpty else { return rng.pick(vocabulary) }
        let i = rng.below(tokens.count)
        switch rng.below(11) {
        case 8, 9, 10:
            // Same-class swap: an identifier for an identifier, a number for a number.
            let pool = vocabularyByClass[Self.tokenClass(tokens[i])] ?? vocabulary
            tokens[i] = rng.pick(pool)
        case 0: tokens.remove(at: i)
        case 1: tokens[i] = rng.pick(vocabulary)
        case 2: tokens.insert(rng.pick(vocabulary), at: i)
        case 3: tokens.insert(tokens[rng.below(tokens.count)], at: i)
        case 4:
            // Swap two tokens.
            let j = rng.below(tokens.count)
            tokens.swapAt(i, j)
        case 5:
            // Duplicate a run: nesting and repetition.
            let end = min(tokens.count, i + 1 + rng.below(12))
            tokens.insert(contentsOf: tokens[i..<end], at: i)
        case 6:
            // Splice in a run from another seed.
            let other = ScriptTokens.split(rng.pick(seeds))
            if !other.isEmpty {
                let s = rng.below(other.count)
                tokens.insert(contentsOf: other[s..<min(other.count, s + 1 + rng.below(20))], at: i)
            }
        default:
            // A number token becomes a limit value.
            tokens[i] = Array(rng.pick(["0", "1", "-1", "255", "256", "65536", "4294967296", "18446744073709551615",
                                       "99999999999999999999999", "0x7fffffffffffffff"]).utf8)
        }
        return tokens.flatMap { $0 }
    }

    func mutateBytes(_ script: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var bytes = script
        guard !bytes.isEmpty else { return [UInt8(truncatingIfNeeded: rng.next())] }
        let i = rng.below(bytes.count)
        switch rng.below(5) {
        case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
        case 1: bytes.remove(at: i)
        case 2: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
        case 3: bytes[i] ^= UInt8(1) << UInt8(rng.below(8))
        default: bytes.removeSubrange(i..<min(bytes.count, i + 1 + rng.below(16)))
        }
        return bytes
    }
}
