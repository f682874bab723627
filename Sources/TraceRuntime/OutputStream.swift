import Glibc

/// Where the program's output goes (stdout or `-o FILE`) and how it is buffered (`-B`).
///
/// Line buffering is done here rather than by stdio, so that the event loop can flush once per
/// batch of records (`batching`, `flushBatch`) instead of once per line: a line then reaches
/// its reader as soon as the ring buffer has been drained, at a write per batch, not per event.
public final class OutputStream {
    public enum Buffering: String, Sendable { case line, full, none }
    let file: UnsafeMutablePointer<FILE>
    private let owned: Bool
    private let mode: Buffering
    /// Set while the event loop drains records: line-buffered text waits for `flushBatch`.
    public var batching = false

    /// Standard output with the given buffering.
    public init(buffering: Buffering) {
        file = stdout
        owned = false
        mode = buffering
        Self.setBuffering(file, buffering)
    }

    /// A file opened for writing (truncated).
    public init(path: String, buffering: Buffering) throws {
        guard let f = fopen(path, "w") else {
            throw RuntimeError("could not open \(path) for writing: \(String(cString: strerror(errno)))")
        }
        file = f
        owned = true
        mode = buffering
        Self.setBuffering(f, buffering)
    }

    private static func setBuffering(_ f: UnsafeMutablePointer<FILE>, _ mode: Buffering) {
        switch mode {
        case .line, .full: setvbuf(f, nil, _IOFBF, 1 << 16)
        case .none: setvbuf(f, nil, _IONBF, 0)
        }
    }

    public func write<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        bytes.withContiguousStorageIfAvailable { write($0) }
            ?? Array(bytes).withUnsafeBufferPointer { write($0) }
    }

    private func write(_ p: UnsafeBufferPointer<UInt8>) {
        guard let base = p.baseAddress else { return }
        // Only this thread writes to the stream.
        _ = fwrite_unlocked(base, 1, p.count, file)
        // As stdio's line buffering: a write holding a newline goes out, unless batching.
        if mode == .line, !batching, memchr(base, 0x0A, p.count) != nil { fflush(file) }
    }

    /// The end of a batch of records: line-buffered output goes out.
    public func flushBatch() {
        if mode == .line { fflush(file) }
    }

    public func write(_ s: String) { write(Array(s.utf8)) }

    public func flush() { fflush(file) }

    deinit {
        fflush(file)
        if owned { fclose(file) }
    }
}
