/// A concrete attach point after wildcard expansion.
public enum ResolvedAttachPoint: Equatable, Hashable, Sendable, CustomStringConvertible {
    case begin
    case end
    case tracepoint(TracepointID)
    /// `interval:s:N` etc.: fires on one CPU every `nanoseconds`.
    case interval(nanoseconds: UInt64)

    /// bpftrace's full probe name: `tracepoint:syscalls:sys_enter_execve`, `interval:ms:100`.
    public var description: String {
        switch self {
        case .begin: return "BEGIN"
        case .end: return "END"
        case .tracepoint(let id): return "tracepoint:\(id.category):\(id.name)"
        case .interval(let ns):
            if ns % 1_000_000_000 == 0 { return "interval:s:\(ns / 1_000_000_000)" }
            if ns % 1_000_000 == 0 { return "interval:ms:\(ns / 1_000_000)" }
            return "interval:us:\(ns / 1_000)"
        }
    }
}
