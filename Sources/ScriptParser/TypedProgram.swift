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

/// What the command line adds to a script: `$1…$N`, `getopt()` values, and settings from
/// the environment.
public struct FrontEndOptions: Sendable {
    public var positionalArguments: [String] = []
    /// Resolved by `ScriptOptionSet.values(from:)`; an option missing here takes its default.
    public var scriptOptionValues: [String: ScriptOption.Value] = [:]
    public var settings = Settings()
    /// Where `#include`d headers are read from; nil leaves includes unread (tests, fuzzing).
    public var headers: HeaderSearch?
    /// Refuse `while` loops (TypeChecker+Loops.swift) and comparisons of whole values
    /// (TypeChecker+ComparisonCost.swift) the kernel's verifier is sure to refuse. Off only in
    /// tests that show the verifier does refuse them.
    public var refusesWhatTheVerifierRefuses = true
    public init(positionalArguments: [String] = [], settings: Settings = Settings()) {
        self.positionalArguments = positionalArguments
        self.settings = settings
    }
}

/// Limits and defaults a script can change with `config = {…}` or environment variables.
public struct Settings: Sendable, Equatable {
    /// `str()` buffer size and the default for `__data_loc` strings (BPFTRACE_STRLEN), NUL
    /// included. 1024 as in current bpftrace (0.17 had 64): buffers above the BPF stack's
    /// budget live in a per-CPU scratch map (BPFCodegen's IRGen+Scratch.swift).
    public var stringLength = 1024
    /// The longest `max_strlen` accepted: a string must fit the per-CPU scratch map's 32 KiB.
    public static let maxStringLength = 16384
    /// `--unsafe`: `system()`, `signal()` and `override()` may run.
    public var unsafe = false
    /// `join()`: how many arguments (BPFTRACE_MAX_JOIN_ARGS? bpftrace fixes 16) and bytes each.
    public var joinArgumentCount = 16
    public var joinArgumentSize = 1024
    /// Bytes of the ring buffer events go through (power of two, page multiple); nil sizes it
    /// from the program's largest record.
    public var ringBufferSize: Int?
    /// Ring buffer or perf event array (`--transport`; EventTransport.swift).
    public var eventTransport = EventTransport.ringBuffer
    /// Entries each map can hold (BPFTRACE_MAP_KEYS_MAX / `max_map_keys`).
    public var maxMapKeys = 4096
    /// The most bytes `cat()` prints of a file (BPFTRACE_CAT_BYTES_MAX), as bpftrace limits it.
    public var catBytesMax = 10240
    /// Attach points a program may have in all (BPFTRACE_MAX_PROBES): every probe costs kernel
    /// memory and, when tracing stops, an RCU grace period to detach.
    public var maxProbes = 512
    /// `-p PID`: probes fire only in this process (uprobes and USDT attach to it alone).
    public var targetPID: Int32?
    /// `-c CMD` was given, so `cpid` has a value.
    public var hasChildCommand = false
    /// `-k` (1): report BPF helpers that fail at run time, except reads; `-kk` (2): every
    /// helper, map lookups that find nothing included.
    public var helperErrorChecks = 0
    /// The `-p`/`-c` process's executable, as `watchpoint:FUNC+argN` names it.
    public var targetBinary: String?
    /// The files the -p process runs, or the -c command's executable.
    public var targetFiles: [String] = []
    public init() {}

    /// bpftrace sizes its buffers in pages; one ring buffer of a power of two bytes stands in.
    public static func ringBufferBytes(pages: Int) -> Int {
        var bytes = 4096
        while bytes < pages * 4096, bytes < 1 << 30 { bytes <<= 1 }
        return bytes
    }
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
    /// The `while` loops (by where their statement starts) that stay plain loops, for the
    /// verifier to walk: ones the checker sees end after a few iterations (LoopLowering.swift).
    /// Codegen lowers every other one through `bpf_loop`, which the verifier checks without
    /// walking its iterations (BPFCodegen's IRGen+WhileCallback.swift). Nil, with the loop
    /// check off (tests that show what the verifier refuses): every loop stays plain.
    public var plainLoops: Set<Int>?
    /// What the program receives from the kernel (the same for all of its attach points).
    public var context: ProbeContext { attachPoints.first?.programContext ?? .none }
    public init(attachPoints: [ResolvedAttachPoint], tracepointFormat: TracepointFormat?, predicate: Expr?,
                body: Block, range: SourceRange, displayName: String) {
        self.attachPoints = attachPoints; self.tracepointFormat = tracepointFormat; self.predicate = predicate
        self.body = body; self.range = range; self.displayName = displayName
    }
}

