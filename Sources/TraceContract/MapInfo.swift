/// A map's type, fixed by its first use: key parts and what its values are.
public struct MapInfo: Codable, Equatable, Sendable {
    /// Without the `@`; empty for the anonymous map `@`.
    public var name: String
    /// One type per key part; empty for a map without keys.
    public var keyTypes: [SType]
    public var value: MapValueType
    /// Where the map was first used, for conflict messages.
    public var firstUse: SourceRange
    /// The key expressions of the first use, as written: metric labels show them.
    public var keyRanges: [SourceRange] = []
    /// What each key expression of the first use names (`comm`, `filename` for
    /// `args->filename`, `pid` for `$pid`); nil where it names nothing (`pid / 2`).
    public var keyNames: [String?] = []
    public init(name: String, keyTypes: [SType], value: MapValueType, firstUse: SourceRange) {
        self.name = name; self.keyTypes = keyTypes; self.value = value; self.firstUse = firstUse
    }
    public var displayName: String { "@" + name }
}

/// What a map holds: an aggregation combined across CPUs at print time, or assigned values.
public enum MapValueType: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    case count
    case sum(signed: Bool)
    case min(signed: Bool)
    case max(signed: Bool)
    case avg(signed: Bool)
    case stats(signed: Bool)
    case hist
    case lhist(min: Int64, max: Int64, step: Int64)
    /// `@x = value`: a plain hash map of integers, strings or tuples.
    case plain(SType)

    public var isAggregation: Bool {
        if case .plain = self { return false }
        return true
    }

    /// bpftrace's name in messages: `count`, `hist`, or the plain value's type.
    public var description: String {
        switch self {
        case .count: return "count"
        case .sum: return "sum"
        case .min: return "min"
        case .max: return "max"
        case .avg: return "avg"
        case .stats: return "stats"
        case .hist: return "hist"
        case .lhist: return "lhist"
        case .plain(let t): return t.description
        }
    }
}
