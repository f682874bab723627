import CBPF
import Glibc

/// Collects what libbpf prints (warnings, the verifier log) so failures can be explained in one
/// sentence and the raw text shown only under `-v`.
enum LibbpfLog {
    nonisolated(unsafe) static var text = ""
    nonisolated(unsafe) static var echo = false

    static func install() {
        libbpf_set_print { level, format, args in
            guard let format, let args else { return 0 }
            var buffer = [CChar](repeating: 0, count: 4096)
            let n = vsnprintf(&buffer, buffer.count, format, args)
            guard n > 0 else { return 0 }
            let line = String(cString: buffer)
            // Debug-level chatter is dropped; the verifier log arrives at warning level.
            if level != LIBBPF_DEBUG { LibbpfLog.text += line }
            if LibbpfLog.echo { fputs(line, stderr) }
            return n
        }
    }

    static func take() -> String {
        defer { text = "" }
        return text
    }
}
