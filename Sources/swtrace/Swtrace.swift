import ArgumentParser
import BPFCodegen
import Glibc
import ScriptParser
import SystemCatalog
import TraceRuntime

/// The `swtrace` command: bpftrace's options, over swtrace's compiler and runtime.
@main
struct Swtrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swtrace",
        abstract: "A bpftrace-compatible tracer: compiles a script to BPF and prints what the kernel sends back.",
        usage: """
            swtrace [options] FILENAME [ARGS…] [-- --NAME[=VALUE]…]
            swtrace [options] - [ARGS…] < FILE     (the script on standard input)
            swtrace [options] -e 'program' [ARGS…] [-- --NAME[=VALUE]…]
            swtrace -l [PATTERN]
            """,
        discussion: """
            Words after -- that start with -- are the script's own options, read by its getopt() \
            calls: --NAME=VALUE, or --NAME for a boolean. 'swtrace FILENAME -- --help' lists them.
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

    @Option(name: .customLong("aot"), help: ArgumentHelp("Write FILE: an executable that runs this script without swtrace or LLVM (it takes -o -f -q -p -c -B -v).", valueName: "FILE"))
    var aot: String?

    @Option(name: .customShort("o"), help: ArgumentHelp("Write the program's output to FILE.", valueName: "FILE"))
    var outputFile: String?

    @Option(name: .customShort("B"), help: ArgumentHelp("Output buffering: line, full or none.", valueName: "MODE"))
    var buffering: String = "line"

    @Option(name: .customShort("f"), help: ArgumentHelp("Output format: text or json.", valueName: "FORMAT"))
    var outputFormat: String = "text"

    @Option(name: .customLong("transport"),
            help: ArgumentHelp("How events reach swtrace: ringbuf (BPF ring buffer, kernel 5.8+), perf (a perf event array, one buffer per CPU, as bpftrace 0.17 and bcc) or auto: ringbuf when the kernel has it.",
                               valueName: "auto|ringbuf|perf"))
    var transport: String = "auto"

    @Flag(name: .customLong("no-warnings"), help: "Do not print warnings.")
    var noWarnings = false

    @Flag(name: .customLong("unsafe"), help: "Allow functions with side effects on the system: system(), signal(), override().")
    var unsafe = false

    @Option(name: .customShort("p"), parsing: .unconditional, help: ArgumentHelp("Trace only process PID (uprobes and USDT attach to it); stop when it exits.", valueName: "PID"))
    var pidArgument: String?

    @Option(name: .customShort("c"), help: ArgumentHelp("Run CMD, held until every probe is attached (cpid is its pid); stop when it exits.", valueName: "CMD"))
    var command: String?

    @Option(name: .customLong("metrics-addr"), help: ArgumentHelp("Serve the maps to Prometheus at http://HOST:PORT/metrics while tracing (:PORT listens on 127.0.0.1).", valueName: "HOST:PORT"))
    var metricsAddress: String?

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
        if let program {
            if let e = ScriptFile.sizeError(program.utf8.count, name: "-e") {
                fputs(e.message + "\n", stderr)
                throw ExitCode(1)
            }
            return SourceFile(name: "stdin", text: program)
        }
        guard let path = arguments.first else { return nil }
        // `-`: the script comes on standard input, named "stdin" in messages as with -e.
        let text = ScriptFile.read(path == "-" ? "/dev/stdin" : path, shownAs: path)
            .flatMap { ScriptFile.decode($0, name: path == "-" ? "stdin" : path) }
        switch text {
        case .success(let source): return source
        case .failure(let e):
            fputs(e.message + "\n", stderr)
            throw ExitCode(1)
        }
    }

    /// The flags the runtime takes, shared with AOT executables.
    func runtimeFlags(pid: Int32?) -> RuntimeFlags {
        var flags = RuntimeFlags()
        flags.quiet = quiet
        flags.verbose = verbose || debugLevel > 1
        flags.outputFile = outputFile
        flags.format = outputFormat
        flags.buffering = buffering
        flags.pid = pid
        flags.command = command
        flags.dryRun = dryRun || debugLevel > 1
        flags.metricsAddress = metricsAddress
        return flags
    }

    func trace(_ source: SourceFile, pid: Int32?) throws -> Int32 {
        let optionValues: [String: ScriptOption.Value]
        switch scriptOptionValues(source) {
        case .values(let v): optionValues = v
        case .exit(let code): return code
        }
        let flags = runtimeFlags(pid: pid)
        if let problem = flags.problem {
            fputs("ERROR: \(problem)\n", stderr)
            return 1
        }
        // Without the rights, tracefs reads fail too and would look like "tracepoint not found".
        let compileOnly = (emitLLVM != nil || emitELF != nil || aot != nil || debugLevel == 1) && !dryRun
        if !compileOnly, !Privileges.canLoadBPF() {
            fputs("ERROR: \(Privileges.missingMessage)\n", stderr)
            return 1
        }
        _ = TracefsCatalog.ensureTracefsMounted()
        let timing = PhaseTiming(enabled: getenv("SWTRACE_TIMING") != nil)
        var settings = Settings()
        if case .failure(let e) = EnvironmentSettings.read(into: &settings) {
            fputs("ERROR: \(e.message)\n", stderr)
            return 1
        }
        if transport == "auto" {
            settings.eventTransport = EventTransport.kernelDefault
        } else if let chosen = EventTransport(rawValue: transport) {
            settings.eventTransport = chosen
        } else {
            fputs("ERROR: --transport takes auto, ringbuf or perf, not '\(transport)'\n", stderr)
            return 1
        }
        settings.targetPID = pid
        settings.hasChildCommand = command != nil
        settings.unsafe = unsafe
        settings.helperErrorChecks = min(helperChecks, 2)
        settings.targetBinary = pid.flatMap(TargetExecutable.of(pid:)) ?? command.flatMap(TargetExecutable.of(command:))
        settings.targetFiles = pid.map(ProcessBinaries.of(pid:)) ?? settings.targetBinary.map { [$0] } ?? []
        var frontEndOptions = FrontEndOptions(positionalArguments: positionalArguments, settings: settings)
        frontEndOptions.scriptOptionValues = optionValues
        frontEndOptions.refusesWhatTheVerifierRefuses = EnvironmentSettings.value(EnvironmentSettings.plainLoops) != "1"
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
        if let path = aot, !writeAOT(artifact.compiled, to: path) { return 1 }
        if compileOnly { return 0 }
        return TraceLaunch.run(artifact.compiled, flags: flags, relocation: .objectBTF) { timing.mark("load") }
    }

    /// `$1…$N`: what follows the script file, or every argument with `-e`.
    var positionalArguments: [String] {
        program == nil ? Array(arguments.dropFirst()) : arguments
    }

    /// `--aot FILE`: the AOT runtime built beside this executable, with the trace appended.
    func writeAOT(_ trace: CompiledTrace, to path: String) -> Bool {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let me = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "swtrace"
        let runtime = String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/swtrace-runtime"
        do {
            try EmbeddedTrace.write(trace, runtime: runtime, to: path)
            return true
        } catch let e as RuntimeError {
            fputs("ERROR: \(e.message)\n", stderr)
            return false
        } catch {
            fputs("ERROR: \(error)\n", stderr)
            return false
        }
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
