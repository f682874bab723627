import TraceContract
import CBPF
import Glibc
import SystemCatalog

/// Set from signal handlers: SIGINT/SIGTERM ask the event loop to stop.
nonisolated(unsafe) private var stopRequested: sig_atomic_t = 0
/// Set by SIGUSR1: print every map now and keep tracing.
nonisolated(unsafe) private var mapsRequested: sig_atomic_t = 0

/// One run of a compiled script: attach, run BEGIN, print events until `exit()` or a signal,
/// then detach, run END and release everything.
public final class TraceSession {
    public struct Options {
        public var quiet = false
        public var verbose = false
        /// Text as bpftrace prints it, or `-f json`.
        public var format: OutputFormat = TextOutputFormat()
        /// `-p`/`-c`: the process tracing follows (TracedProcess.swift).
        public var process = TracedProcess.none
        public var relocation = Relocation.objectBTF
        /// `--metrics-addr`: serve the maps to Prometheus while tracing (Metrics/).
        public var metricsAddress: MetricsAddress?
        /// Load without fentry/fexit programs (LoadedObject), for --dry-run.
        public var withoutTrampolines = false
        public init() {}
    }

    let object: LoadedObject
    let output: OutputStream
    let options: Options
    /// The script's path (`stdin` for -e), for metric help text.
    let scriptName: String
    /// The ring buffer or perf buffers records arrive through (EventChannel.swift).
    private var channel: EventChannel?
    private let sink: EventSink
    /// Renders stacks, symbols, timestamps, … for events and maps alike (symbol tables read once).
    private let renderer: ValueRenderer
    /// Keyless aggregations zero()ed since their last clear(): they print their zero value.
    private let zeroedSlots = ZeroedArraySlots()
    /// Breakpoints of function watchpoints, set and removed while tracing.
    private let watchpoints: WatchpointArmer

    /// Loads the artifact into the kernel (verifier included). Nothing is attached yet.
    public init(trace: CompiledTrace, output: OutputStream, options: Options) throws {
        LibbpfLog.echo = options.verbose
        object = try LoadedObject(trace: trace, relocation: options.relocation, withoutTrampolines: options.withoutTrampolines)
        self.output = output
        self.options = options
        scriptName = trace.manifest.script.name
        renderer = ValueRenderer(object: object)
        sink = EventSink(formatter: EventFormatter(manifest: trace.manifest, renderer: renderer), output: output,
                         format: options.format)
        let reader = MapReader(object: object, renderer: renderer, zeroedSlots: zeroedSlots)
        let manifest = trace.manifest
        let script = SourceFile(name: manifest.script.name, text: manifest.script.text)
        let watchpoints = WatchpointArmer(object: object)
        self.watchpoints = watchpoints
        sink.mapAction = { [unowned output] action in
            switch action {
            case .printMap(let i, let top, let divisor) where i < manifest.maps.count:
                output.write(options.format.map(reader.snapshot(manifest.maps[i]), top: top > 0 ? top : nil,
                                                divisor: divisor > 0 ? divisor : nil))
            case .clearMap(let i) where i < manifest.maps.count:
                reader.clear(manifest.maps[i])
            case .zeroMap(let i) where i < manifest.maps.count:
                reader.zero(manifest.maps[i])
            case .watchpointArm(let program, let attachPoint, let address, let pid):
                watchpoints.arm(program: program, attachPoint: attachPoint, address: address, pid: pid)
            case .unwatch(let address):
                watchpoints.unwatch(address: address)
            case .helperError(let helper, let range, let code):
                output.write(options.format.helperError(helper, code: code, at: range, in: script))
            default:
                break
            }
        }
    }

