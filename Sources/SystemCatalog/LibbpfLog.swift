import CBPF
import Glibc

/// Collects what libbpf prints (warnings, the verifier log) so failures can be explained in one
/// sentence and the raw text shown only under `-v`.
public enum LibbpfLog {
    nonisolated(unsafe) public static var text = ""
    nonisolated(unsafe) public static var echo = false

    public static func install() {
        libbpf_set_print { level, format, args in
            guard let format, let args else { return 0 }
            // Sized to the message: the verifier log arrives as one message of up to
            // megabytes, and its reason is at the end.
            guard let formatted = swtrace_vformat(format, args) else { return 0 }
            defer { free(formatted) }
            let line = String(cString: formatted)
            let n = Int32(clamping: line.utf8.count)
            // Debug-level chatter is dropped; the verifier log arrives at warning level.
            if level != LIBBPF_DEBUG { LibbpfLog.text += line }
            if LibbpfLog.echo { fputs(line, stderr) }
            return n
        }
    }

    public static func take() -> String {
        defer { text = "" }
        return text
    }
}
