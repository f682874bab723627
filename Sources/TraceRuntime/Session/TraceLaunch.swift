import Glibc
@_exported import SystemCatalog
@_exported import TraceContract

/// The run-time flags `swtrace` and an AOT executable both take (`-o -f -q -p -c -B -v`),
/// checked the same way and turned into a session the same way.
public struct RuntimeFlags: Sendable {
    public var quiet = false
    public var verbose = false
    public var outputFile: String?
    public var buffering = "line"
    public var format = "text"
    public var pid: Int32?
    public var command: String?
    /// Load (verifier included) but do not attach.
    public var dryRun = false
    /// `--metrics-addr [HOST]:PORT`: serve the maps to Prometheus while tracing.
    public var metricsAddress: String?
    public init() {}

    /// What is wrong with the flags, as the one line to print, or nil.
    public var problem: String? {
        // bpftrace's words; text and json are the formats there are.
        if format != "text", format != "json" { return "Invalid output format \"\(format)\"" }
        if OutputStream.Buffering(rawValue: buffering) == nil { return "-B takes line, full or none, not '\(buffering)'" }
        if pid != nil, command != nil { return "-p and -c cannot be used together" }
        if let text = metricsAddress, case .failure(let e) = MetricsAddress.parse(text) { return e.message }
        return nil
    }
}

/// From a compiled trace to a finished run: load, attach, print, release. Errors become one
/// sentence on standard error (the raw log after it with `-v`), and the exit status.
public enum TraceLaunch {
    /// Runs `trace`; `loaded` is called once the object is in the kernel (start-up timing).
    public static func run(_ trace: CompiledTrace, flags: RuntimeFlags, relocation: Relocation,
                           loaded: () -> Void = {}) -> Int32 {
        if let problem = flags.problem {
            fputs("ERROR: \(problem)\n", stderr)
            return 1
        }
        do {
            let mode = OutputStream.Buffering(rawValue: flags.buffering) ?? .line
            let output = try flags.outputFile.map { try OutputStream(path: $0, buffering: mode) } ?? OutputStream(buffering: mode)
            var options = TraceSession.Options()
            options.quiet = flags.quiet
            options.verbose = flags.verbose
            options.format = flags.format == "json" ? JSONOutputFormat() : TextOutputFormat()
            options.process = flags.pid.map { .pid($0) } ?? flags.command.map { .command($0) } ?? .none
            options.relocation = relocation
            if let text = flags.metricsAddress, case .success(let address) = MetricsAddress.parse(text) {
                options.metricsAddress = address
            }
            let session: TraceSession
            do {
                session = try TraceSession(trace: trace, output: output, options: options)
            } catch let e as RuntimeError where e.refusesProbeType && flags.dryRun {
                // Nothing of the script is wrong: check what this kernel can check, and say so.
                fputs("WARNING: \(e.message); the other probes were verified\n", stderr)
                options.withoutTrampolines = true
                session = try TraceSession(trace: trace, output: output, options: options)
            }
            loaded()
            if flags.dryRun { return 0 }
            return try session.run()
        } catch let e as RuntimeError {
            fputs("ERROR: \(e.message)\n", stderr)
            if flags.verbose, let detail = e.detail { fputs(detail, stderr) }
            return 1
        } catch {
            fputs("ERROR: \(error)\n", stderr)
            return 1
        }
    }
}

/// Which BTF libbpf resolves the object's CO-RE relocations against.
public enum Relocation: Sendable {
    /// The object's own BTF: codegen built its kernel types from this kernel's BTF moments ago,
    /// so libbpf need not parse all of vmlinux again (~15 ms).
    case objectBTF
    /// The running kernel's BTF: an object compiled elsewhere (AOT) fits itself to this kernel.
    case kernelBTF
}
