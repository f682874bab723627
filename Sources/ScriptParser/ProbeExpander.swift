/// Turns attach points as written into concrete ones, expanding wildcards through the `Catalog`.
///
/// One file per family: this one dispatches and handles the types that need no catalog beyond
/// tracepoints (BEGIN/END, tracepoint, profile/interval, software/hardware);
/// `ProbeExpander+Kernel.swift` does kprobes, fentry and raw tracepoints,
/// `ProbeExpander+User.swift` uprobes and USDT.
public struct ProbeExpander {
    let catalog: Catalog
    /// The `-p`/`-c` process's binary: where `watchpoint:FUNC+argN` looks for FUNC.
    public var targetBinary: String?
    /// The files the -p process runs (its executable and libraries), where `usdt::PROVIDER:NAME`
    /// and `usdt:*:…` look.
    public var targetFiles: [String]
    public init(catalog: Catalog, targetBinary: String? = nil, targetFiles: [String] = []) {
        self.catalog = catalog
        self.targetBinary = targetBinary
        self.targetFiles = targetFiles
    }

    typealias Expansion = Result<[ResolvedAttachPoint], Diagnostic>

    /// The concrete attach points of one written attach point, or a located error.
    public func expand(_ ap: AttachPoint) -> Result<[ResolvedAttachPoint], Diagnostic> {
        guard let type = ProbeType(named: ap.provider) else {
            let hint = Suggestion.closest(to: ap.provider, among: ProbeType.suggestedNames)
            return .failure(.error(ap.range, "Invalid probe type: \(ap.provider)", suggestion: hint))
        }
        switch type {
        case .begin, .end:
            guard ap.parts.isEmpty else {
                return .failure(.error(ap.range, "\(type.rawValue) probe type takes no arguments"))
            }
            return .success([type == .begin ? .begin : .end])
        case .tracepoint: return expandTracepoint(ap)
        case .rawtracepoint: return expandRawTracepoint(ap)
        case .kprobe, .kretprobe: return expandKprobe(ap, isReturn: type == .kretprobe)
        case .fentry, .fexit: return expandFentry(ap, isExit: type == .fexit)
        case .uprobe, .uretprobe: return expandUprobe(ap, isReturn: type == .uretprobe)
        case .usdt: return expandUSDT(ap)
        case .profile, .interval: return expandTimer(ap, type)
        case .software, .hardware: return expandPerfEvent(ap, kind: type == .software ? .software : .hardware)
        case .watchpoint, .asyncwatchpoint: return expandWatchpoint(ap, isAsync: type == .asyncwatchpoint)
        case .iter:
            return .failure(.error(ap.range, "iter probes are not supported yet"))
        }
    }

    // MARK: Shared helpers

    /// The located "nothing matched" error, with the nearest existing name as a hint.
    func noMatch(_ ap: AttachPoint, _ what: String, pattern: String, among names: [String],
                 render: (String) -> String) -> Diagnostic {
        // Compare against the pattern without its wildcards: `sched_swich*` → `sched_switch`.
        let bare = pattern.filter { $0 != "*" && $0 != "?" }
        let hint = Suggestion.closest(to: bare, among: names).map(render)
        let message = Glob.hasWildcard(pattern) ? "No probes matched: \(ap.text)" : "\(what) not found: \(pattern)"
        return .error(ap.range, message, suggestion: hint)
    }

    /// A decimal or `0x` hexadecimal number, as offsets and addresses are written.
    static func parseNumber(_ text: String) -> UInt64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text)
    }

    /// `1000`, `1_000`, `1e6`: counts and rates as bpftrace accepts them.
    static func parseCount(_ text: String) -> UInt64? {
        let digits = String(text.filter { $0 != "_" })
        if let n = UInt64(digits) { return n }
        let pieces = digits.split(separator: "e", omittingEmptySubsequences: false)
        guard pieces.count == 2, let mantissa = UInt64(pieces[0]), let exponent = Int(pieces[1]),
              (0...18).contains(exponent) else { return nil }
        var value = mantissa
        for _ in 0..<exponent {
            let (v, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            value = v
        }
        return value
    }

    // MARK: Tracepoints

    func expandTracepoint(_ ap: AttachPoint) -> Expansion {
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
            let all = catalog.tracepoints().map(\.description)
            return .failure(noMatch(ap, "tracepoint", pattern: id.description, among: all) { "tracepoint:\($0)" })
        }
        return .success(matches.map { .tracepoint($0) })
    }

    // MARK: Timers

    /// `profile:UNIT:N` and `interval:UNIT:N`.
    func expandTimer(_ ap: AttachPoint, _ type: ProbeType) -> Expansion {
        let word = type.rawValue
        guard ap.parts.count == 2 else {
            return .failure(.error(ap.range, "\(word) probe type requires 2 arguments"))
        }
        guard let unit = TimerSpec.Unit(rawValue: ap.parts[0]) else {
            let hint = Suggestion.closest(to: ap.parts[0], among: TimerSpec.Unit.allCases.map(\.rawValue))
            return .failure(.error(ap.range, "Invalid unit \(ap.parts[0]) for \(word) probe", suggestion: hint))
        }
        guard let n = Self.parseCount(ap.parts[1]), n > 0 else {
            return .failure(.error(ap.range, "\(word) probe needs a positive integer, not '\(ap.parts[1])'"))
        }
        let spec = TimerSpec(unit: unit, value: n)
        if unit != .hz, n.multipliedReportingOverflow(by: unit == .s ? 1_000_000_000 : unit == .ms ? 1_000_000 : 1_000).overflow {
            return .failure(.error(ap.range, "\(word) is too long"))
        }
        return .success([type == .profile ? .profile(spec) : .interval(spec)])
    }

    // MARK: Software and hardware events

    /// `software:EVENT[:COUNT]`, `hardware:EVENT[:COUNT]`; EVENT may be a wildcard over the names.
    func expandPerfEvent(_ ap: AttachPoint, kind: PerfEventTarget.Kind) -> Expansion {
        let word = kind.rawValue
        guard (1...2).contains(ap.parts.count), !ap.parts[0].isEmpty else {
            return .failure(.error(ap.range, "\(word) probe type requires 1 or 2 arguments"))
        }
        var count: UInt64?
        if ap.parts.count == 2, !ap.parts[1].isEmpty {
            guard let n = Self.parseCount(ap.parts[1]), n > 0 else {
                return .failure(.error(ap.range, "\(word) probe count must be a positive integer, not '\(ap.parts[1])'"))
            }
            count = n
        }
        let pattern = ap.parts[0]
        let events: [(String, PerfEventName)]
        if Glob.hasWildcard(pattern) {
            // Canonical names only: an alias matching too would attach the same event twice.
            events = PerfEventName.table(kind).filter { Glob.matches(pattern, $0.name) }.map { ($0.name, $0) }
        } else if let event = PerfEventName.lookup(pattern, in: kind) {
            events = [(pattern, event)]
        } else {
            let hint = Suggestion.closest(to: pattern, among: PerfEventName.allNames(kind))
            return .failure(.error(ap.range, "\(pattern) is not a \(word) probe", suggestion: hint))
        }
        guard !events.isEmpty else {
            return .failure(noMatch(ap, word, pattern: pattern, among: PerfEventName.allNames(kind)) { "\(word):\($0)" })
        }
        return .success(events.map { name, event in
            .perfEvent(PerfEventTarget(kind: kind, name: name, config: event.config,
                                       count: count ?? event.defaultCount))
        })
    }
}
