import TraceContract
import SystemCatalog
import Glibc

/// Where the program's output goes (stdout or `-o FILE`) and how it is buffered (`-B`).
public final class OutputStream {
    public enum Buffering: String, Sendable { case line, full, none }
    let file: UnsafeMutablePointer<FILE>
    private let owned: Bool
    /// What the output is called in messages: "stdout" or the `-o` path.
    public let name: String
    /// The errno of the first write that failed (EPIPE: the reader went away; ENOSPC: a full
    /// disk): tracing stops, since nothing it prints can arrive any more.
    public private(set) var writeError: Int32?

    /// Standard output with the given buffering.
    public init(buffering: Buffering) {
        file = stdout
        owned = false
        name = "stdout"
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
        Self.setBuffering(f, buffering)
    }

    private static func setBuffering(_ f: UnsafeMutablePointer<FILE>, _ mode: Buffering) {
        switch mode {
        case .line: setvbuf(f, nil, _IOLBF, 1 << 16)
        case .full: setvbuf(f, nil, _IOFBF, 1 << 16)
        case .none: setvbuf(f, nil, _IONBF, 0)
        }
    }

    public func write<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let written = bytes.withContiguousStorageIfAvailable { p in fwrite(p.baseAddress, 1, p.count, file) }
            ?? Array(bytes).withUnsafeBufferPointer { p in fwrite(p.baseAddress, 1, p.count, file) }
        if written < bytes.count || ferror(file) != 0 { noteFailure() }
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
