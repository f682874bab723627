/// What the front end hands to codegen: probes with concrete attach points and typed bodies.
public struct TypedProgram: Sendable {
    public var source: SourceFile
    public var probes: [TypedProbe]
    /// Every map, in order of first use.
    public var maps: [MapInfo]
    public var settings: Settings
    public init(source: SourceFile, probes: [TypedProbe], maps: [MapInfo] = [], settings: Settings) {
        self.source = source; self.probes = probes; self.maps = maps; self.settings = settings
    }
}

/// Limits and defaults a script can change with `config = {…}` or environment variables.
public struct Settings: Sendable, Equatable {
    /// `str()` buffer size and the default for `__data_loc` strings (BPFTRACE_STRLEN).
    public var stringLength = 64
    /// `join()`: how many arguments (BPFTRACE_MAX_JOIN_ARGS? bpftrace fixes 16) and bytes each.
    public var joinArgumentCount = 16
    public var joinArgumentSize = 1024
    /// Bytes of the ring buffer events go through (power of two, page multiple).
    public var ringBufferSize = 1 << 22
    /// Entries each map can hold (BPFTRACE_MAP_KEYS_MAX / `max_map_keys`).
    public var maxMapKeys = 4096
    public init() {}
}

/// One BPF program to generate: a probe body and every concrete place it attaches to.
public struct TypedProbe: Sendable {
    public var attachPoints: [ResolvedAttachPoint]
    /// The tracepoint whose record `args` reads, when the body uses `args`.
    public var tracepointFormat: TracepointFormat?
    public var predicate: Expr?
    public var body: Block
    public var range: SourceRange
    /// The probe as written by the user (first attach point), for messages.
    public var displayName: String
    public init(attachPoints: [ResolvedAttachPoint], tracepointFormat: TracepointFormat?, predicate: Expr?,
                body: Block, range: SourceRange, displayName: String) {
        self.attachPoints = attachPoints; self.tracepointFormat = tracepointFormat; self.predicate = predicate
        self.body = body; self.range = range; self.displayName = displayName
    }
}

