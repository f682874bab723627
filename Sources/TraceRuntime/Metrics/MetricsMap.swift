import TraceContract

/// What the exposition needs to know about one map besides its contents: its name, what its
/// keys were written as and where, all of it recorded by the compiler in the manifest.
public struct MetricsMap: Sendable, Equatable {
    /// Without the `@`; empty for the anonymous map.
    public var name: String
    /// `count()`, `hist()`, … or `value` for a plain map: the help text says which.
    public var aggregation: String
    /// How many key parts the map has (0: one series, no labels).
    public var keyCount: Int
    public var keyExpressions: [String]
    public var keyNames: [String?]
    /// Line of the map's first use in the script.
    public var line: Int
    /// A plain map of strings (or tuples): exposed as a gauge of 1 with the value as a label.
    public var valueIsText: Bool

    public init(name: String, aggregation: String, keyCount: Int, keyExpressions: [String] = [],
                keyNames: [String?] = [], line: Int, valueIsText: Bool = false) {
        self.name = name; self.aggregation = aggregation; self.keyCount = keyCount
        self.keyExpressions = keyExpressions; self.keyNames = keyNames; self.line = line
        self.valueIsText = valueIsText
    }

    public init(_ d: MapDescriptor) {
        var text = false
        let aggregation: String
        if case .plain(let t) = d.info.value {
            aggregation = "value"
            text = !t.isInteger
        } else {
            aggregation = "\(d.info.value)()"
        }
        self.init(name: d.info.name, aggregation: aggregation, keyCount: d.info.keyTypes.count,
                  keyExpressions: d.keyExpressions, keyNames: d.keyNames, line: d.sourceLine, valueIsText: text)
    }

    /// `@execs[comm, pid]` as the script wrote it (key parts we have no text for as `_`).
    var written: String {
        guard keyCount > 0 else { return "@" + name }
        let keys = (0..<keyCount).map { $0 < keyExpressions.count ? keyExpressions[$0] : "_" }
        return "@\(name)[\(keys.joined(separator: ", "))]"
    }
}
