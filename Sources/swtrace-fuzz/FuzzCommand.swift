import ArgumentParser
import Foundation
import Glibc

/// `swtrace-fuzz`: throws mutated and generated programs at the built `swtrace` and reports
/// every crash, hang, verifier rejection and internal error, minimised.
@main
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swtrace-fuzz",
        abstract: "Fuzz swtrace with mutated and generated scripts.",
        discussion: """
            MODE is one of:
              mutate     mutate the seed corpus (every .st under the --corpus folders)
              generate   generate well-typed programs (probe types x functions x statement contexts)
              replay     run the scripts given as FILES once each (a regression folder)
              minimise   shrink FILES to the smallest script that ends the same way
            Exits 1 when any program crashed or hung.
            """)

    @Argument(help: "mutate, generate, replay or minimise")
    var mode: String

    @Argument(help: "Scripts for replay and minimise.")
    var files: [String] = []

    @Option(help: "The swtrace binary to fuzz.")
    var swtrace = ".build/release/swtrace"

    @Option(help: "Random seed: the same seed gives the same programs.")
    var seed: UInt64 = 1

    @Option(help: "Number of programs.")
    var count = 1000

    @Option(help: "Parallel swtrace processes.")
    var jobs = 2

    @Option(help: "Seconds before a run counts as a hang (retried once with 3x as long).")
    var timeout = 10.0

    @Option(help: "Load every Nth program with --dry-run (verifier included; needs root); 0: compile only.")
    var loadEvery = 1

    @Option(help: "Folders whose .st files are the mutation corpus.")
    var corpus: [String] = ["Tests", "examples"]

    @Option(help: "Where minimised findings are written.")
    var crashers = "fuzz-crashers"

    @Flag(help: "Do not minimise findings (faster).")
    var noMinimise = false

    @Flag(help: "Count the error messages of refused programs (to see what the generator gets wrong).")
    var errors = false

    @Option(help: "Print program N of the run (mutate or generate) and exit.")
    var show: Int?

    @Flag(help: "Progress lines on stderr.")
    var progress = false

    func run() throws {
        let process = SwtraceProcess(executable: swtrace, timeout: timeout)
        guard access(swtrace, X_OK) == 0 else { throw ValidationError("no executable swtrace at \(swtrace); build it first") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("swtrace-fuzz-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let effectiveLoadEvery = getuid() == 0 ? loadEvery : 0

        switch mode {
        case "mutate", "generate":
            let source: FuzzCampaign.Source
            if mode == "mutate" {
                let seeds = Self.corpusScripts(corpus)
                guard !seeds.isEmpty else { throw ValidationError("no .st files under \(corpus.joined(separator: ", "))") }
                let checker = ProgramChecker(process: process, workDirectory: scratch)
                let valid = seeds.filter { checker.check($0, depth: .compile).outcome == .loaded }
                print("corpus: \(seeds.count) scripts, \(valid.count) of them valid")
                source = .mutate(ScriptMutator(seeds: seeds, validSeeds: valid))
            } else {
                print("generator: \(ProgramGenerator.combinations) (probe type, feature, context) combinations")
                source = .generate
            }
            let start = Date()
            let campaignSetup = FuzzCampaign(source: source, seed: seed, count: count, jobs: max(1, jobs),
                                             loadEvery: effectiveLoadEvery, swtrace: process, scratch: scratch)
            if let show {
                print(String(decoding: campaignSetup.program(show).script, as: UTF8.self))
                return
            }
            let campaign = FuzzCampaign(source: source, seed: seed, count: count, jobs: max(1, jobs),
                                        loadEvery: effectiveLoadEvery, swtrace: process, scratch: scratch)
            campaign.collectErrors = errors
            campaign.run(progress: progress)
            print("\(mode), seed \(seed), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
            print(campaign.summary(), terminator: "")
            let paths = campaign.saveFindings(to: crashers, minimise: !noMinimise)
            for p in paths { print("saved \(p)") }
            let failed = (campaign.tally[.crash] ?? 0) + (campaign.tally[.hang] ?? 0)
            if failed > 0 { throw ExitCode(1) }
        case "replay":
            let checker = ProgramChecker(process: process, workDirectory: scratch)
            var failed = 0
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                let result = checker.check(Array(data), depth: effectiveLoadEvery > 0 ? .load : .compile)
                print("\(file): \(result.outcome.rawValue) \(result.signature)")
                if result.outcome.isFailure { failed += 1 }
            }
            if failed > 0 { throw ExitCode(1) }
        case "minimise":
            let checker = ProgramChecker(process: process, workDirectory: scratch)
            let depth: ProgramChecker.Depth = effectiveLoadEvery > 0 ? .load : .compile
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                let original = checker.check(Array(data), depth: depth)
                print("// \(file): \(original.outcome.rawValue) \(original.signature)")
                var minimiser = CrashMinimiser(reproduces: { candidate in
                    let r = checker.check(candidate, depth: depth)
                    return r.outcome == original.outcome && r.signature == original.signature
                })
                print(String(decoding: minimiser.minimise(Array(data)), as: UTF8.self))
            }
        default:
            throw ValidationError("MODE is mutate, generate, replay or minimise, not '\(mode)'")
        }
    }

    /// Every .st file under the folders, sorted by path so a seed means the same corpus order.
    static func corpusScripts(_ folders: [String]) -> [[UInt8]] {
        var paths: [String] = []
        for folder in folders {
            guard let walker = FileManager.default.enumerator(atPath: folder) else { continue }
            for case let p as String in walker where p.hasSuffix(".st") { paths.append("\(folder)/\(p)") }
        }
        return paths.sorted().compactMap { FileManager.default.contents(atPath: $0).map { Array($0) } }
    }
}
