/// Values the kernel side can only capture as raw data, which user space turns into text when
/// it prints them: stack traces, symbols, timestamps, buffers, network addresses, user names.
///
/// A value of type `SType.rendered(r)` is `r.size` bytes in a record, map key or map value,
/// laid out as each case says; the runtime renders it (TraceRuntime's `ValueRenderer`).
/// `printf("%s")`, `print()`, map keys and values accept every rendering (`%r` for buffers).
public enum Rendering: Codable, Hashable, Sendable, CustomStringConvertible {
    /// `kstack`, `ustack`: `[stack id: i64][pid: u64]`; the pid is 0 for kernel stacks.
    case stack(StackType)
    /// `ksym(addr)`: `[address: u64]`.
    case kernelSymbol
    /// `usym(addr)`: `[address: u64][pid: u64]`.
    case userSymbol
    /// `strftime(fmt, nsecs)`: `[nanoseconds since boot: u64]`, formatted with `format`.
    case timestamp(format: String)
    /// `buf(p, n)`: `[length: u64][capacity bytes]`, printed with non-printable bytes as `\xNN`.
    case buffer(capacity: Int)
    /// `ntop([af,] addr)`: `[address family: u64][16 address bytes]`.
    case inetAddress
    /// `macaddr(p)`: `[6 bytes][2 bytes padding]`.
    case macAddress
    /// `pton("addr")`: `count` bytes (4 or 16), printed as `[1,2,3,4]`.
    case byteArray(count: Int)
    /// `username`: `[uid: u64]`, named from the passwd database.
    case username
    /// `strerror(n)`: `[errno: u64]`, described as the C library does.
    case errorText
    /// `signame(n)`: `[signal number: u64]`, printed as Linux names it (`SIGTERM`).
    case signalName
    /// `cgroup_path(id)`: `[cgroup id: u64]`, named from the cgroup file systems.
    case cgroupPath
    /// A whole struct or array copied out of memory: its bytes, printed member by member.
    case memoryCopy(ValueLayout)

    /// Bytes the value takes; always a multiple of 8 so slots stay aligned.
    public var size: Int {
        switch self {
        case .stack, .userSymbol: return 16
        case .kernelSymbol, .timestamp, .macAddress, .username, .errorText, .signalName, .cgroupPath: return 8
        case .buffer(let capacity): return 8 + ((capacity + 7) & ~7)
        case .inetAddress: return 24
        case .byteArray(let count): return (count + 7) & ~7
        case .memoryCopy(let layout): return max(8, (layout.size + 7) & ~7)
        }
    }

    /// bpftrace's name for the type, as messages spell it.
    public var description: String {
        switch self {
        case .stack(let s): return s.user ? "ustack" : "kstack"
        case .kernelSymbol: return "ksym"
        case .userSymbol: return "usym"
        case .timestamp: return "timestamp"
        case .buffer: return "buffer"
        case .inetAddress: return "inet"
        case .macAddress: return "mac_address"
        case .byteArray(let n): return "uint8[\(n)]"
        case .username: return "username"
        case .errorText: return "strerror"
        case .signalName: return "signame"
        case .cgroupPath: return "cgroup_path"
        case .memoryCopy(let layout): return layout.description
        }
    }

    /// Whether `printf("%s")` takes it; buffers need `%r`.
    public var printsWithPercentS: Bool {
        if case .buffer = self { return false }
        return true
    }
}

/// What a `kstack`/`ustack` captures and how it prints.
public struct StackType: Codable, Hashable, Sendable {
    /// `ustack`: the user-space stack of the current task; else the kernel stack.
    public var user: Bool
    /// At most this many frames (1 through the kernel's `perf_event_max_stack`, 127 by default).
    public var limit: Int
    public var mode: StackMode
    public init(user: Bool, limit: Int = StackType.defaultLimit, mode: StackMode = .bpftrace) {
        self.user = user; self.limit = limit; self.mode = mode
    }
    /// The kernel's default `kernel.perf_event_max_stack`, which bpftrace also takes by default.
    public static let defaultLimit = 127
}

/// How a stack prints: bpftrace's indented `symbol+offset` lines, or perf's
/// tab, address, symbol and (for user stacks) the mapped file.
public enum StackMode: String, Codable, CaseIterable, Hashable, Sendable {
    case bpftrace, perf
}

extension SType {
    public var isRendered: Bool { if case .rendered = self { return true }; return false }

    /// Whether `printf("%s", v)` accepts the value: strings, and renderings other than buffers.
    public var printsAsString: Bool {
        switch self {
        case .string: return true
        case .rendered(let r): return r.printsWithPercentS
        default: return false
        }
    }

    /// Whether `printf("%r", v)` accepts the value: buffers.
    public var isBuffer: Bool {
        if case .rendered(.buffer) = self { return true }
        return false
    }
}
