import ScriptParser

/// `swtrace -l [PATTERN]` and `-lv PATTERN`: the probes a pattern names, printed the way
/// bpftrace 0.17 prints them. The providers' listers are in `ProbeLister+Kernel.swift`
/// (tracepoints, kprobes, kfuncs, raw tracepoints, perf events) and `ProbeLister+User.swift`
/// (uprobes, USDT).
///
/// What is matched from bpftrace:
/// - The pattern is a comma-separated list of attach points; each is listed in turn, so a probe
///   named twice is printed twice. Empty items (a trailing comma) are ignored.
/// - Aliases (`t:`, `k:`, `f:`) are accepted; output always spells bpftrace 0.17's full name:
///   `kfunc:vmlinux:vfs_read`, `kprobe:vfs_read`, `software:cpu-clock:`.
/// - A pattern with no `:` but a wildcard is tried against every provider (`*sched_switch*`).
///   A wildcard in the provider (`t*:sched:*`) is matched against the providers' full names;
///   either way one attach point's matches are printed sorted by bytes, across providers, as
///   bpftrace's set of names prints them. Return probes (kretprobe, kretfunc, uretprobe) only
///   list when named: they would repeat their entry probe's list.
/// - `tracepoint:PAT` with one part that has a wildcard means `tracepoint:*:PAT`.
/// - A pattern without a wildcard matches only itself; a pattern that matches nothing prints
///   nothing.
/// - `-v` prints, under each probe, its arguments: a tracepoint's own fields as in its format
///   file, a kfunc's and a raw tracepoint's BTF parameters (`    struct sock * sk`), a kfunc's
///   return value last (`    int retval`).
/// - No pattern lists every probe that needs no binary: tracepoints, kprobes, kfuncs, raw
///   tracepoints, software and hardware events.
///
/// Where we differ on purpose: `?` is a one-character wildcard here as in scripts (bpftrace
/// 0.17 rejects it); an unknown provider (`sched:*`) is a located error instead of bpftrace's
/// abort; software and hardware events are listed by name (bpftrace 0.17 echoes the pattern);
/// kprobes fall back to /proc/kallsyms when available_filter_functions is unreadable (0.17
/// gives up); raw tracepoints are listed (0.17 has no such probe type).
public struct ProbeLister {
    let catalog: TracefsCatalog
    /// `-p PID`: uprobes and USDT are looked for in the files the process runs (its
    /// executable and libraries), and a pattern without one lists those.
    public var targetPID: Int32?

    public init(catalog: TracefsCatalog, targetPID: Int32? = nil) {
        self.catalog = catalog
        self.targetPID = targetPID
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
        // -l -p PID alone: the process's own probes.
        let pattern = pattern ?? (targetPID != nil ? "uprobe:*,usdt:*" : nil)
        guard let pattern else {
            let plans = Self.providers.compactMap { provider -> Plan? in
                guard provider.listedByWildcard, let lister = provider.lister,
                      case let .success(checked) = provider.checkParts(["*"]) else { return nil }
                return Plan(lister: lister, parts: checked)
            }
            return try Self.merged(plans.map { try $0.lister(self, $0.parts, verbose) })
        }
        let source = SourceFile(name: "stdin", text: pattern)
        // bpftrace's lexer reads the pattern first: a character no attach point can hold is
        // reported as such, not as an unknown probe type.
        if let bad = pattern.utf8.firstIndex(where: { Self.invalidPatternBytes.contains($0) }) {
            let offset = pattern.utf8.distance(from: pattern.utf8.startIndex, to: bad)
            let message = "invalid character '\(Character(Unicode.Scalar(pattern.utf8[bad])))'"
            throw ProbeListError.invalidPattern(source: source, diagnostics: Diagnostics([.error(SourceRange(offset, offset + 1), message)]))
        }
        let items = Self.attachPointItems(pattern)
        guard !items.isEmpty else { throw ProbeListError.noAttachPoints }
        // Like bpftrace, which parses the whole pattern before listing: an error in the
        // last attach point means no output at all, not a partial listing.
        let planned = try items.map { item in (item, try Self.plans(for: item, source: source)) }
        var result: [ListedProbe] = []
        for (item, plans) in planned {
            let lists = try plans.map { plan -> [ListedProbe] in
                do {
                    return try plan.lister(self, plan.parts, verbose)
                } catch let refusal as PartsRefusal {
                    throw ProbeListError.invalidPattern(source: source, diagnostics: Diagnostics([.error(item.range, refusal.message)]))
                }
            }
            result += lists.count == 1 ? lists[0] : Self.merged(lists)
        }
        return result
    }

    /// Characters that cannot appear in any attach point (bpftrace's lexer rejects them).
    static let invalidPatternBytes = Set("\\\"'`#%^&|;<>=".utf8)

