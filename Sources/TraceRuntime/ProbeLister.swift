import ScriptParser

/// `swtrace -l [PATTERN]` and `-lv PATTERN`: the probes a pattern names, printed the way
/// bpftrace 0.17 prints them.
///
/// What is matched from bpftrace:
/// - The pattern is a comma-separated list of attach points; each is listed in turn, so a probe
///   named twice is printed twice. Empty items (a trailing comma) are ignored.
/// - `t:` is `tracepoint:`; output always spells the full provider name.
/// - A pattern with no `:` but a wildcard is tried against every provider (`*sched_switch`).
///   A wildcard in the provider (`t*:sched:*`) is matched against the providers' full names.
/// - `tracepoint:PAT` with one part that has a wildcard means `tracepoint:*:PAT`, as users
///   usually look for an event name.
/// - Matching is a glob over `category:name` lines of `available_events`; a pattern without a
///   wildcard matches only itself, and a pattern that matches nothing prints nothing.
/// - Output is sorted by bytes of `category:name`, without duplicates (bpftrace's `std::set`).
/// - `-v` prints, under each tracepoint, its own fields (not the `common_*` ones), each as four
///   spaces and the declaration text of the format file.
/// - No pattern lists every probe (for now: every tracepoint).
///
/// Where we differ on purpose: `?` is a one-character wildcard here as in scripts (bpftrace
/// 0.17 rejects it), and an unknown provider (`sched:*`) is a located error instead of
/// bpftrace's abort ("FATAL: Invalid probe type made it to attachpoint parser").
public struct ProbeLister {
    private let catalog: TracefsCatalog

    public init(catalog: TracefsCatalog) {
        self.catalog = catalog
    }

    /// The listing for `pattern` (nil: everything), one probe per line, each followed by its
    /// arguments when `verbose`. Throws `ProbeListError`.
    public func list(pattern: String?, verbose: Bool) throws -> String {
        var output = ""
        for probe in try probes(pattern: pattern, verbose: verbose) {
            output += probe.name + "\n"
            for detail in probe.details { output += "    " + detail + "\n" }
        }
        return output
    }

    /// The probes `pattern` names, in output order.
    func probes(pattern: String?, verbose: Bool) throws -> [ListedProbe] {
        let plans: [Plan]
        if let pattern {
            let source = SourceFile(name: "stdin", text: pattern)
            let items = Self.attachPointItems(pattern)
            guard !items.isEmpty else { throw ProbeListError.noAttachPoints }
            // Like bpftrace, which parses the whole pattern before listing: an error in the
            // last attach point means no output at all, not a partial listing.
            plans = try items.flatMap { try Self.plans(for: $0, source: source) }
        } else {
            plans = Self.providers.compactMap { provider in
                provider.lister.map { Plan(lister: $0, parts: ["*", "*"]) }
            }
        }
        return try plans.flatMap { try $0.lister(self, $0.parts, verbose) }
    }

    /// One provider's share of an attach point: whom to ask and the checked parts to ask with.
    struct Plan {
        var lister: Provider.Lister
        var parts: [String]
    }

    /// What one comma-separated attach point of the pattern asks of which providers.
    private static func plans(for item: AttachPointItem, source: SourceFile) throws -> [Plan] {
        func invalid(_ message: String) -> ProbeListError {
            .invalidPattern(source: source, diagnostics: Diagnostics([.error(item.range, message)]))
        }
        var parts = item.parts
        if parts.contains(where: { $0.contains(where: \.isWhitespace) }) {
            throw invalid("unexpected listing query format")
        }
        // `*foo*` alone: any provider, as bpftrace reads it.
        if parts.count == 1, Glob.hasWildcard(parts[0]) { parts.insert("*", at: 0) }
        let providerPattern = parts.removeFirst()

        if Glob.hasWildcard(providerPattern) {
            // Expanded providers skip attach points they cannot take, as bpftrace does.
            return providers.compactMap { provider in
                guard Glob.matches(providerPattern, provider.name), let lister = provider.lister,
                      case let .success(checked) = provider.checkParts(parts) else { return nil }
                return Plan(lister: lister, parts: checked)
            }
        }
        guard let provider = providers.first(where: { $0.name == providerPattern || $0.aliases.contains(providerPattern) }) else {
            throw invalid("Invalid probe type: \(providerPattern)")
        }
        guard let lister = provider.lister else {
            throw invalid("listing \(provider.name) probes is not supported yet")
        }
        switch provider.checkParts(parts) {
        case let .success(checked): return [Plan(lister: lister, parts: checked)]
        case let .failure(refusal): throw invalid(refusal.message)
        }
    }

    // MARK: Providers

    /// A probe type `-l` knows. Adding a listable provider is writing its `checkParts` and
    /// `lister` and adding it to `providers`.
    struct Provider: Sendable {
        typealias Lister = @Sendable (ProbeLister, [String], Bool) throws -> [ListedProbe]
        var name: String
        var aliases: [String]
        /// The parts after the provider in canonical form, or why they are not an attach point
        /// of this type. Runs for every attach point before anything is read.
        var checkParts: @Sendable ([String]) -> Result<[String], PartsRefusal>
        /// The probes matching checked parts, with argument lines when verbose. Nil: swtrace
        /// cannot list this type yet.
        var lister: Lister?
    }

