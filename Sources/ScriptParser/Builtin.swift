/// Builtin variables a script reads by name.
public enum Builtin: String, CaseIterable, Sendable {
    case pid, tid, uid, gid, comm, nsecs, elapsed, cpu

    /// The type bpftrace gives it.
    public var type: SType {
        switch self {
        case .comm: return .string(capacity: 16)
        case .cpu: return .uint32
        case .pid, .tid, .uid, .gid, .nsecs, .elapsed: return .uint64
        }
    }
}
