import ScriptParser

/// Everything the runtime needs to attach programs and decode what they send, handed over by
/// codegen with the object. The runtime never re-reads the script.
public struct Manifest: Sendable {
    /// Indexed by event id. Every ring-buffer record starts with a u64 header: the event id in
    /// its low 32 bits, the CPU that sent it in the high 32.
    public var events: [EventDescriptor] = []
    public var programs: [ProgramDescriptor] = []
    /// Name of the BPF ring buffer map records arrive through.
    public var ringBufferMap = "events"
    /// Per-CPU array of one u64: records dropped because the ring buffer was full.
    public var lostEventsMap = "lost_events"
    /// Array map of one u64 the runtime fills with the start time before attaching; nil if unused.
    public var startTimeMap: String?
    public init() {}
}

/// How one event id's record is laid out and printed.
public enum EventDescriptor: Sendable, Equatable {
    /// `printf(fmt, args…)`: one slot per conversion.
    case printf(PrintfFormat, [ArgumentSlot])
    /// `join(argv, sep)`: a u64 count at offset 8, then `argumentCount` slots of `argumentSize` bytes.
    case join(separator: String, argumentCount: Int, argumentSize: Int)
    /// `exit()`: stop tracing.
    case exit
}

/// Where one argument sits in a record and how to read it.
public struct ArgumentSlot: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case signed
        case unsigned
        /// A NUL-terminated string in a buffer of `capacity` bytes (the NUL may be missing when full).
        case string(capacity: Int)
    }
    public var offset: Int
    public var kind: Kind
    public init(offset: Int, kind: Kind) { self.offset = offset; self.kind = kind }
    /// Bytes the slot takes, rounded to 8 so every slot stays aligned.
    public var size: Int {
        switch kind {
        case .signed, .unsigned: return 8
        case .string(let n): return (n + 7) & ~7
        }
    }
}

/// One program in the object and where to attach it.
public struct ProgramDescriptor: Sendable, Equatable {
    /// The function's name in the ELF object (what libbpf's find_program_by_name takes).
    public var name: String
    public var attachPoints: [ResolvedAttachPoint]
    /// The probe as the user wrote it, for messages: `t:syscalls:sys_enter_execve`.
    public var displayName: String
    /// Where the probe is in the script, so load failures point at it.
    public var range: SourceRange
    public init(name: String, attachPoints: [ResolvedAttachPoint], displayName: String, range: SourceRange) {
        self.name = name; self.attachPoints = attachPoints; self.displayName = displayName; self.range = range
    }
}

/// What codegen produces: the BPF ELF object and its manifest.
public struct Artifact: Sendable {
    public var object: [UInt8]
    public var manifest: Manifest
    /// Textual LLVM IR before optimisation, when asked for (`--emit-llvm`).
    public var llvmIR: String?
}
