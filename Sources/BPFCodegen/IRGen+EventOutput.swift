import CLLVM
import ScriptParser

/// Where a record goes once filled: the one place that knows the two transports.
///
/// Ring buffer: `bpf_ringbuf_reserve` gives the record's memory in the buffer itself and
/// `bpf_ringbuf_submit` publishes it. Perf event array: the record is built in a per-CPU
/// scratch buffer (records are larger than the 512-byte stack) and `bpf_perf_event_output`
/// copies it into this CPU's perf buffer. The records are the same bytes either way.
extension IRGen {
    /// `BPF_F_CURRENT_CPU`: the perf buffer of the CPU the program runs on.
    static let currentCPU: UInt64 = 0xffff_ffff

    static func eventsMapDefinition(_ manifest: Manifest, ringBufferSize: Int) -> MapDefinition {
        switch manifest.eventTransport {
        case .ringBuffer:
            return MapDefinition(name: manifest.ringBufferMap, type: .ringBuffer, maxEntries: ringBufferSize)
        case .perfEventArray:
            // max_entries 0: libbpf sizes it to the number of possible CPUs.
            return MapDefinition(name: manifest.ringBufferMap, type: .perfEventArray, maxEntries: 0,
                                 keySize: 4, valueSize: 4)
        }
    }

    /// The maps' sizes are known once every probe is generated.
    func describeEventMaps() {
        // bpftrace's 64 pages per CPU, or BPFTRACE_PERF_RB_PAGES / perf_rb_pages.
        manifest.perfBufferPages = program.settings.ringBufferSize.map { max(1, $0 / 4096) } ?? 64
        m.describe(eventsMap, Self.eventsMapDefinition(manifest, ringBufferSize: ringBufferSize))
        if let eventBuffer {
            m.describe(eventBuffer, Self.eventBufferDefinition(bytes: largestRecord))
        }
    }

    static func eventBufferDefinition(bytes: Int) -> MapDefinition {
        MapDefinition(name: "event_buffer", type: .perCPUArray, maxEntries: 1, keySize: 4, valueSize: (bytes + 7) & ~7)
    }

    /// Memory for a record of `size` bytes, or null when there is none (the ring buffer is full).
    func reserveRecord(size: Int) -> LLVMValueRef {
        switch program.settings.eventTransport {
        case .ringBuffer:
            let mapPtr = LLVMBuildBitCast(builder, eventsMap, m.i8p, "")!
            return m.callHelper(.ringbufReserve, returns: m.i8p, [mapPtr, m.const64(size), m.const64(0)], name: "record")
        case .perfEventArray:
            let buffer = eventBuffer ?? m.declareMapGlobal(Self.eventBufferDefinition(bytes: 8))
            eventBuffer = buffer
            let key = allocaInEntry(bytes: 8)
            return m.callHelper(.mapLookupElem, returns: m.i8p, [LLVMBuildBitCast(builder, buffer, m.i8p, ""), key],
                                name: "record")
        }
    }

    /// Sends the filled record. A perf buffer that cannot take it counts in slot 2: the kernel
    /// reports the same losses to libbpf's lost callback, but only once a later record fits in
    /// that CPU's buffer, so the runtime takes the larger of the two counts.
    func submitRecord(_ record: LLVMValueRef, size: Int) throws {
        switch program.settings.eventTransport {
        case .ringBuffer:
            m.callHelper(.ringbufSubmit, returns: m.void, [record, m.const64(0)])
        case .perfEventArray:
            guard let context = frame.outputContext else {
                throw CodegenError("internal error: a record is sent where no program context is at hand",
                                   range: frame.location)
            }
            let rc = m.callHelper(.perfEventOutput, [context, LLVMBuildBitCast(builder, eventsMap, m.i8p, ""),
                                                     m.const64(Self.currentCPU), record, m.const64(size)])
            let failed = appendBlock("perf.failed"), sent = appendBlock("perf.sent")
            LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntNE, rc, m.const64(0), ""), failed, sent)
            LLVMPositionBuilderAtEnd(builder, failed)
            bumpLossCounter(slot: Int(manifest.lossCounters.perfFullSlot))
            LLVMBuildBr(builder, sent)
            LLVMPositionBuilderAtEnd(builder, sent)
        }
    }

    /// Gives up a record that will not be sent. Only a ring-buffer reservation is held (and the
    /// verifier refuses a program that can exit holding one); the per-CPU buffer is not.
    func discardRecord(_ record: LLVMValueRef) {
        switch program.settings.eventTransport {
        case .ringBuffer: m.callHelper(.ringbufDiscard, returns: m.void, [record, m.const64(0)])
        case .perfEventArray: break
        }
    }

    /// A `for` callback's fourth argument: under the perf transport, a stack slot holding the
    /// caller's output context, so `printf` in the body can send records.
    func callbackOutputContext() -> LLVMValueRef {
        guard program.settings.eventTransport == .perfEventArray, let context = frame.outputContext else {
            return LLVMConstNull(m.i8p)
        }
        let slot = allocaInEntry(bytes: 8)
        LLVMBuildStore(builder, context, LLVMBuildBitCast(builder, slot, LLVMPointerType(m.i8p, 0), ""))
        return slot
    }

    /// In the callback: the output context its caller passed in `parameter`.
    func receiveOutputContext(_ parameter: LLVMValueRef) {
        guard program.settings.eventTransport == .perfEventArray else { return }
        frame.outputContext = LLVMBuildLoad2(builder, m.i8p, LLVMBuildBitCast(builder, parameter, LLVMPointerType(m.i8p, 0), ""),
                                             "output_context")
    }
}
