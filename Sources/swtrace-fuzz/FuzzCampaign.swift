import Foundation

/// One fuzz run: N programs, from the mutator or the generator, checked on `jobs` workers,
/// tallied by outcome; findings grouped by signature, the first of each minimised and saved.
final class FuzzCampaign {
    enum Source {
        case mutate(ScriptMutator)
        case generate
    }

    struct Finding {
        var result: FuzzResult
        var script: [UInt8]
        var index: Int
        var compileOnly: Bool
        var count = 1
        /// Every program that ended this way, for `--show` (the first twenty).
        var indices: [Int] = []
    }

    let source: Source
    let seed: UInt64
    let count: Int
    let jobs: Int
    /// Every Nth program is loaded with --dry-run (0: none); the rest are compiled only.
    let loadEvery: Int
    let swtrace: SwtraceProcess
    let scratch: String

    private let lock = NSLock()
    private(set) var tally: [FuzzOutcome: Int] = [:]
    private(set) var findings: [String: Finding] = [:]
    private(set) var done = 0
    private(set) var loadedRuns = 0
    private var lastReport = Date()
    /// Located error messages by text (with --errors): shows what the generator gets wrong.
    private(set) var errorMessages: [String: Int] = [:]
    var collectErrors = false
    /// The first few unlocated errors, by message, with the program that gave each.
    private(set) var otherErrors: [String: Int] = [:]

    init(source: Source, seed: UInt64, count: Int, jobs: Int, loadEvery: Int, swtrace: SwtraceProcess, scratch: String) {
        self.source = source
        self.seed = seed
        self.count = count
        self.jobs = jobs
        self.loadEvery = loadEvery
        self.swtrace = swtrace
        self.scratch = scratch
    }

    /// Program `index` of this run: the same for a given seed, whatever the number of jobs.
    func program(_ index: Int) -> (script: [UInt8], compileOnly: Bool) {
        switch source {
        case .mutate(let mutator):
            var rng = SeededRandom(seed: seed &* 0x100_0000_01B3 &+ UInt64(index))
            return (mutator.mutate(&rng), false)
        case .generate:
            var generator = ProgramGenerator(seed: seed &* 0x100_0000_01B3 &+ UInt64(index))
            let (text, compileOnly) = generator.program(index &+ Int(truncatingIfNeeded: seed % 100_000))
            return (Array(text.utf8), compileOnly)
        }
    }

    func depth(_ index: Int, compileOnly: Bool) -> ProgramChecker.Depth {
        !compileOnly && loadEvery > 0 && index % loadEvery == 0 ? .load : .compile
    }

    func run(progress: Bool) {
        DispatchQueue.concurrentPerform(iterations: jobs) { worker in
            let dir = "\(scratch)/worker\(worker)"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let checker = ProgramChecker(process: swtrace, workDirectory: dir)
            var index = worker
            while index < count {
                let (script, compileOnly) = program(index)
                let depth = depth(index, compileOnly: compileOnly)
                let result = checker.check(script, depth: depth)
                record(result, script: script, index: index, compileOnly: compileOnly || depth == .compile, progress: progress,
                       loaded: depth == .load)
                index += jobs
            }
        }
    }

    private func record(_ result: FuzzResult, script: [UInt8], index: Int, compileOnly: Bool, progress: Bool, loaded: Bool) {
        lock.lock()
        defer { lock.unlock() }
        tally[result.outcome, default: 0] += 1
        done += 1
        if loaded { loadedRuns += 1 }
        if collectErrors, result.outcome == .locatedError || result.outcome == .otherError {
            for line in result.stderr.split(separator: "\n") where line.contains("ERROR:") {
                let message = line.components(separatedBy: "ERROR: ").last ?? ""
                errorMessages[String(message.prefix(90)), default: 0] += 1
            }
        }
        if result.outcome == .otherError, otherErrors.count < 10, otherErrors[result.signature] == nil {
            otherErrors[result.signature] = index
        }
        if result.outcome.isFinding {
            let key = "\(result.outcome.rawValue): \(result.signature)"
            if findings[key] == nil {
                findings[key] = Finding(result: result, script: script, index: index, compileOnly: compileOnly, indices: [index])
                FileHandle.standardError.write("finding #\(index): \(key)\n".data(using: .utf8)!)
            } else {
                findings[key]?.count += 1
                if findings[key]!.indices.count < 20 { findings[key]?.indices.append(index) }
            }
        }
        if progress, Date().timeIntervalSince(lastReport) > 10 {
            lastReport = Date()
            FileHandle.standardError.write("\(done)/\(count): \(summary(oneLine: true))\n".data(using: .utf8)!)
        }
    }

    func summary(oneLine: Bool = false) -> String {
        let parts = FuzzOutcome.allCases.map { "\($0.rawValue) \(tally[$0] ?? 0)" }
        if oneLine { return parts.joined(separator: ", ") }
        var text = "programs run: \(done) (\(loadedRuns) loaded with --dry-run, the rest compiled only)\n"
        for o in FuzzOutcome.allCases { text += "  \(o.rawValue): \(tally[o] ?? 0)\n" }
        for (message, n) in errorMessages.sorted(by: { $0.value > $1.value }).prefix(40) {
            text += "  error x\(n): \(message)\n"
        }
        for (message, index) in otherErrors.sorted(by: { $0.value < $1.value }) {
            text += "other error (first: program \(index)): \(message)\n"
        }
        for (key, f) in findings.sorted(by: { $0.key < $1.key }) {
            text += "finding x\(f.count) (first: program \(f.index)): \(key)\n"
            if f.indices.count > 1 {
                text += "  programs: " + f.indices.map(String.init).joined(separator: " ") + "\n"
            }
        }
        return text
    }

    /// Minimises the first script of each finding and writes it to `folder`; returns the paths.
    func saveFindings(to folder: String, minimise: Bool) -> [String] {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let checker = ProgramChecker(process: swtrace, workDirectory: "\(scratch)/minimise")
        try? FileManager.default.createDirectory(atPath: "\(scratch)/minimise", withIntermediateDirectories: true)
        var paths: [String] = []
        for (n, (key, f)) in findings.sorted(by: { $0.key < $1.key }).enumerated() {
            let depth: ProgramChecker.Depth = f.compileOnly ? .compile : .load
            var script = f.script
            // A hang takes the whole time limit (three times over) per try: minimising one
            // would take hours, so it is saved as found.
            if minimise, f.result.outcome != .hang {
                var minimiser = CrashMinimiser(reproduces: { candidate in
                    let r = checker.check(candidate, depth: depth)
                    return r.outcome == f.result.outcome && r.signature == f.result.signature
                })
                script = minimiser.minimise(script)
            }
            let name = "\(f.result.outcome == .crash ? "crash" : f.result.outcome == .hang ? "hang" : f.result.outcome == .verifierRejection ? "verifier" : "internal")-\(seed)-\(n).st"
            let path = "\(folder)/\(name)"
            let header = "// \(key.replacingOccurrences(of: "\n", with: " "))\(f.compileOnly ? "" : " (with --dry-run)")\n"
            FileManager.default.createFile(atPath: path, contents: Data(header.utf8 + script))
            paths.append(path)
        }
        return paths
    }
}
