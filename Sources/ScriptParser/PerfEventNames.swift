/// The software and hardware events `software:` and `hardware:` probes accept: bpftrace's names,
/// aliases and default sample counts, with the perf ABI's config numbers.
public struct PerfEventName: Sendable, Equatable {
    public var name: String
    public var alias: String?
    /// `PERF_COUNT_SW_*` or `PERF_COUNT_HW_*`.
    public var config: UInt64
    /// Events per sample when the probe gives no count.
    public var defaultCount: UInt64

    /// Software events (`PERF_TYPE_SOFTWARE`), sorted by name.
    public static let software: [PerfEventName] = [
        PerfEventName(name: "alignment-faults", alias: nil, config: 7, defaultCount: 1),
        PerfEventName(name: "bpf-output", alias: nil, config: 10, defaultCount: 1),
        PerfEventName(name: "context-switches", alias: "cs", config: 3, defaultCount: 1000),
        PerfEventName(name: "cpu-clock", alias: "cpu", config: 0, defaultCount: 1_000_000),
        PerfEventName(name: "cpu-migrations", alias: nil, config: 4, defaultCount: 1),
        PerfEventName(name: "dummy", alias: nil, config: 9, defaultCount: 1),
        PerfEventName(name: "emulation-faults", alias: nil, config: 8, defaultCount: 1),
        PerfEventName(name: "major-faults", alias: nil, config: 6, defaultCount: 1),
        PerfEventName(name: "minor-faults", alias: nil, config: 5, defaultCount: 100),
        PerfEventName(name: "page-faults", alias: "faults", config: 2, defaultCount: 100),
        PerfEventName(name: "task-clock", alias: nil, config: 1, defaultCount: 1_000_000),
    ]

    /// Hardware events (`PERF_TYPE_HARDWARE`), sorted by name.
    public static let hardware: [PerfEventName] = [
        PerfEventName(name: "backend-stalls", alias: nil, config: 8, defaultCount: 1_000_000),
        PerfEventName(name: "branch-instructions", alias: "branches", config: 4, defaultCount: 100_000),
        PerfEventName(name: "branch-misses", alias: nil, config: 5, defaultCount: 100_000),
        PerfEventName(name: "bus-cycles", alias: nil, config: 6, defaultCount: 100_000),
        PerfEventName(name: "cache-misses", alias: nil, config: 3, defaultCount: 1_000_000),
        PerfEventName(name: "cache-references", alias: nil, config: 2, defaultCount: 1_000_000),
        PerfEventName(name: "cpu-cycles", alias: "cycles", config: 0, defaultCount: 1_000_000),
        PerfEventName(name: "frontend-stalls", alias: nil, config: 7, defaultCount: 1_000_000),
        PerfEventName(name: "instructions", alias: nil, config: 1, defaultCount: 1_000_000),
        PerfEventName(name: "ref-cycles", alias: nil, config: 9, defaultCount: 1_000_000),
    ]

    public static func table(_ kind: PerfEventTarget.Kind) -> [PerfEventName] {
        kind == .software ? software : hardware
    }

    /// The event called `name` (its name or alias) in `kind`'s table.
    public static func lookup(_ name: String, in kind: PerfEventTarget.Kind) -> PerfEventName? {
        table(kind).first { $0.name == name || $0.alias == name }
    }

    /// Every name and alias of `kind`, for wildcards, listings and suggestions.
    public static func allNames(_ kind: PerfEventTarget.Kind) -> [String] {
        table(kind).flatMap { [$0.name] + ($0.alias.map { [$0] } ?? []) }.sorted()
    }
}
