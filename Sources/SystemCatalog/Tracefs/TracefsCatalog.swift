#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ScriptParser

/// What the front end needs to know about the running system: tracepoints from tracefs, kernel
/// functions and raw tracepoints from BTF and kallsyms, binaries' symbols and USDT notes (the
/// last group in `TracefsCatalog+Probes.swift`).
///
/// Reads lazily and once: `available_events` on the first `tracepoints()`, one `format` file per
/// tracepoint asked about. Start-up time depends on not touching the other ~2,000 format files.
/// Not thread-safe: the caches are filled without locking, so use one instance from one thread.
public final class TracefsCatalog: Catalog {
    /// Where tracefs is looked for, in order: its own mount point, then the debugfs path older
    /// systems use.
    public static let defaultSearchPaths = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]

    private let searchPaths: [String]
    private var resolvedPath: String?
    private var eventsCache: Result<[TracepointID], FileReadError>?
    // Misses are cached too: a script that names a missing tracepoint twice reads once.
    private var formatCache: [TracepointID: TracepointFormat?] = [:]

    // Probe targets beyond tracepoints (TracefsCatalog+Probes.swift), each read on first use.
    var btfCache: Result<KernelBTF, RuntimeError>?
    var kernelFunctionCache: Result<KernelFunctions.Listing, FileReadError>?
    var btfFunctionCache: [KernelFunction]?
    var signatureCache: [String: FunctionSignature?] = [:]
    var rawTracepointCache: [String]?
    var rawSignatureCache: [String: FunctionSignature?] = [:]
    var binaryCache: [String: String?] = [:]
    var symbolCache: [String: Result<[UserSymbol], CatalogError>] = [:]
    var sectionCache: [String: [SectionSpan]] = [:]
    var usdtCache: [String: Result<[USDTProbeInfo], CatalogError>] = [:]
    var moduleBTFCache: [String: KernelBTF?] = [:]

    /// A catalog over the first of `searchPaths` that has an `events/` directory.
    public init(searchPaths: [String] = TracefsCatalog.defaultSearchPaths) {
        self.searchPaths = searchPaths
    }

    /// The tracefs directory in use: the first search path with a visible `events/`, else the
    /// first search path (so errors name the usual place).
    public var tracefsPath: String {
        if let resolvedPath { return resolvedPath }
        let path = searchPaths.first { isDirectory($0 + "/events") } ?? searchPaths.first ?? ""
        resolvedPath = path
        return path
    }

    /// Every tracepoint in `available_events`, sorted, without duplicates; empty when tracefs
    /// cannot be read (use `availableTracepoints()` to learn why).
    public func tracepoints() -> [TracepointID] {
        (try? availableTracepoints()) ?? []
    }

    /// Every tracepoint in `available_events`, sorted, without duplicates, or why it could not
    /// be read (typically permission denied for a non-root user).
    public func availableTracepoints() throws(FileReadError) -> [TracepointID] {
        if let eventsCache { return try eventsCache.get() }
        let result = readFileContents(tracefsPath + "/available_events").map(Self.parseAvailableEvents)
        eventsCache = result
        return try result.get()
    }

    /// The parsed `events/CATEGORY/NAME/format`, or nil when there is no such tracepoint, the
    /// file cannot be read, or it does not parse.
    public func tracepointFormat(_ id: TracepointID) -> TracepointFormat? {
        if let cached = formatCache[id] { return cached }
        var format: TracepointFormat?
        // The id comes from user scripts: keep it from naming a path outside events/.
        if Self.isSafePathComponent(id.category), Self.isSafePathComponent(id.name),
           let bytes = readFile("\(tracefsPath)/events/\(id.category)/\(id.name)/format") {
            format = TracepointFormat.parse(id: id, text: String(decoding: bytes, as: UTF8.self))
        }
        formatCache[id] = .some(format)
        return format
    }

    /// Mounts tracefs at `/sys/kernel/tracing` when no tracefs `events/` directory is visible
    /// and we are root. True when tracepoints can be found afterwards.
    public static func ensureTracefsMounted() -> Bool {
        if defaultSearchPaths.contains(where: { isDirectory($0 + "/events") }) { return true }
        // Mounting needs CAP_SYS_ADMIN; a normal user gets EPERM, so do not try.
        guard geteuid() == 0 else { return false }
        let target = defaultSearchPaths[0]
        guard mount("tracefs", target, "tracefs", 0, nil) == 0 else { return false }
        return isDirectory(target + "/events")
    }

    /// `category:name` lines → ids; lines without a colon are skipped rather than guessed at.
    static func parseAvailableEvents(_ bytes: [UInt8]) -> [TracepointID] {
        var ids = Set<TracepointID>()
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let category = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            let name = String(decoding: line[(colon + 1)...], as: UTF8.self)
            guard !category.isEmpty, !name.isEmpty else { continue }
            ids.insert(TracepointID(category: category, name: name))
        }
        return ids.sorted()
    }

    /// A category or event name that stays inside its directory: no `/`, not `.` or `..`.
    static func isSafePathComponent(_ s: String) -> Bool {
        !s.isEmpty && s != "." && s != ".." && !s.utf8.contains(UInt8(ascii: "/")) && !s.utf8.contains(0)
    }
}
