/// Turns attach points as written into concrete ones, expanding wildcards through the `Catalog`.
public struct ProbeExpander {
    /// Probe types and their aliases, as bpftrace names them.
    static let providers: [String: String] = [
        "BEGIN": "BEGIN", "END": "END",
        "tracepoint": "tracepoint", "t": "tracepoint",
        "interval": "interval", "i": "interval",
    ]
    /// Names accepted for suggestions, including types later issues add.
    static let knownProviderNames = [
        "BEGIN", "END", "tracepoint", "interval", "kprobe", "kretprobe", "uprobe", "uretprobe",
        "usdt", "rawtracepoint", "fentry", "fexit", "kfunc", "kretfunc", "profile", "software", "hardware",
    ]

    let catalog: Catalog
    public init(catalog: Catalog) { self.catalog = catalog }

    /// The concrete attach points of one written attach point, or a located error.
    public func expand(_ ap: AttachPoint) -> Result<[ResolvedAttachPoint], Diagnostic> {
        guard let provider = Self.providers[ap.provider] else {
            let hint = Suggestion.closest(to: ap.provider, among: Self.knownProviderNames)
            return .failure(.error(ap.range, "Invalid probe type: \(ap.provider)", suggestion: hint))
        }
        switch provider {
        case "BEGIN", "END":
            guard ap.parts.isEmpty else {
                return .failure(.error(ap.range, "\(provider) probe type takes no arguments"))
            }
            return .success([provider == "BEGIN" ? .begin : .end])
        case "tracepoint":
            return expandTracepoint(ap)
        default:
            return expandInterval(ap)
        }
    }

    private func expandTracepoint(_ ap: AttachPoint) -> Result<[ResolvedAttachPoint], Diagnostic> {
        guard ap.parts.count == 2, !ap.parts[0].isEmpty, !ap.parts[1].isEmpty else {
            return .failure(.error(ap.range, "tracepoint probe type requires 2 arguments"))
        }
        let id = TracepointID(category: ap.parts[0], name: ap.parts[1])
        if !Glob.hasWildcard(id.category), !Glob.hasWildcard(id.name) {
            // One format file, not the whole event list: start-up reads only what it needs.
            if catalog.tracepointFormat(id) != nil { return .success([.tracepoint(id)]) }
            let all = catalog.tracepoints()
            let hint = Suggestion.closest(to: id.description, among: all.map(\.description))
            return .failure(.error(ap.range, "tracepoint not found: \(id)", suggestion: hint))
        }
        let matches = catalog.tracepoints()
            .filter { Glob.matches(id.category, $0.category) && Glob.matches(id.name, $0.name) }
            .sorted()
        guard !matches.isEmpty else {
            return .failure(.error(ap.range, "No probes matched: tracepoint:\(id)"))
        }
        return .success(matches.map { .tracepoint($0) })
    }

    private func expandInterval(_ ap: AttachPoint) -> Result<[ResolvedAttachPoint], Diagnostic> {
        guard ap.parts.count == 2 else {
            return .failure(.error(ap.range, "interval probe type requires 2 arguments"))
        }
        let unitNs: UInt64
        switch ap.parts[0] {
        case "s": unitNs = 1_000_000_000
        case "ms": unitNs = 1_000_000
        case "us": unitNs = 1_000
        case "hz": unitNs = 0
        default:
            let hint = Suggestion.closest(to: ap.parts[0], among: ["s", "ms", "us", "hz"])
            return .failure(.error(ap.range, "Invalid unit \(ap.parts[0]) for interval probe", suggestion: hint))
        }
        guard let n = UInt64(ap.parts[1]), n > 0 else {
            return .failure(.error(ap.range, "interval probe needs a positive integer, not '\(ap.parts[1])'"))
        }
        if unitNs == 0 {
            return .success([.interval(nanoseconds: max(1, 1_000_000_000 / n))])
        }
        let (ns, overflow) = n.multipliedReportingOverflow(by: unitNs)
        guard !overflow else { return .failure(.error(ap.range, "interval is too long")) }
        return .success([.interval(nanoseconds: ns)])
    }
}
