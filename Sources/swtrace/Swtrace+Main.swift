import ArgumentParser
import Glibc

extension Swtrace {
    /// Like ParsableCommand's `main()`, except for a command line it cannot parse: bpftrace
    /// names the bad option and prints its whole usage (scripts grep for `USAGE`), status 1.
    ///
    /// The words after `--` are the script's own options (`getopt()`); they are set aside
    /// before swift-argument-parser sees the rest (ScriptOptionWords.swift).
    static func main() {
        let words = ScriptOptionWords(Array(CommandLine.arguments.dropFirst()))
        scriptOptionWords = words.scriptOptions
        // Not necessarily a Swtrace: --help parses to ArgumentParser's own help command.
        var command: ParsableCommand
        do {
            command = try parseAsRoot(words.ownArguments)
        } catch {
            // --help and the like come here too, as a "clean exit".
            guard exitCode(for: error) != .success else { exit(withError: error) }
            // Only the first reading of the bad word: "or: …" alternatives confuse more than help.
            let first = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid command line"
            fputs("swtrace: \(first)\n", stderr)
            fputs(helpMessage(columns: 100) + "\n", stderr)
            Glibc.exit(1)
        }
        do {
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
