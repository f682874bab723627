#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file that could not be read: its path and the `errno` of the call that failed.
public struct FileReadError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public init(path: String, errno: Int32) { self.path = path; self.errno = errno }
    /// `PATH: Permission denied`, the way C tools word it.
    public var description: String { "\(path): \(String(cString: strerror(errno)))" }
}

/// Reads a whole file with `open`/`read`, without Foundation (start-up time).
///
/// tracefs and procfs files report size 0 to `stat`, so this reads until end of file rather
/// than trusting the size.
public func readFileContents(_ path: String, limit: Int = Int.max) -> Result<[UInt8], FileReadError> {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return .failure(FileReadError(path: path, errno: errno)) }
    defer { close(fd) }
    var contents: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let room = limit - contents.count
        if room <= 0 { return .success(contents) }
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, room)) }
        if n > 0 {
            contents.append(contentsOf: chunk[0..<n])
        } else if n == 0 {
            return .success(contents)
        } else if errno != EINTR {
            return .failure(FileReadError(path: path, errno: errno))
        }
    }
}

/// The bytes of a file, or nil when it cannot be opened or read.
public func readFile(_ path: String) -> [UInt8]? {
    try? readFileContents(path).get()
}

/// Whether `path` exists and is a directory we can see (`stat` succeeds on it).
public func isDirectory(_ path: String) -> Bool {
    var st = stat()
    guard stat(path, &st) == 0 else { return false }
    return (st.st_mode & S_IFMT) == S_IFDIR
}
