import TraceContract
import SystemCatalog
/// A map's contents read back from the kernel, per-CPU values already combined: what the
/// printers (text and JSON) take. Codegen decides the layout; the runtime decodes into this.
public struct MapSnapshot: Equatable, Sendable {
    /// As the script names it, with the `@`: `@`, `@bytes`.
    public var name: String
    public var kind: MapKind
    public var entries: [MapEntry]
    public init(name: String, kind: MapKind, entries: [MapEntry]) {
        self.name = name; self.kind = kind; self.entries = entries
    }
}

/// What the map's values are, which decides how they print and sort.
public enum MapKind: Equatable, Sendable {
    case count, sum, min, max, avg, stats
    /// Power-of-two histogram: `MapEntryValue.histogram` buckets.
    case hist
    case lhist(min: Int64, max: Int64, step: Int64)
    /// Assigned values (`@x = 1`, `@s = comm`, `@t = (1, "a")`): scalars.
    case plain
}

/// A key part or a plain value.
public indirect enum PrintableValue: Equatable, Hashable, Sendable {
    case signed(Int64)
    case unsigned(UInt64)
    case string(String)
    case tuple([PrintableValue])
    /// A whole struct or array: its text (`{ .m = 2 }`) and its JSON (`{ "m": 2 }`).
    case structured(text: String, json: String)
}

public struct MapEntry: Equatable, Sendable {
    /// Empty for a map without keys (`@x = count()`); one element per key (`@m[a, b]` has two).
    public var keys: [PrintableValue]
    public var value: MapEntryValue
    public init(keys: [PrintableValue], value: MapEntryValue) { self.keys = keys; self.value = value }
}

public enum MapEntryValue: Equatable, Sendable {
    /// count, sum, min, max, and plain values.
    case scalar(PrintableValue)
    /// avg: prints `total / count` (integer division, as bpftrace).
    case average(count: UInt64, total: Int64)
    /// stats: `count N, average A, total T`.
    case stats(count: UInt64, total: Int64)
    /// hist: 66 buckets. [0]: values < 0; [1]: value 0; [i ≥ 2]: values in [2^(i-2), 2^(i-1)).
    /// lhist: [0]: values < min; [1 + (v - min) / step]: values in range; [last]: values ≥ max.
    case histogram([UInt64])
}
