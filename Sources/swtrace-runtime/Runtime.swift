import ArgumentParser
import Glibc
import TraceRuntime

/// An AOT executable: this runtime with a compiled trace appended (`swtrace --aot FILE
/// script.st`). It links libbpf but no LLVM and no front end, so it runs on machines that must
/// not carry a compiler, and relocates the object's kernel-type accesses (CO-RE) against the
/// kernel it runs on.
@main
struct AOTRuntime: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swtrace-runtime",
        abstract: "Runs the trace compiled into this executable by `swtrace --aot`.")

    @Option(name: .customShort("o"), help: ArgumentHelp("Write the program's output to FILE.", valueName: "FILE"))
    var outputFile: String?

    @Option(name: .customShort("f"), help: ArgumentHelp("Output format: text or json.", valueName: "FORMAT"))
    var outputFormat: String = "text"

    @Flag(name: .customShort("q"), help: "Quiet: no 'Attached N probes' line.")
    var quiet = false

    @Option(name: .customShort("p"), help: ArgumentHelp("Trace only process PID; stop when it exits.", valueName: "PID"))
    var pid: Int32?

    @Option(name: .customShort("c"), help: ArgumentHelp("Run CMD, held until every probe is attached; stop when it exits.", valueName: "CMD"))
    var command: String?

    @Option(name: .customShort("B"), help: ArgumentHelp("Output buffering: line, full or none.", valueName: "MODE"))
    var buffering: String = "line"

    @Flag(name: .shortAndLong, help: "Verbose: libbpf and verifier messages.")
    var verbose = false

    @Flag(name: .customLong("dry-run"), help: "Load into the kernel (verifier included), but do not attach.")
    var dryRun = false

    @Option(name: .customLong("metrics-addr"), help: ArgumentHelp("Serve every map to Prometheus at http://ADDR/metrics while tracing.", valueName: "[HOST]:PORT"))
    var metricsAddress: String?

    func run() throws {
        let trace: CompiledTrace
        do {
            guard let embedded = try EmbeddedTrace.read() else {
                fputs("ERROR: this runtime carries no compiled trace; make one with `swtrace --aot FILE script.st`\n", stderr)
                throw ExitCode(1)
            }
            trace = embedded
        } catch let e as RuntimeError {
            fputs("ERROR: \(e.message)\n", stderr)
            throw ExitCode(1)
        }
        if !Privileges.canLoadBPF() {
            fputs("ERROR: \(Privileges.missingMessage)\n", stderr)
            throw ExitCode(1)
        }
        var flags = RuntimeFlags()
        flags.quiet = quiet
        flags.verbose = verbose
        flags.outputFile = outputFile
        flags.format = outputFormat
        flags.buffering = buffering
        flags.pid = pid
        flags.command = command
        flags.dryRun = dryRun
        flags.metricsAddress = metricsAddress
        throw ExitCode(TraceLaunch.run(trace, flags: flags, relocation: .kernelBTF))
    }
}
