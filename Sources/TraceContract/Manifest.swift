
/// Everything the runtime needs to attach programs and decode what they send, handed over by
/// codegen with the object. The runtime never re-reads the script.
public struct Manifest: Codable, Sendable, Equatable {
    /// The script, for messages that point into it (load failures, the verifier's line).
    public var script = ScriptText(name: "", text: "")
    /// Indexed by event id. Every ring-buffer record starts with a u64 header: the event id in
    /// its low 32 bits, the CPU that sent it in the high 32.
    public var events: [EventDescriptor] = []
    public var programs: [ProgramDescriptor] = []
    /// Every script map, in order of first use: what exit-time printing walks.
    public var maps: [MapDescriptor] = []
    /// Name of the map records arrive through: a BPF ring buffer, or a perf event array.
    public var ringBufferMap = "events"
    /// Which of the two `ringBufferMap` is; the runtime reads it with the matching libbpf API.
    public var eventTransport = EventTransport.ringBuffer
    /// Perf event array: pages of each CPU's buffer (a power of two, as the kernel requires).
    public var perfBufferPages = 64
    /// Per-CPU array of u64 loss counters (see `LossCounters`).
    public var lossCounters = LossCounters()
    /// Array map of one u64 the runtime fills with the start time before attaching; nil if unused.
    public var startTimeMap: String?
    /// Array map of one u64 the runtime sets to stop every probe but BEGIN/END at entry (so
    /// that maps stop changing before they are printed); nil when there are no such probes.
    public var stopFlagMap: String?
    /// Entries each map holds, for the "map full" warning.
    public var maxMapKeys = 4096
    /// The `probe`/`func` strings of attach points that share a program, which the runtime
    /// stores before attaching; nil when no program reads them.
    public var probeStrings: ProbeStringTable?
    /// Array map of one u64 the runtime fills with the `-c` child's pid; nil when `cpid` is unused.
    public var childPIDMap: String?
    /// Stack-trace maps by frame limit, which `kstack`/`ustack` values index by stack id.
    public var stackMaps: [StackMapDescriptor] = []
    /// Arrays with one entry per possible CPU (scratch space past the per-CPU value limit):
    /// created with as many entries as the machine running the trace has possible CPUs.
    public var perCPUIndexedMaps: [String] = []
    /// The most bytes `cat()` prints of a file.
    public var catBytesMax = 10240
    public init() {}

    public func stackMap(limit: Int) -> String? { stackMaps.first { $0.limit == limit }?.name }
}

/// The script's name and text as the user gave them.
public struct ScriptText: Codable, Sendable, Equatable {
    public var name: String
    public var text: String
    public init(name: String, text: String) { self.name = name; self.text = text }
}

/// Where the programs count what they could not deliver. Never silent: the runtime reports both.
public struct LossCounters: Codable, Sendable, Equatable {
    /// A per-CPU array map of u64 counters.
    public var map = "lost_events"
    /// Records the ring buffer (or perf buffer) refused because it was full.
    public var bufferFullSlot: UInt32 = 0
    /// Map updates refused because the map was full.
    public var mapFullSlot: UInt32 = 1
    /// Records `bpf_perf_event_output` refused. The kernel also reports them to libbpf's lost
    /// callback, but only once a later record fits in that CPU's buffer, so the runtime takes
    /// the larger of the two counts rather than their sum.
    public var perfFullSlot: UInt32 = 2
    /// Runs of a `while` loop lowered through `bpf_loop` that the helper's iteration cap ended
    /// (BPFCodegen's IRGen+WhileCallback.swift): not a lost event, but never silent either.
    public var loopCapSlot: UInt32 = 3
    /// Slots in the map.
    public static let count = 4
    public init() {}
}

/// `probe_strings`: key `2 * cookie` holds the attach point's `probe` text, `2 * cookie + 1` its
/// `func`, each NUL-terminated in `slotSize` bytes.
public struct ProbeStringTable: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var key: UInt32
        public var text: String
        public init(key: UInt32, text: String) { self.key = key; self.text = text }
    }
    public var map: String
    public var slotSize: Int
    public var entries: [Entry]
    public init(map: String, slotSize: Int, entries: [Entry]) {
        self.map = map; self.slotSize = slotSize; self.entries = entries
    }
}