    /// Several providers' lists as one, sorted by bytes of the names, without duplicates.
    static func merged(_ lists: [[ListedProbe]]) -> [ListedProbe] {
        var seen = Set<String>()
        return lists.joined().filter { seen.insert($0.name).inserted }
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
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
                guard provider.listedByWildcard, Glob.matches(providerPattern, provider.name),
                      let lister = provider.lister, case let .success(checked) = provider.checkParts(parts) else { return nil }
                return Plan(lister: lister, parts: checked)
            }
        }
        guard let type = ProbeType(named: providerPattern), let provider = providers.first(where: { $0.type == type }) else {
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
        var type: ProbeType
        /// What wildcard provider patterns match and listings print.
        var name: String { type.listedName }
        /// The parts after the provider in canonical form, or why they are not an attach point
        /// of this type. Runs for every attach point before anything is read.
        var checkParts: @Sendable ([String]) -> Result<[String], PartsRefusal>
        /// The probes matching checked parts, with argument lines when verbose. Nil: swtrace
        /// cannot list this type.
        var lister: Lister?
        /// Listed when the provider is a wildcard or the pattern is empty.
        var listedByWildcard = true
    }

    /// Why the parts of an attach point do not fit its provider (or name nothing that can be
    /// read, such as a missing binary), in bpftrace's words.
    struct PartsRefusal: Error {
        var message: String
    }

    /// bpftrace 0.17's probe types (and raw tracepoints), with their aliases.
    static let providers: [Provider] = [
        Provider(type: .tracepoint, checkParts: { checkTracepointParts($0) },
                 lister: { try $0.tracepoints(parts: $1, verbose: $2) }),
        Provider(type: .rawtracepoint, checkParts: { checkRawTracepointParts($0) },
                 lister: { try $0.rawTracepoints(parts: $1, verbose: $2) }),
        Provider(type: .kprobe, checkParts: { checkKernelFunctionParts($0, "kprobe") },
                 lister: { lister, parts, _ in try lister.kprobes(parts: parts, provider: "kprobe") }),
        Provider(type: .kretprobe, checkParts: { checkKernelFunctionParts($0, "kretprobe") },
                 lister: { lister, parts, _ in try lister.kprobes(parts: parts, provider: "kretprobe") }, listedByWildcard: false),
        Provider(type: .uprobe, checkParts: { checkUprobeParts($0, "uprobe") },
                 lister: { try $0.uprobes(parts: $1, provider: "uprobe", verbose: $2) }),
        Provider(type: .uretprobe, checkParts: { checkUprobeParts($0, "uretprobe") },
                 lister: { try $0.uprobes(parts: $1, provider: "uretprobe", verbose: $2) }, listedByWildcard: false),
        Provider(type: .usdt, checkParts: { checkUSDTParts($0) },
                 lister: { lister, parts, _ in try lister.usdtProbes(parts: parts) }),
        Provider(type: .profile, checkParts: { checkTimerParts($0, "profile") },
                 lister: { lister, parts, _ in lister.timers(parts: parts, provider: "profile") }),
        Provider(type: .interval, checkParts: { checkTimerParts($0, "interval") },
                 lister: { lister, parts, _ in lister.timers(parts: parts, provider: "interval") }),
        Provider(type: .software, checkParts: { checkPerfEventParts($0, "software") },
                 lister: { lister, parts, _ in lister.perfEvents(parts: parts, kind: .software) }),
        Provider(type: .hardware, checkParts: { checkPerfEventParts($0, "hardware") },
                 lister: { lister, parts, _ in lister.perfEvents(parts: parts, kind: .hardware) }),
        unlisted(.watchpoint), unlisted(.asyncwatchpoint),
        Provider(type: .fentry, checkParts: { checkKernelFunctionParts($0, "kfunc") },
                 lister: { try $0.kfuncs(parts: $1, provider: "kfunc", verbose: $2) }),
        Provider(type: .fexit, checkParts: { checkKernelFunctionParts($0, "kretfunc") },
                 lister: { try $0.kfuncs(parts: $1, provider: "kretfunc", verbose: $2) }, listedByWildcard: false),
        unlisted(.iter),
    ]

    private static func unlisted(_ type: ProbeType) -> Provider {
        Provider(type: type, checkParts: { .success($0) }, lister: nil, listedByWildcard: false)
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
    /// A list file could not be read (`available_events`, kallsyms), typically permission
    /// denied for a non-root user.
    case tracefsUnreadable(FileReadError)
    /// Kernel BTF is missing or unreadable, so kfuncs and raw tracepoints cannot be listed.
    case kernelInfoMissing(String)

    /// The text for stderr, newline-terminated, worded like bpftrace's.
    public var description: String {
        switch self {
        case let .invalidPattern(source, diagnostics):
            return DiagnosticRenderer.render(diagnostics, in: source)
        case .noAttachPoints:
            return "ERROR: No attach points for probe\n"
        case let .tracefsUnreadable(error):
            return "ERROR: Could not read symbols from \(error)\n"
        case let .kernelInfoMissing(message):
            return "ERROR: \(message)\n"
        }
    }
}
