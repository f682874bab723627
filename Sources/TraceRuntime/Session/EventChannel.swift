import TraceContract
import CBPF
import Glibc

/// The user-space end of the events map: libbpf's ring buffer or perf buffer reader, feeding
/// the same `EventSink` with the same records.
final class EventChannel {
    private enum Reader {
        case ringBuffer(OpaquePointer)
        case perfBuffer(OpaquePointer)
    }

    private let reader: Reader
    private let handlers: Unmanaged<Handlers>

    init(object: LoadedObject, sink: EventSink, stop: @escaping () -> Bool) throws {
        let manifest = object.manifest
        guard let fd = object.mapFD(manifest.ringBufferMap) else {
            throw RuntimeError("internal error: the events map is missing")
        }
        // Released in deinit, or below when libbpf fails (deinit does not run then).
        handlers = Unmanaged.passRetained(Handlers(sink: sink, stop: stop))
        let context = handlers.toOpaque()
        switch manifest.eventTransport {
        case .ringBuffer:
            guard let rb = ring_buffer__new(fd, { ctx, data, size in
                guard let ctx, let data else { return 0 }
                let handlers = Unmanaged<Handlers>.fromOpaque(ctx).takeUnretainedValue()
                handlers.sink.handle(UnsafeRawBufferPointer(start: data, count: Int(size)))
                // A non-zero return makes libbpf stop consuming. Without it, a probe fed by our
                // own output (tracing write() while printing) keeps one poll busy forever.
                return handlers.stop() ? -1 : 0
            }, context, nil) else {
                let code = errno
                handlers.release()
                throw RuntimeError("could not set up the event ring buffer: \(String(cString: strerror(code)))")
            }
            reader = .ringBuffer(rb)
        case .perfEventArray:
            // perf_buffer__consume reads each CPU's buffer up to where it stood, so our own
            // output cannot keep it busy; the sink drops what follows exit().
            guard let pb = perf_buffer__new(fd, manifest.perfBufferPages, { ctx, _, data, size in
                guard let ctx, let data else { return }
                let handlers = Unmanaged<Handlers>.fromOpaque(ctx).takeUnretainedValue()
                handlers.sink.handle(UnsafeRawBufferPointer(start: data, count: Int(size)))
            }, { ctx, _, count in
                guard let ctx else { return }
                Unmanaged<Handlers>.fromOpaque(ctx).takeUnretainedValue().lost &+= count
            }, context, nil) else {
                let code = errno
                handlers.release()
                throw RuntimeError("could not set up the perf event buffers: \(String(cString: strerror(code)))")
            }
            reader = .perfBuffer(pb)
        }
    }

    /// What libbpf's callbacks reach through their context pointer.
    private final class Handlers {
        let sink: EventSink
        let stop: () -> Bool
        var lost: UInt64 = 0
        init(sink: EventSink, stop: @escaping () -> Bool) { self.sink = sink; self.stop = stop }
    }

    deinit {
        switch reader {
        case .ringBuffer(let rb): ring_buffer__free(rb)
        case .perfBuffer(let pb): perf_buffer__free(pb)
        }
        handlers.release()
    }

    /// Waits up to `timeoutMs` for records and handles them; negative on error (`-EINTR` on a signal).
    @discardableResult
    func poll(timeoutMs: Int32) -> Int32 {
        switch reader {
        case .ringBuffer(let rb): return ring_buffer__poll(rb, timeoutMs)
        case .perfBuffer(let pb): return perf_buffer__poll(pb, timeoutMs)
        }
    }

    /// Handles every record already there, without waiting.
    func consume() {
        switch reader {
        case .ringBuffer(let rb): ring_buffer__consume(rb)
        case .perfBuffer(let pb): perf_buffer__consume(pb)
        }
    }

    /// A descriptor that polls readable when records are waiting.
    var pollFD: Int32 {
        switch reader {
        case .ringBuffer(let rb): return ring_buffer__epoll_fd(rb)
        case .perfBuffer(let pb): return perf_buffer__epoll_fd(pb)
        }
    }

    /// Perf samples the kernel dropped, as libbpf reported them.
    var lost: UInt64 { handlers.takeUnretainedValue().lost }
}
