import BPFCodegen
import CBPF
import Glibc
import ScriptParser

/// Set from signal handlers: SIGINT/SIGTERM ask the event loop to stop.
nonisolated(unsafe) private var stopRequested: sig_atomic_t = 0

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
        public init() {}
    }

    let object: LoadedObject
    let output: OutputStream
    let options: Options
    private var ringBuffer: OpaquePointer?
    private let sink: EventSink
    /// Renders stacks, symbols, timestamps, … for events and maps alike (symbol tables read once).
    private let renderer: ValueRenderer

    /// Loads the artifact into the kernel (verifier included). Nothing is attached yet.
    public init(artifact: Artifact, source: SourceFile, output: OutputStream, options: Options) throws {
        LibbpfLog.echo = options.verbose
        object = try LoadedObject(artifact: artifact, source: source)
        self.output = output
        self.options = options
        renderer = ValueRenderer(object: object)
        sink = EventSink(formatter: EventFormatter(manifest: artifact.manifest, renderer: renderer), output: output,
                         format: options.format)
        let reader = MapReader(object: object, renderer: renderer)
        let manifest = artifact.manifest
        sink.mapAction = { [unowned output] action in
            switch action {
            case .printMap(let i, let top, let divisor) where i < manifest.maps.count:
                output.write(options.format.map(reader.snapshot(manifest.maps[i]), top: top > 0 ? top : nil,
                                                divisor: divisor > 0 ? divisor : nil))
            case .clearMap(let i) where i < manifest.maps.count:
                reader.clear(manifest.maps[i])
            case .zeroMap(let i) where i < manifest.maps.count:
                reader.zero(manifest.maps[i])
            default:
                break
            }
        }
    }

    deinit {
        if let ringBuffer { ring_buffer__free(ringBuffer) }
    }

    /// Attaches everything, runs until the script exits or a signal arrives, then cleans up.
    /// Returns the process exit code.
    public func run() throws -> Int32 {
        Self.installSignalHandlers()
        try storeStartTime()
        guard let fd = object.mapFD(object.manifest.ringBufferMap) else {
            throw RuntimeError("internal error: the event ring buffer is missing")
        }
        let ctx = Unmanaged.passUnretained(sink).toOpaque()
        guard let rb = ring_buffer__new(fd, { ctx, data, size in
            guard let ctx, let data else { return 0 }
            let sink = Unmanaged<EventSink>.fromOpaque(ctx).takeUnretainedValue()
            sink.handle(UnsafeRawBufferPointer(start: data, count: Int(size)))
            // A non-zero return makes libbpf stop consuming. Without it, a probe fed by our own
            // output (tracing write() while printing) keeps one poll busy forever.
            return stopRequested != 0 || sink.exitRequested ? -1 : 0
        }, ctx, nil) else {
            throw RuntimeError("could not set up the event ring buffer: \(String(cString: strerror(errno)))")
        }
        ringBuffer = rb

        // -c: the child exists (held before exec) so cpid has a value before anything fires.
        let watch = try ProcessWatch.start(options.process)
        try watch?.storeChildPID(in: object)
        var targetPID: Int32?
        if case .pid(let pid) = options.process { targetPID = pid }
        let attacher = ProbeAttacher(object: object, targetPID: targetPID)
        // BEGIN runs before the other probes attach, so its records are first in the ring buffer.
        try attacher.run(.begin)
        let count = try attacher.attachAll()
        if !options.quiet {
            fputs("Attached \(count) probe\(count == 1 ? "" : "s")\n", stderr)
        }
        if !options.quiet, let line = options.format.attachedProbes(count) { output.write(line) }
        try watch?.release()

        output.batching = true
        while stopRequested == 0, !sink.exitRequested {
            // With -p/-c, the traced process exiting ends tracing too.
            if let watch {
                let alive = watch.pollEvents(rb, timeoutMs: 200)
                output.flushBatch()
                if !alive { break }
                continue
            }
            let n = ring_buffer__poll(rb, 200)
            output.flushBatch()
            if n < 0, n != -EINTR { break }
        }

        // No new effects once the stop flag is set (the probes stay attached until the end:
        // ProbeRelease); then drain what is queued, run END, drain its output.
        if !object.stopProbes() { object.detachAll() }
        // After exit() the sink drops what follows it, including records sent before the flag
        // was seen; END's own consume below must not print them.
        ring_buffer__consume(rb)
        sink.exitRequested = false
        sink.ignoreExit = true
        try attacher.run(.end)
        ring_buffer__consume(rb)
        sink.flushPartialLines()
        output.flushBatch()
        output.batching = false
        printMapsAtExit()
        reportLostEvents()
        output.flush()
        fflush(stdout)
        ProbeRelease.detach(object)
        return sink.exitCode
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
        let reader = MapReader(object: object, renderer: renderer)
        let snapshots = object.manifest.maps.map { reader.snapshot($0) }
        // bpftrace writes the blank lines before exit-time maps to stdout even with -o FILE.
        output.flush()
        fputs(options.format.exitPreamble, stdout)
        fflush(stdout)
        output.write(options.format.mapsAtExit(snapshots))
    }

    /// Records the ring buffer could not take and map updates dropped because a map was full,
    /// summed over CPUs; never silent.
    private func reportLostEvents() {
        let lost = lossCounter(slot: 0) + sink.malformed
        if lost > 0 { output.write(options.format.lostEvents(lost)) }
        let dropped = lossCounter(slot: 1)
        if dropped > 0 {
            fputs("WARNING: \(dropped) map updates were dropped because a map was full (max_map_keys = \(object.manifest.maxMapKeys)); raise it with BPFTRACE_MAP_KEYS_MAX or config = { max_map_keys = N }\n", stderr)
        }
    }

    private func lossCounter(slot: UInt32) -> UInt64 {
        guard let fd = object.mapFD(object.manifest.lostEventsMap) else { return 0 }
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
    }
}