    /// Why the parts of an attach point do not fit its provider, in bpftrace's words.
    struct PartsRefusal: Error {
        var message: String
    }

    /// bpftrace 0.17's probe types, in its listing order for the ones we list.
    static let providers: [Provider] = [
        Provider(name: "tracepoint", aliases: ["t"], checkParts: { checkTracepointParts($0) },
                 lister: { try $0.tracepoints(parts: $1, verbose: $2) }),
        unlisted("kprobe", "k"), unlisted("kretprobe", "kr"), unlisted("uprobe", "u"),
        unlisted("uretprobe", "ur"), unlisted("usdt", "U"), unlisted("profile", "p"),
        unlisted("interval", "i"), unlisted("software", "s"), unlisted("hardware", "h"),
        unlisted("watchpoint", "w"), unlisted("asyncwatchpoint", "aw"), unlisted("kfunc", "f"),
        unlisted("kretfunc", "fr"), unlisted("iter", "it"),
    ]

    private static func unlisted(_ name: String, _ alias: String) -> Provider {
        Provider(name: name, aliases: [alias], checkParts: { .success($0) }, lister: nil)
    }

    /// `CATEGORY:NAME`, either a glob; a single glob `PAT` means `*:PAT`, since users mostly
    /// look for an event name.
    private static func checkTracepointParts(_ parts: [String]) -> Result<[String], PartsRefusal> {
        var parts = parts
        if parts.count == 1, Glob.hasWildcard(parts[0]) { parts.insert("*", at: 0) }
        guard parts.count == 2 else { return .failure(PartsRefusal(message: "tracepoint probe type requires 2 arguments")) }
        guard !parts[0].isEmpty, !parts[1].isEmpty else {
            return .failure(PartsRefusal(message: "tracepoint probe must have a target"))
        }
        return .success(parts)
    }

    /// The tracepoints whose `category:name` matches the checked `[category, name]` globs.
    private func tracepoints(parts: [String], verbose: Bool) throws -> [ListedProbe] {
        let search = parts.joined(separator: ":")
        let available: [TracepointID]
        do {
            available = try catalog.availableTracepoints()
        } catch {
            throw ProbeListError.tracefsUnreadable(error)
        }
        // bpftrace keeps matches in a std::set<std::string>: byte order of `category:name`.
        // That differs from ordering by (category, name) when a category is a prefix of another.
        // The catalog has already dropped duplicate lines of available_events.
        let matches = available.map { (id: $0, text: $0.description) }
            .filter { Glob.matches(search, $0.text) }
            .sorted { $0.text.utf8.lexicographicallyPrecedes($1.text.utf8) }
        return matches.map { match in
            // bpftrace prints the format file's fields after its first blank line: the event's own.
            let details = verbose ? catalog.tracepointFormat(match.id)?.fields.filter { !$0.isCommon }.map(\.declaration) : nil
            return ListedProbe(name: "tracepoint:" + match.text, details: details ?? [])
        }
    }

    // MARK: Pattern syntax

    /// An attach point of the pattern: its `:`-separated parts (trimmed) and where it is.
    struct AttachPointItem {
        var parts: [String]
        var range: SourceRange
    }

    /// Splits at commas, drops empty items, trims spaces around each part (`tracepoint: sched:x`
    /// is accepted by bpftrace's lexer).
    static func attachPointItems(_ pattern: String) -> [AttachPointItem] {
        var items: [AttachPointItem] = []
        let bytes = Array(pattern.utf8)
        var start = 0
        for end in 0...bytes.count where end == bytes.count || bytes[end] == UInt8(ascii: ",") {
            defer { start = end + 1 }
            var lo = start, hi = end
            while lo < hi, isSpace(bytes[lo]) { lo += 1 }
            while hi > lo, isSpace(bytes[hi - 1]) { hi -= 1 }
            guard lo < hi else { continue }
            let parts = bytes[lo..<hi].split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).map { part in
                var a = part.startIndex, b = part.endIndex
                while a < b, isSpace(part[a]) { a += 1 }
                while b > a, isSpace(part[b - 1]) { b -= 1 }
                return String(decoding: part[a..<b], as: UTF8.self)
            }
            items.append(AttachPointItem(parts: parts, range: SourceRange(lo, hi)))
        }
        return items
    }

    private static func isSpace(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n")
    }
}

/// One line of a listing (`tracepoint:sched:sched_switch`) and, for `-v`, its argument lines.
struct ListedProbe: Equatable {
    var name: String
    var details: [String]
}

/// Why `swtrace -l` printed no listing.
public enum ProbeListError: Error, CustomStringConvertible {
    /// The pattern is not a probe spec; the diagnostics point into `source` (named `stdin`).
    case invalidPattern(source: SourceFile, diagnostics: Diagnostics)
    /// Only commas and spaces.
    case noAttachPoints
    /// `available_events` could not be read, typically permission denied for a non-root user.
    case tracefsUnreadable(FileReadError)

    /// The text for stderr, newline-terminated, worded like bpftrace's.
    public var description: String {
        switch self {
        case let .invalidPattern(source, diagnostics):
            return DiagnosticRenderer.render(diagnostics, in: source)
        case .noAttachPoints:
            return "ERROR: No attach points for probe\n"
        case let .tracefsUnreadable(error):
            return "ERROR: Could not read symbols from \(error)\n"
        }
    }
}
