import TraceContract

/// Receives records from libbpf's ring-buffer callback and writes their text.
///
/// printf records, by far the most frequent, take a path without allocation: each event id's
/// format is prepared once (PrintfPlan), rendered into a buffer reused for every record and
/// written to the OutputStream, which the event loop flushes once per batch of records.
final class EventSink {
    let formatter: EventFormatter
    let output: OutputStream
    var exitRequested = false
    /// Set once the probes are stopped: the session consumes everything still queued.
    var draining = false
    /// While draining after a stop: past this time (CLOCK_MONOTONIC ns) records are counted,
    /// not printed.
    var drainDeadline: UInt64?
    var droppedAfterStop: UInt64 = 0
    /// The status `exit(code)` asked for (0 otherwise): what swtrace exits with.
    var exitCode: Int32 = 0
    /// After `exit()` or a signal, END may call exit() again; that must not cut END's output.
    var ignoreExit = false
    var malformed: UInt64 = 0
    /// print/clear/zero of whole maps, done by the session that can read them.
    var mapAction: ((EventFormatter.Decoded) -> Void)?
    /// Text after the last newline each CPU sent: printed once its line is complete, so lines
    /// from different CPUs never interleave.
    private var partialLines: [Int: [UInt8]] = [:]

    let format: OutputFormat
    /// Text output keeps each CPU's partial lines together; JSON messages are whole lines already.
    let assemblesLines: Bool
    /// By event id: the prepared format of printf events, nil for every other kind.
    private let printfPlans: [PrintfPlan?]
    /// Whether printf text goes out as it is (text), in a JSON message, or through `format`.
    private enum PrintfLayout { case text, json, other }
    private let printfLayout: PrintfLayout
    /// Reused for every printf record: its text, and under `-f json` the message around it.
    private var text: [UInt8] = []
    private var message: [UInt8] = []

    init(formatter: EventFormatter, output: OutputStream, format: OutputFormat) {
        self.formatter = formatter
        self.output = output
        self.format = format
        assemblesLines = format is TextOutputFormat
        printfLayout = format is TextOutputFormat ? .text : format is JSONOutputFormat ? .json : .other
        printfPlans = formatter.manifest.events.map { event in
            if case .printf(let f, let slots) = event { return PrintfPlan(f, slots) }
            return nil
        }
        text.reserveCapacity(4096)
        message.reserveCapacity(4096)
    }

    private func deliver(_ bytes: [UInt8], _ record: UnsafeRawBufferPointer) {
        if assemblesLines { emit(bytes, cpu: EventFormatter.cpu(of: record)) } else { output.write(bytes) }
    }

    func handle(_ record: UnsafeRawBufferPointer) {
        // Records queued behind exit() are dropped, as bpftrace stops at exit().
        if exitRequested { return }
        if let deadline = drainDeadline, TraceSession.monotonicNanoseconds() > deadline {
            droppedAfterStop += 1
            return
        }
        if record.count >= 8 {
            let id = Int(record.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            if id < printfPlans.count, let plan = printfPlans[id] {
                handlePrintf(plan, record)
                return
            }
        }
        // The rarer events may write to standard error or run commands: what is buffered goes
        // out first, so the order on a terminal stays the order of the events.
        output.flushBatch()
        let decoded = formatter.decode(record)
        switch decoded {
        case .printf(let bytes): deliver(format.printf(bytes), record)
        case .join(let bytes): deliver(format.join(bytes), record)
        case .value(let v): deliver(Array(format.value(v).utf8), record)
        case .exit(let code):
            if !ignoreExit {
                exitRequested = true
                if let code { exitCode = code }
            }
        case .time(let bytes): deliver(format.time(bytes), record)
        case .cat(let bytes): if let bytes { deliver(format.cat(bytes), record) }
        case .system(let bytes): deliver(format.system(bytes), record)
        case .malformed: malformed += 1
        case .printMap, .clearMap, .zeroMap, .helperError, .watchpointArm, .unwatch:
            flushPartialLines()
            mapAction?(decoded)
        }
    }

    private func handlePrintf(_ plan: PrintfPlan, _ record: UnsafeRawBufferPointer) {
        if printfLayout == .json {
            // Rendered straight into the message, escaped as it goes (literals escaped once).
            message.removeAll(keepingCapacity: true)
            message.append(contentsOf: JSONOutputFormat.printfPrefix)
            plan.render(record, into: &message, renderer: formatter.renderer, jsonEscaped: true)
            message.append(contentsOf: JSONOutputFormat.messageSuffix)
            output.write(message)
            return
        }
        text.removeAll(keepingCapacity: true)
        plan.render(record, into: &text, renderer: formatter.renderer)
        switch printfLayout {
        case .json:
            break
        case .text where partialLines.isEmpty && text.last == UInt8(ascii: "\n"):
            output.write(text)
        case .text, .other:
            deliver(format.printf(text), record)
        }
    }

    private func emit(_ bytes: [UInt8], cpu: Int) {
        guard let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
            partialLines[cpu, default: []] += bytes
            return
        }
        if let pending = partialLines.removeValue(forKey: cpu) { output.write(pending) }
        output.write(bytes[...lastNewline])
        if lastNewline + 1 < bytes.count { partialLines[cpu] = Array(bytes[(lastNewline + 1)...]) }
    }

    /// Prints text that never got its newline (at exit).
    func flushPartialLines() {
        for cpu in partialLines.keys.sorted() { output.write(partialLines[cpu] ?? []) }
        partialLines.removeAll()
    }
}
