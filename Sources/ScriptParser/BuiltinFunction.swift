/// Every function a script can call, and the builtins that lower like calls (`kstack`, `rand`,
/// `cgroup`, …). The checker resolves a `.call(name:args:)` to `.function(case, args:)` once the
/// call is valid, so codegen switches on the case and never compares names.
public enum BuiltinFunction: String, CaseIterable, Sendable {
    // Output and control.
    case printf, join, exit, print, cat, system, time, signal, override, unwatch
    // Values.
    case str, buf, strncmp, strcontains, ntop, pton, macaddr, strerror, signame, bswap, path, strftime
    case ksym, usym, kaddr, uaddr, reg, cgroupPath = "cgroup_path"
    case kstack, ustack, cgroup, username, rand, numaid, jiffies
    // Aggregations: only as the value of a map assignment.
    case count, sum, avg, min, max, stats, hist, lhist
    // Whole maps and map elements.
    case delete, clear, zero, hasKey = "has_key", len

    /// The name as written in a script.
    public var name: String { rawValue }

    /// `@m = count()`, `@m = hist(x)`, …: values kept per CPU and combined in user space.
    public var isAggregation: Bool {
        switch self {
        case .count, .sum, .avg, .min, .max, .stats, .hist, .lhist: return true
        default: return false
        }
    }
}
