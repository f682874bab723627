/// Names and escaping as both exposition formats define them: metric names match
/// `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*` (names starting with `__`
/// are Prometheus's own); label values are escaped as they are written (PageWriter).
enum MetricNames {
    static let prefix = "swtrace_"
    /// What the anonymous map `@` is called: `swtrace_map`.
    static let anonymousMap = "map"

    /// `swtrace_<map>`, the family's base name.
    static func family(mapName: String) -> String {
        prefix + sanitise(mapName.isEmpty ? anonymousMap : mapName, allowColon: true)
    }

    /// Every character outside the allowed set becomes `_`; a leading digit gets a `_` before it.
    static func sanitise(_ name: String, allowColon: Bool) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                || (scalar >= "0" && scalar <= "9") || scalar == "_" || (allowColon && scalar == ":")
            out.unicodeScalars.append(ok ? scalar : "_")
        }
        if let first = out.unicodeScalars.first, first >= "0" && first <= "9" { out = "_" + out }
        return out.isEmpty ? "_" : out
    }

    /// One label name per key part: what the key expression names, `key0…` where it names
    /// nothing, made unique and kept clear of names the format reserves (`le` in histograms,
    /// `quantile` in summaries, `__*`, and `value` where the value itself is a label).
    static func labels(keyNames: [String?], count: Int, reserved: Set<String>) -> [String] {
        var taken = reserved
        var out: [String] = []
        for i in 0..<count {
            var name = (i < keyNames.count ? keyNames[i] : nil).map { sanitise($0, allowColon: false) } ?? "key\(i)"
            if name.hasPrefix("__") { name = "key" + name.dropFirst() }
            if taken.contains(name) { name = "key\(i)" }
            if taken.contains(name) { name = "key\(i)_\(i)" }
            taken.insert(name)
            out.append(name)
        }
        return out
    }

    /// HELP text: `\` and newline escaped; OpenMetrics escapes `"` too.
    static func escapeHelp(_ text: String, format: MetricsFormat) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where format == .openMetrics: out += "\\\""
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
