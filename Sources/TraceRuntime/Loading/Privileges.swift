import TraceContract
import SystemCatalog
/// Whether this process may load BPF programs, from its effective capabilities.
public enum Privileges {
    static let capSysAdmin = 21
    static let capBPF = 39

    /// True with CAP_BPF or CAP_SYS_ADMIN (root has both). Unknown counts as allowed, so a
    /// kernel that hides the status line does not block a user who may well have the rights.
    public static func canLoadBPF() -> Bool {
        guard let bytes = readFile("/proc/self/status") else { return true }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst(7).trimmingSpaces, radix: 16) else { return true }
        return mask & (1 << UInt64(capBPF)) != 0 || mask & (1 << UInt64(capSysAdmin)) != 0
    }

    /// The sentence a user without those rights sees, before anything is compiled or loaded.
    public static let missingMessage =
        "swtrace needs root (or CAP_BPF and CAP_PERFMON) to trace: run it with sudo"
}