/// A `BPF_MAP_TYPE_STACK_TRACE` map holding stacks of up to `limit` frames.
public struct StackMapDescriptor: Codable, Sendable, Equatable {
    public var limit: Int
    public var name: String
    public init(limit: Int, name: String) { self.limit = limit; self.name = name }
}

/// How one event id's record is laid out and printed.
public enum EventDescriptor: Codable, Sendable, Equatable {
    /// `printf(fmt, args…)`: one slot per conversion.
    case printf(PrintfFormat, [ArgumentSlot])
    /// `join(argv, sep)`: a u64 count at offset 8, then `argumentCount` slots of `argumentSize` bytes.
    case join(separator: String, argumentCount: Int, argumentSize: Int)
    /// `exit()`: stop tracing. `exit(code)` sends a 16-byte record, the exit status at offset 8.
    case exit
    /// `time(fmt)`: the local time now, through `strftime(fmt)`.
    case time(format: String)
    /// `cat(fmt, args…)`: print the file whose path the format gives.
    case cat(PrintfFormat, [ArgumentSlot])
    /// `system(fmt, args…)`: run the command the format gives, print what it prints.
    case system(PrintfFormat, [ArgumentSlot])
    /// `print(@m, top, divisor)`: index into `Manifest.maps`; 0 means no top / no divisor.
    case printMap(map: Int, top: Int, divisor: UInt64)
    /// `clear(@m)`: delete every entry.
    case clearMap(map: Int)
    /// `zero(@m)`: keep the keys, zero the values.
    case zeroMap(map: Int)
    /// `print(value)`: one value at offset 8.
    case printValue(ArgumentSlot)
    /// `-k`: a helper failed where the script's bytes `start..<end` called it; its return
    /// code (negative errno, or 0 for a lookup that found nothing) at offset 8.
    case helperError(helper: String, start: Int, end: Int)
    /// `watchpoint:FUNC+argN` was reached: set the breakpoint of `manifest.programs[program]`'s
    /// attach point `attachPoint` at the address at offset 8, in the process at offset 16.
    case watchpointArm(program: Int, attachPoint: Int)
    /// `unwatch(addr)`: remove the breakpoints on the address at offset 8.
    case unwatch
}

/// A script map as it lives in the kernel: where, and how its keys and values are laid out.
public struct MapDescriptor: Codable, Sendable, Equatable {
    /// The map's name in the ELF object (`m0`, `m1`, …; kernel map names are short).
    public var elfName: String
    public var info: MapInfo
    /// Key parts, each 8-byte aligned; a map without keys has one zero u64 key.
    public var keySlots: [ArgumentSlot]
    public var keySize: Int
    /// Bytes of one value (per CPU for aggregations).
    public var valueSize: Int
    /// Aggregations live in per-CPU maps and are combined in user space.
    public var perCPU: Bool
    /// A keyless aggregation kept in a one-slot per-CPU array: lookups never miss and the
    /// verifier inlines them. An all-zero value means the map was never updated.
    public var isArray: Bool {
        guard perCPU, info.keyTypes.isEmpty else { return false }
        // sum(0) leaves a zero value that still counts as an entry; it stays a hash.
        if case .sum = info.value { return false }
        return true
    }
    public var scriptName: String { info.displayName }
    /// The key expressions of the map's first use as written (`comm`, `args->filename`).
    public var keyExpressions: [String] = []
    /// The label each key gets in metrics, from what its expression names; nil: `key0`, `key1`, ….
    public var keyNames: [String?] = []
    /// 1-based line of the map's first use, for metric help text.
    public var sourceLine = 0

    public init(elfName: String, info: MapInfo, keySlots: [ArgumentSlot], keySize: Int, valueSize: Int, perCPU: Bool) {
        self.elfName = elfName; self.info = info; self.keySlots = keySlots; self.keySize = keySize
        self.valueSize = valueSize; self.perCPU = perCPU
    }

    /// Buckets of a hist (66: negatives, zero, then powers of two) or lhist: one below min,
    /// (max - min) / step whole steps, and one for the rest. As in bpftrace, the part of the
    /// range a whole step does not cover counts with max and above (lhist(25, 0, 30, 20) prints
    /// under `[30, ...)`).
    public static func bucketCount(_ v: MapValueType) -> Int {
        switch v {
        case .hist: return 66
        case .lhist(let lo, let hi, let step):
            return Int((hi - lo) / step) + 2
        default: return 0
        }
    }

