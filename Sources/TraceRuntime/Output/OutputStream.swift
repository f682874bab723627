import TraceContract
import SystemCatalog
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
    /// What the output is called in messages: "stdout" or the `-o` path.
    public let name: String
    /// The errno of the first write that failed (EPIPE: the reader went away; ENOSPC: a full
    /// disk): tracing stops, since nothing it prints can arrive any more.
    public private(set) var writeError: Int32?
    private let mode: Buffering
    /// Set while the event loop drains records: line-buffered text waits for `flushBatch`.
    public var batching = false

    /// Standard output with the given buffering.
    public init(buffering: Buffering) {
        file = stdout
        owned = false
        name = "stdout"
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
        name = path
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
        let written = fwrite_unlocked(base, 1, p.count, file)
        if written < p.count || ferror(file) != 0 { noteFailure() }
        // As stdio's line buffering: a write holding a newline goes out, unless batching.
        if mode == .line, !batching, memchr(base, 0x0A, p.count) != nil, fflush(file) != 0 { noteFailure() }
    }

    /// The end of a batch of records: line-buffered output goes out.
    public func flushBatch() {
        if mode == .line, fflush(file) != 0 { noteFailure() }
    }

    private func noteFailure() {
        if writeError == nil { writeError = errno == 0 ? EIO : errno }
    }

    public func write(_ s: String) { write(Array(s.utf8)) }

    public func flush() {
        if fflush(file) != 0 { noteFailure() }
    }

    /// The sentence for a failed write, or nil when the reader merely went away (`| head`).
    public var writeErrorMessage: String? {
        guard let e = writeError, e != EPIPE else { return nil }
        return "could not write the output to \(name): \(String(cString: strerror(e)))"
    }

    deinit {
        fflush(file)
        if owned { fclose(file) }
    }
}
