import ArgumentParser
import BPFCodegen
import Glibc
import ScriptParser
import TraceRuntime

/// The `swtrace` command: bpftrace's options, over swtrace's compiler and runtime.
@main
struct Swtrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swtrace",
        abstract: "A bpftrace-compatible tracer: compiles a script to BPF and prints what the kernel sends back.",
        usage: """
            swtrace [options] FILENAME
            swtrace [options] - < FILE     (the script on standard input)
            swtrace [options] -e 'program'
            swtrace -l [PATTERN]
            """)

    /// What `-V`/`--version` prints: swtrace's own version and the bpftrace it follows.
    static let version = "swtrace v0.1.0 (bpftrace v0.17.0 compatible)"

    @Option(name: .customShort("e"), help: ArgumentHelp("The program to run.", valueName: "program"))
    var program: String?

    @Flag(name: .customShort("l"), help: "List probes matching PATTERN (all tracepoints without one).")
    var list = false

    @Flag(name: .shortAndLong, help: "Verbose: field types with -l; libbpf and verifier messages otherwise.")
    var verbose = false

    @Flag(name: .customShort("q"), help: "Quiet: no 'Attached N probes' line.")
    var quiet = false

    @Flag(name: .customLong("dry-run"), help: "Compile and load into the kernel (verifier included), but do not attach.")
    var dryRun = false

    @Option(name: .customLong("emit-llvm"), help: ArgumentHelp("Write the LLVM IR to FILE.", valueName: "FILE"))
    var emitLLVM: String?

    @Flag(name: .customShort("d"), help: "Debug, without tracing: -d prints the LLVM IR; -dd also loads it into the kernel, showing libbpf's log.")
    var debugLevel: Int

    @Flag(name: [.customShort("V"), .customLong("version")], help: "Print swtrace's version.")
    var showVersion = false

    @Flag(name: .customLong("info"), help: "Print the kernel's BPF support (measured) and how swtrace was built.")
    var showInfo = false

    @Flag(name: .customShort("k"), help: "-k: warn (with the script location) when a BPF helper fails at run time, except reads; -kk: every helper, reads and map lookups included.")
    var helperChecks: Int

    @Option(name: .customShort("I"), parsing: .singleValue, help: ArgumentHelp("Add DIR to the #include search path (searched before the system's).", valueName: "DIR"))
    var includeDirectories: [String] = []

    @Option(name: .customLong("include"), parsing: .singleValue, help: ArgumentHelp("Read FILE as if the script began with #include <FILE>.", valueName: "FILE"))
    var forcedIncludes: [String] = []

    @Flag(name: .customLong("usdt-file-activation"), help: "Activate USDT semaphores in every running process that maps the probed file, not only the -p/-c process.")
    var usdtFileActivation = false

    @Option(name: .customLong("emit-elf"), help: ArgumentHelp("Write the BPF object to FILE.", valueName: "FILE"))
    var emitELF: String?

    @Option(name: .customShort("o"), help: ArgumentHelp("Write the program's output to FILE.", valueName: "FILE"))
    var outputFile: String?

    @Option(name: .customShort("B"), help: ArgumentHelp("Output buffering: line, full or none.", valueName: "MODE"))
    var buffering: String = "line"

    @Option(name: .customShort("f"), help: ArgumentHelp("Output format: text or json.", valueName: "FORMAT"))
    var outputFormat: String = "text"

    @Flag(name: .customLong("no-warnings"), help: "Do not print warnings.")
    var noWarnings = false

    @Flag(name: .customLong("unsafe"), help: "Allow functions with side effects on the system: system(), signal(), override().")
    var unsafe = false

    @Option(name: .customShort("p"), parsing: .unconditional, help: ArgumentHelp("Trace only process PID (uprobes and USDT attach to it); stop when it exits.", valueName: "PID"))
    var pidArgument: String?

    @Option(name: .customShort("c"), help: ArgumentHelp("Run CMD, held until every probe is attached (cpid is its pid); stop when it exits.", valueName: "CMD"))
    var command: String?

    @Argument(help: ArgumentHelp("The script file (without -e; '-' reads it from standard input), or the listing pattern with -l. What follows is $1, $2, ….", valueName: "FILENAME"))
    var arguments: [String] = []

    func run() throws {
        if showVersion {
            print(Self.version)
            return
        }
        if showInfo {
            fputs(KernelFeatureReport.text(version: Self.version, llvm: ObjectEmitter.llvmVersion), stdout)
            return
        }
        // bpftrace checks -p before anything else, the script file included.
        let pid: Int32?
        switch pidArgument.map(TargetPID.parse) {
        case .failure(let message)?:
            fputs("ERROR: \(message)\n", stderr)
            throw ExitCode(1)
        case .success(let value)?: pid = value
        case nil: pid = nil
        }
        if list { throw ExitCode(listProbes(pid: pid)) }
        guard let source = try loadSource() else {
            fputs("USAGE: swtrace [options] FILENAME | -e 'program' | -l [PATTERN]\n", stderr)
            throw ExitCode(1)
        }
        throw ExitCode(try trace(source, pid: pid))
    }

    func listProbes(pid: Int32?) -> Int32 {
        _ = TracefsCatalog.ensureTracefsMounted()
        do {
            let text = try ProbeLister(catalog: TracefsCatalog(), targetPID: pid).list(pattern: arguments.first ?? program, verbose: verbose)
            fputs(text, stdout)
            return 0
        } catch {
            fputs("\(error)\n", stderr)
            return 1
        }
    }

    func loadSource() throws -> SourceFile? {
        if let program { return SourceFile(name: "stdin", text: program) }
        guard let path = arguments.first else { return nil }
        // `-`: the script comes on standard input, named "stdin" in messages as with -e.
        switch readFileContents(path == "-" ? "/dev/stdin" : path) {
        case .success(let bytes): return SourceFile(name: path == "-" ? "stdin" : path, text: String(decoding: bytes, as: UTF8.self))
        case .failure(let e):
            fputs("ERROR: failed to open file '\(path)': \(String(cString: strerror(e.errno)))\n", stderr)
            throw ExitCode(1)
        }
    }

    func trace(_ source: SourceFile, pid: Int32?) throws -> Int32 {
        guard outputFormat == "text" || outputFormat == "json" else {
            fputs("ERROR: -f takes text or json, not '\(outputFormat)'\n", stderr)
            return 1
        }
        // Without the rights, tracefs reads fail too and would look like "tracepoint not found".
        let compileOnly = (emitLLVM != nil || emitELF != nil || debugLevel == 1) && !dryRun
        if !compileOnly, !Privileges.canLoadBPF() {
            fputs("ERROR: \(Privileges.missingMessage)\n", stderr)
            return 1
        }
        guard let mode = OutputStream.Buffering(rawValue: buffering) else {
            fputs("ERROR: -B takes line, full or none, not '\(buffering)'\n", stderr)
            return 1
        }
        _ = TracefsCatalog.ensureTracefsMounted()
        let timing = PhaseTiming(enabled: getenv("SWTRACE_TIMING") != nil)
        if pid != nil, command != nil {
            fputs("ERROR: -p and -c cannot be used together\n", stderr)
            return 1
        }
        var settings = Self.settingsFromEnvironment()
        settings.targetPID = pid
        settings.hasChildCommand = command != nil
        settings.unsafe = unsafe
        settings.helperErrorChecks = min(helperChecks, 2)
        settings.targetBinary = pid.flatMap(TargetExecutable.of(pid:)) ?? command.flatMap(TargetExecutable.of(command:))
        settings.targetFiles = pid.map(ProcessBinaries.of(pid:)) ?? settings.targetBinary.map { [$0] } ?? []
        var frontEndOptions = FrontEndOptions(positionalArguments: positionalArguments, settings: settings)
        frontEndOptions.headers = HeaderSearch(directories: includeDirectories, forcedIncludes: forcedIncludes) { path in
            try? String(decoding: readFileContents(path).get(), as: UTF8.self)
        }
        let (typed, diagnostics) = FrontEnd.compile(source, catalog: TracefsCatalog(), options: frontEndOptions)
        let shown = noWarnings ? Diagnostics(diagnostics.errors) : diagnostics
        fputs(DiagnosticRenderer.render(shown, in: source), stderr)
        guard let typed else { return 1 }
        timing.mark("parse+check")

        let artifact: Artifact
        do {
            artifact = try ObjectEmitter.compile(typed, options: CodegenOptions(keepIR: emitLLVM != nil || debugLevel > 0))
        } catch let e as CodegenError {
            if let range = e.range {
                fputs(DiagnosticRenderer.render(.error(range, e.message), in: source), stderr)
            } else {
                fputs("ERROR: \(e.message)\n", stderr)
            }
            return 1
        }
        timing.mark("codegen")
        if let path = emitLLVM, !writeFile(path, Array((artifact.llvmIR ?? "").utf8)) { return 1 }
        if let path = emitELF, !writeFile(path, artifact.object) { return 1 }
        if debugLevel > 0 { fputs(artifact.llvmIR ?? "", stdout) }
        if (emitLLVM != nil || emitELF != nil || debugLevel == 1), !dryRun { return 0 }

        do {
            let output = try outputFile.map { try OutputStream(path: $0, buffering: mode) } ?? OutputStream(buffering: mode)
            var options = TraceSession.Options()
            options.quiet = quiet
            options.verbose = verbose || debugLevel > 1
            options.format = outputFormat == "json" ? JSONOutputFormat() : TextOutputFormat()
            options.process = pid.map { .pid($0) } ?? command.map { .command($0) } ?? .none
            let session: TraceSession
            do {
                session = try TraceSession(artifact: artifact, source: source, output: output, options: options)
            } catch let e as RuntimeError where e.refusesProbeType && dryRun {
                // Nothing of the script is wrong: check what this kernel can check, and say so.
                fputs("WARNING: \(e.message); the other probes were verified\n", stderr)
                options.withoutTrampolines = true
                session = try TraceSession(artifact: artifact, source: source, output: output, options: options)
            }
            timing.mark("load")
            if dryRun || debugLevel > 1 { return 0 }
            return try session.run()
        } catch let e as RuntimeError {
            fputs("ERROR: \(e.message)\n", stderr)
            if verbose, let detail = e.detail { fputs(detail, stderr) }
            return 1
        }
    }

    /// `$1…$N`: what follows the script file, or every argument with `-e`.
    var positionalArguments: [String] {
        program == nil ? Array(arguments.dropFirst()) : arguments
    }

    /// bpftrace's environment variables (0.17 names and the later ones).
    static func settingsFromEnvironment() -> Settings {
        var settings = Settings()
        func number(_ names: String...) -> Int? {
            for name in names {
                if let raw = getenv(name), let v = Int(String(cString: raw)), v > 0 { return v }
            }
            return nil
        }
        if let v = number("BPFTRACE_STRLEN", "BPFTRACE_MAX_STRLEN") { settings.stringLength = min(v, Settings.maxStringLength) }
        if let v = number("BPFTRACE_MAP_KEYS_MAX", "BPFTRACE_MAX_MAP_KEYS") { settings.maxMapKeys = v }
        if let v = number("BPFTRACE_PERF_RB_PAGES") { settings.ringBufferSize = Settings.ringBufferBytes(pages: v) }
        return settings
    }

    func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
        guard let f = fopen(path, "w") else {
            fputs("ERROR: could not write \(path): \(String(cString: strerror(errno)))\n", stderr)
            return false
        }
        defer { fclose(f) }
        return bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) == $0.count }
    }
}

/// `SWTRACE_TIMING=1`: how long each start-up phase took, on stderr, for bench/.
final class PhaseTiming {
    let enabled: Bool
    private var last: timespec

    init(enabled: Bool) {
        self.enabled = enabled
        last = timespec()
        clock_gettime(CLOCK_MONOTONIC, &last)
    }

    func mark(_ phase: String) {
        guard enabled else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let micros = (now.tv_sec - last.tv_sec) * 1_000_000 + (now.tv_nsec - last.tv_nsec) / 1000
        fputs("timing: \(phase) \(micros) us\n", stderr)
        last = now
    }
}
