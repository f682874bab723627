import FoundationEssentials
import Glibc
import SystemCatalog
import TraceContract

/// A compiled trace carried at the end of an executable: what `swtrace --aot` writes and the
/// AOT runtime reads back from `/proc/self/exe`.
///
/// Layout, appended to the runtime executable (the ELF loader ignores what follows the
/// sections it maps): the BPF object, the manifest as JSON, then a 24-byte trailer: the
/// object's length and the manifest's length (little-endian u64 each) and the magic
/// `SWTRACE1`.
public enum EmbeddedTrace {
    static let magic = Array("SWTRACE1".utf8)
    static let trailerSize = 24

    /// Writes `runtime`'s bytes followed by `trace` to `path`, executable.
    public static func write(_ trace: CompiledTrace, runtime: String, to path: String) throws {
        let stub: [UInt8]
        switch readFileContents(runtime) {
        case .success(let bytes): stub = bytes
        case .failure(let e): throw RuntimeError("could not read the AOT runtime: \(e)")
        }
        let manifest: [UInt8]
        do {
            manifest = Array(try JSONEncoder().encode(trace.manifest))
        } catch {
            throw RuntimeError("could not encode the manifest: \(error)")
        }
        var bytes = stub
        // A runtime that already carries a trace is the same runtime: replace, never stack.
        if let existing = payloadStart(stub) { bytes.removeSubrange(existing...) }
        bytes += trace.object
        bytes += manifest
        bytes += littleEndian(UInt64(trace.object.count)) + littleEndian(UInt64(manifest.count)) + magic
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw RuntimeError("could not write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw RuntimeError("could not write \(path): \(String(cString: strerror(errno)))") }
            written += n
        }
        fchmod(fd, 0o755)
    }

    /// The trace embedded in the executable at `path`; nil when it carries none. Reads only the
    /// trailer and the payload, not the runtime's own pages.
    public static func read(executable path: String = "/proc/self/exe") throws -> CompiledTrace? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeError("could not read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size >= trailerSize else { return nil }
        let size = Int(st.st_size)
        guard let trailer = readExactly(fd, count: trailerSize, at: size - trailerSize),
              Array(trailer[16...]) == magic else { return nil }
        let objectLength = u64(trailer, at: 0), manifestLength = u64(trailer, at: 8)
        let payloadMax = UInt64(size - trailerSize)
        guard objectLength <= payloadMax, manifestLength <= payloadMax - objectLength,
              let payload = readExactly(fd, count: Int(objectLength + manifestLength),
                                        at: size - trailerSize - Int(objectLength + manifestLength)) else {
            throw RuntimeError("the trace embedded in \(path) is damaged: its lengths do not fit the file")
        }
        let object = Array(payload[..<Int(objectLength)])
        do {
            let manifest = try JSONDecoder().decode(Manifest.self, from: Data(payload[Int(objectLength)...]))
            return CompiledTrace(object: object, manifest: manifest)
        } catch {
            throw RuntimeError("the trace embedded in \(path) is damaged: \(error)")
        }
    }

    private static func readExactly(_ fd: Int32, count: Int, at offset: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer[done...].withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset + done)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            done += n
        }
        return buffer
    }

    /// Where the payload starts, when `bytes` ends with a well-formed trailer.
    static func payloadStart(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= trailerSize, Array(bytes[(bytes.count - 8)...]) == magic else { return nil }
        let lengths = bytes.count - trailerSize
        let object = u64(bytes, at: lengths), manifest = u64(bytes, at: lengths + 8)
        guard object <= UInt64(lengths), manifest <= UInt64(lengths) - object else { return nil }
        return lengths - Int(object) - Int(manifest)
    }

    private static func littleEndian(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    private static func u64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
