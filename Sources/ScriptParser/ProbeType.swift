/// bpftrace 0.17's probe types and every name each answers to: the one table the probe
/// expander and the `-l` lister both read.
public enum ProbeType: String, CaseIterable, Sendable {
    case begin = "BEGIN", end = "END"
    case tracepoint, rawtracepoint, kprobe, kretprobe, fentry, fexit, uprobe, uretprobe, usdt
    case profile, interval, software, hardware
    case watchpoint, asyncwatchpoint, iter

    /// The short names bpftrace accepts for the type (`t`, `kr`, `U`, …).
    public var aliases: [String] {
        switch self {
        case .begin, .end: return []
        case .tracepoint: return ["t"]
        case .rawtracepoint: return ["rt"]
        case .kprobe: return ["k"]
        case .kretprobe: return ["kr"]
        // bpftrace 0.17 names these kfunc/kretfunc; fentry/fexit are the newer names.
        case .fentry: return ["f", "kfunc"]
        case .fexit: return ["fr", "kretfunc"]
        case .uprobe: return ["u"]
        case .uretprobe: return ["ur"]
        case .usdt: return ["U"]
        case .profile: return ["p"]
        case .interval: return ["i"]
        case .software: return ["s"]
        case .hardware: return ["h"]
        case .watchpoint: return ["w"]
        case .asyncwatchpoint: return ["aw"]
        case .iter: return ["it"]
        }
    }

    /// The name listings print (`-l`), which for fentry/fexit is bpftrace 0.17's kfunc/kretfunc.
    public var listedName: String {
        switch self {
        case .fentry: return "kfunc"
        case .fexit: return "kretfunc"
        default: return rawValue
        }
    }

    /// Every name and alias, for "did you mean" (the one-letter aliases are too short to help).
    public static let suggestedNames = allCases.flatMap { [$0.rawValue] + $0.aliases.filter { $0.count > 2 } }

    private static let byName: [String: ProbeType] = Dictionary(
        allCases.flatMap { type in ([type.rawValue] + type.aliases).map { ($0, type) } },
        uniquingKeysWith: { first, _ in first })

    /// The type a written name (`tracepoint`, `t`, `kfunc`) stands for.
    public init?(named name: String) {
        guard let type = Self.byName[name] else { return nil }
        self = type
    }
}