    /// The layout codegen and the runtime agree on for each value type.
    public static func layout(for info: MapInfo) -> (keySlots: [ArgumentSlot], keySize: Int, valueSize: Int, perCPU: Bool) {
        var slots: [ArgumentSlot] = []
        var offset = 0
        for t in info.keyTypes {
            let slot = ArgumentSlot.of(t, at: offset)
            slots.append(slot)
            offset += slot.size
        }
        var keySize = max(8, offset)
        if info.keyTypes.isEmpty, info.value.isAggregation, info.value != .sum(signed: true), info.value != .sum(signed: false) {
            keySize = 4  // the array index
        }
        let valueSize: Int
        switch info.value {
        case .count, .sum: valueSize = 8
        case .min, .max, .avg, .stats: valueSize = 16
        case .hist, .lhist: valueSize = 8 * bucketCount(info.value)
        case .plain(let t): valueSize = max(8, (t.size + 7) & ~7)
        }
        return (slots, keySize, valueSize, info.value.isAggregation)
    }
}

/// Where one argument sits in a record and how to read it.
public struct ArgumentSlot: Codable, Sendable, Equatable {
    public enum Kind: Codable, Sendable, Equatable {
        case signed
        case unsigned
        /// A NUL-terminated string in a buffer of `capacity` bytes (the NUL may be missing when full).
        case string(capacity: Int)
        /// A tuple: its elements' slots, offsets relative to the tuple's start.
        indirect case tuple([ArgumentSlot])
        /// Raw data user space renders as text: a stack, a symbol, a timestamp, …
        case rendered(Rendering)
    }

    /// The slot for a value of type `t` at `offset`.
    public static func of(_ t: SType, at offset: Int) -> ArgumentSlot {
        switch t {
        case .string(let n): return ArgumentSlot(offset: offset, kind: .string(capacity: n))
        case .tuple(let ts):
            let offsets = t.tupleOffsets
            return ArgumentSlot(offset: offset, kind: .tuple(zip(ts, offsets).map { of($0, at: $1) }))
        case .rendered(let r): return ArgumentSlot(offset: offset, kind: .rendered(r))
        default: return ArgumentSlot(offset: offset, kind: t.isSigned ? .signed : .unsigned)
        }
    }
    public var offset: Int
    public var kind: Kind
    public init(offset: Int, kind: Kind) { self.offset = offset; self.kind = kind }
    /// Bytes the slot takes, rounded to 8 so every slot stays aligned.
    public var size: Int {
        switch kind {
        case .signed, .unsigned: return 8
        case .string(let n): return (n + 7) & ~7
        case .tuple(let slots): return slots.reduce(0) { $0 + $1.size }
        case .rendered(let r): return r.size
        }
    }
}

/// One program in the object and where to attach it.
public struct ProgramDescriptor: Codable, Sendable, Equatable {
    /// The function's name in the ELF object (what libbpf's find_program_by_name takes).
    public var name: String
    public var attachPoints: [ResolvedAttachPoint]
    /// The BPF cookie each attach point is attached with, in `attachPoints` order: the
    /// program reads it back to tell them apart (`probe`, `func`).
    public var cookies: [UInt64]
    /// The probe as the user wrote it, for messages: `t:syscalls:sys_enter_execve`.
    public var displayName: String
    /// Where the probe is in the script, so load failures point at it.
    public var range: SourceRange
    public init(name: String, attachPoints: [ResolvedAttachPoint], cookies: [UInt64], displayName: String, range: SourceRange) {
        self.name = name; self.attachPoints = attachPoints; self.cookies = cookies
        self.displayName = displayName; self.range = range
    }
}

/// A compiled trace: the BPF ELF object and its manifest, all a runtime needs (what an AOT
/// executable embeds).
public struct CompiledTrace: Codable, Sendable {
    public var object: [UInt8]
    public var manifest: Manifest
    public init(object: [UInt8], manifest: Manifest) { self.object = object; self.manifest = manifest }
}
