import Glibc

/// The executable of the process `-p`/`-c` names, for probes that take their binary from it
/// (`watchpoint:FUNC+argN`).
public enum TargetExecutable {
    /// What `/proc/PID/exe` points to, or nil when the process is gone or hidden.
    public static func of(pid: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The program a `-c` command runs, as written when it has a `/` (so probe names read as
    /// the user wrote them), else found on PATH as exec would.
    public static func of(command: String) -> String? {
        guard let first = try? CommandWords.split(command).first else { return nil }
        if first.contains("/") { return first }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where access("\(dir)/\(first)", X_OK) == 0 {
            return "\(dir)/\(first)"
        }
        return nil
    }
}
