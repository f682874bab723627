import TraceContract
import SystemCatalog
import Glibc

/// Where the program's output goes (stdout or `-o FILE`) and how it is buffered (`-B`).
public final class OutputStream {
    public enum Buffering: String, Sendable { case line, full, none }
    let file: UnsafeMutablePointer<FILE>
    private let owned: Bool

    /// Standard output with the given buffering.
    public init(buffering: Buffering) {
        file = stdout
        owned = false
        Self.setBuffering(file, buffering)
    }

    /// A file opened for writing (truncated).
    public init(path: String, buffering: Buffering) throws {
        guard let f = fopen(path, "w") else {
            throw RuntimeError("could not open \(path) for writing: \(String(cString: strerror(errno)))")
        }
        file = f
        owned = true
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
        bytes.withContiguousStorageIfAvailable { p in _ = fwrite(p.baseAddress, 1, p.count, file) }
            ?? Array(bytes).withUnsafeBufferPointer { p in _ = fwrite(p.baseAddress, 1, p.count, file) }
    }

    public func write(_ s: String) { write(Array(s.utf8)) }

    public func flush() { fflush(file) }

    deinit {
        fflush(file)
        if owned { fclose(file) }
    }
}
