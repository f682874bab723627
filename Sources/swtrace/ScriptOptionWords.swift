import Glibc
import ScriptParser

/// The command line after the first `--`: `--NAME[=VALUE]` words are the script's own options
/// (its `getopt()` calls), any other word a positional parameter (`$1…`), as before `--`.
struct ScriptOptionWords {
    /// swtrace's options that take a value: a `--` right after one is that value, not the split.
    static let optionsWithValues: Set<String> = ["-e", "-o", "--emit-llvm", "--emit-elf", "-B", "-f", "-p", "-c",
                                                 "--transport", "--metrics-addr", "--aot", "-I", "--include"]

    /// What swift-argument-parser parses (positional words after `--` stay behind a `--` of
    /// their own, so `-- -5` is still `$1 = -5`).
    var ownArguments: [String]
    /// The `--NAME[=VALUE]` words, in order.
    var scriptOptions: [String]

    init(_ arguments: [String]) {
        var index = 0
        var split: Int?
        while index < arguments.count {
            let word = arguments[index]
            if word == "--" { split = index; break }
            index += Self.optionsWithValues.contains(word) ? 2 : 1
        }
        guard let split else {
            ownArguments = arguments
            scriptOptions = []
            return
        }
        let after = arguments[(split + 1)...]
        scriptOptions = after.filter { $0.hasPrefix("--") }
        let positional = after.filter { !$0.hasPrefix("--") }
        ownArguments = Array(arguments[..<split]) + (positional.isEmpty ? [] : ["--"] + positional)
    }
}

/// The words after `--`, set by `main()` before the command runs.
nonisolated(unsafe) var scriptOptionWords: [String] = []

extension Swtrace {
    enum ScriptOptionsOutcome {
        case values([String: ScriptOption.Value])
        case exit(Int32)
    }

    /// Checks the words after `--` against the script's `getopt()` declarations: unknown
    /// options and bad values stop here, before anything is compiled or loaded; `--help`
    /// lists the options.
    func scriptOptionValues(_ source: SourceFile) -> ScriptOptionsOutcome {
        if scriptOptionWords.isEmpty { return .values([:]) }
        let (declared, diagnostics) = FrontEnd.scriptOptions(source)
        guard let declared else {
            fputs(DiagnosticRenderer.render(Diagnostics(diagnostics.errors), in: source), stderr)
            return .exit(1)
        }
        let scriptName = program == nil ? source.name : "-e 'program'"
        if scriptOptionWords.contains("--help") {
            fputs(declared.usage(scriptName: scriptName), stdout)
            return .exit(0)
        }
        switch declared.values(from: scriptOptionWords) {
        case .success(let values): return .values(values)
        case .failure(let e):
            fputs("ERROR: \(e.message)\n", stderr)
            fputs("HINT: 'swtrace \(scriptName) -- --help' lists the script's options\n", stderr)
            return .exit(1)
        }
    }
}