    /// Attaches everything, runs until the script exits or a signal arrives, then cleans up.
    /// Returns the process exit code.
    public func run() throws -> Int32 {
        Self.installSignalHandlers()
        try storeStartTime()
        let sink = self.sink
        // While draining after detach, every queued record must pass through (and be dropped
        // after exit()): stopping there would leave them for END's drain to print.
        let events = try EventChannel(object: object, sink: sink) {
            (stopRequested != 0 || sink.exitRequested || sink.output.writeError != nil) && !sink.draining
        }
        channel = events
        let metrics = try startMetricsServer()
        defer { metrics?.stop() }

        // -c: the child exists (held before exec) so cpid has a value before anything fires.
        let watch = try ProcessWatch.start(options.process)
        try watch?.storeChildPID(in: object)
        var targetPID: Int32?
        if case .pid(let pid) = options.process { targetPID = pid }
        var attacher = ProbeAttacher(object: object, targetPID: targetPID)
        attacher.breakpointPID = targetPID ?? watch?.pid
        // BEGIN runs before the other probes attach, so its records are first in the ring buffer.
        try attacher.run(.begin)
        let count = try attacher.attachAll()
        if !options.quiet {
            fputs("Attached \(count) probe\(count == 1 ? "" : "s")\n", stderr)
        }
        if !options.quiet, let line = options.format.attachedProbes(count) { output.write(line) }
        try watch?.release()
        // bpftrace's readiness marker for tools and test runners that wait for it, on stdout;
        // like bpftrace, not when BEGIN has already called exit() (its output may be data a
        // reader parses, JSON for one).
        if getenv("__BPFTRACE_NOTIFY_PROBES_ATTACHED") != nil, !beginCalledExit(events) {
            output.flush()
            fputs("__BPFTRACE_NOTIFY_PROBES_ATTACHED\n", stdout)
            fflush(stdout)
        }

        output.batching = true
        while stopRequested == 0, !sink.exitRequested, output.writeError == nil {
            if mapsRequested != 0 {
                mapsRequested = 0
                printAllMaps()
            }
            // With -p/-c, the traced process exiting ends tracing too.
            if let watch {
                let alive = watch.pollEvents(events, timeoutMs: 200)
                output.flushBatch()
                if !alive { break }
                continue
            }
            let n = events.poll(timeoutMs: 200)
            output.flushBatch()
            if n < 0, n != -EINTR { break }
        }

        metrics?.stop()
        watchpoints.releaseAll()
        // No new effects once the stop flag is set (the probes stay attached until the end:
        // ProbeRelease); then drain what is queued, run END, drain its output. After exit()
        // the sink drops what follows it, including records sent before the flag was seen;
        // END's own consume below must not print them.
        if !object.stopProbes() { object.detachAll() }
        // What is queued is printed, for half a second at most: a backlog of system() calls
        // would otherwise run for many seconds after Ctrl-C. Records past that are counted lost.
        sink.drainDeadline = Self.monotonicNanoseconds() + 500_000_000
        sink.draining = true
        events.consume()
        sink.exitRequested = false
        sink.ignoreExit = true
        sink.drainDeadline = nil
        try attacher.run(.end)
        events.consume()
        sink.flushPartialLines()
        output.flushBatch()
        output.batching = false
        printMapsAtExit()
        reportLostEvents()
        output.flush()
        fflush(stdout)
        ProbeRelease.detach(object)
        if let message = output.writeErrorMessage {
            fputs("ERROR: \(message)\n", stderr)
            return 1
        }
        return sink.exitCode
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Whether BEGIN's records, queued first, include `exit()`: delivers them to find out.
    private func beginCalledExit(_ events: EventChannel) -> Bool {
        events.consume()
        return sink.exitRequested
    }

    private func storeStartTime() throws {
        guard let name = object.manifest.startTimeMap, let fd = object.mapFD(name) else { return }
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        var key: UInt32 = 0
        var value = UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
        guard bpf_map_update_elem(fd, &key, &value, 0) == 0 else {
            throw RuntimeError("could not store the start time: \(String(cString: strerror(errno)))")
        }
    }

    /// Every map, as bpftrace prints them when a script ends.
    private func printMapsAtExit() {
        // bpftrace writes the blank lines before exit-time maps to stdout even with -o FILE.
        output.flush()
        fputs(options.format.exitPreamble, stdout)
        fflush(stdout)
        printAllMaps()
    }

    /// Every map as at exit, without the blank lines before them: SIGUSR1 while tracing.
    private func printAllMaps() {
        let reader = MapReader(object: object, renderer: renderer, zeroedSlots: zeroedSlots)
        let snapshots = object.manifest.maps.map { reader.snapshot($0) }
        // Lines of events already received come first.
        sink.flushPartialLines()
        output.write(options.format.mapsAtExit(snapshots))
        output.flush()
    }

    /// Records the ring buffer or perf buffers could not take and map updates dropped because
    /// a map was full, summed over CPUs; never silent.
    private func reportLostEvents() {
        let counters = object.manifest.lossCounters
        // Perf losses are seen twice: by the program (at once) and by libbpf's lost callback
        // (when the kernel next writes to that CPU's buffer), so the larger count, not the sum.
        let perfLost = max(lossCounter(slot: counters.perfFullSlot), channel?.lost ?? 0)
        let lost = lossCounter(slot: counters.bufferFullSlot) + perfLost + sink.malformed + sink.droppedAfterStop
        if lost > 0 { output.write(options.format.lostEvents(lost)) }
        let dropped = lossCounter(slot: counters.mapFullSlot)
        if dropped > 0 {
            fputs("WARNING: \(dropped) map updates were dropped because a map was full (max_map_keys = \(object.manifest.maxMapKeys)); raise it with BPFTRACE_MAP_KEYS_MAX or config = { max_map_keys = N }\n", stderr)
        }
        let capped = lossCounter(slot: counters.loopCapSlot)
        if capped > 0 {
            fputs("WARNING: a while loop was cut short \(capped) time\(capped == 1 ? "" : "s"): the kernel's bpf_loop, which runs it, stops after 8,388,608 iterations\n", stderr)
        }
    }

    private func lossCounter(slot: UInt32) -> UInt64 {
        guard let fd = object.mapFD(object.manifest.lossCounters.map) else { return 0 }
        let cpus = Int(libbpf_num_possible_cpus())
        guard cpus > 0 else { return 0 }
        var values = [UInt64](repeating: 0, count: cpus)
        var key = slot
        guard bpf_map_lookup_elem(fd, &key, &values) == 0 else { return 0 }
        return values.reduce(0, &+)
    }

    static func installSignalHandlers() {
        stopRequested = 0
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in stopRequested = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // A closed terminal stops tracing the way Ctrl-C does: detached, maps printed.
        sigaction(SIGHUP, &action, nil)
        // A reader that goes away (`| head -1`) shows up as EPIPE from a write, which stops
        // tracing cleanly instead of killing swtrace mid-teardown.
        signal(SIGPIPE, SIG_IGN)
        // No SA_RESTART: the signal interrupts the ring buffer's epoll_wait, so the maps are
        // printed at once rather than at the next event or poll timeout.
        mapsRequested = 0
        var usr1 = sigaction()
        usr1.__sigaction_handler.sa_handler = { _ in mapsRequested = 1 }
        sigemptyset(&usr1.sa_mask)
        usr1.sa_flags = 0
        sigaction(SIGUSR1, &usr1, nil)
    }
}
