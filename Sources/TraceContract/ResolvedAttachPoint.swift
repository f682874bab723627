/// A concrete attach point after wildcard expansion: everything codegen and the runtime need to
/// place one probe, and nothing they would have to look up again.
public enum ResolvedAttachPoint: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    case begin
    case end
    case tracepoint(TracepointID)
    /// `rawtracepoint:NAME`: the tracepoint's own arguments (from BTF), before any record is built.
    case rawTracepoint(name: String)
    /// `kprobe:FN[+OFFSET]`.
    case kprobe(KernelFunction, offset: UInt64)
    case kretprobe(KernelFunction)
    /// `fentry`/`kfunc`: BPF trampoline on function entry, arguments typed from BTF.
    case fentry(KernelFunction)
    case fexit(KernelFunction)
    case uprobe(UserFunction)
    case uretprobe(UserFunction)
    case usdt(USDTTarget)
    /// `profile:UNIT:N`: fires on every CPU.
    case profile(TimerSpec)
    /// `interval:UNIT:N`: fires on one CPU.
    case interval(TimerSpec)
    /// `software:EVENT[:COUNT]` and `hardware:EVENT[:COUNT]`.
    case perfEvent(PerfEventTarget)
    /// `watchpoint:…`/`asyncwatchpoint:…`: a hardware breakpoint (WatchpointTarget.swift).
    case watchpoint(WatchpointTarget)

    /// bpftrace's full probe name, what the `probe` builtin prints:
    /// `tracepoint:syscalls:sys_enter_execve`, `uprobe:/bin/bash:readline`, `interval:ms:100`.
    public var description: String {
        switch self {
        case .begin: return "BEGIN"
        case .end: return "END"
        case .tracepoint(let id): return "tracepoint:\(id.category):\(id.name)"
        case .rawTracepoint(let name): return "rawtracepoint:\(name)"
        case .kprobe(let f, let offset): return "kprobe:\(f)" + (offset == 0 ? "" : "+\(offset)")
        case .kretprobe(let f): return "kretprobe:\(f)"
        // bpftrace 0.17 spells these kfunc/kretfunc and names the module (vmlinux for the kernel).
        case .fentry(let f): return "kfunc:\(f.module ?? "vmlinux"):\(f.name)"
        case .fexit(let f): return "kretfunc:\(f.module ?? "vmlinux"):\(f.name)"
        case .uprobe(let u): return "uprobe:\(u.binary):\(u.location)"
        case .uretprobe(let u): return "uretprobe:\(u.binary):\(u.location)"
        case .usdt(let u): return "usdt:\(u.binary):\(u.provider):\(u.name)"
        case .profile(let t): return "profile:\(t)"
        case .interval(let t): return "interval:\(t)"
        case .perfEvent(let p): return "\(p.kind.rawValue):\(p.name):\(p.count)"
        case .watchpoint(let w): return w.description
        }
    }

    /// What the `func` builtin gives: the traced function's name; nil where there is none.
    public var functionName: String? {
        switch self {
        case .kprobe(let f, _), .kretprobe(let f), .fentry(let f), .fexit(let f): return f.name
        case .uprobe(let u), .uretprobe(let u): return u.symbol
        case .usdt(let u): return u.name
        case .rawTracepoint(let name): return name
        case .tracepoint(let id): return id.name
        default: return nil
        }
    }

    /// The probe type's canonical name, for messages: `uprobe`, `kprobe`, `tracepoint`.
    public var typeName: String {
        switch self {
        case .begin: return "BEGIN"
        case .end: return "END"
        case .tracepoint: return "tracepoint"
        case .rawTracepoint: return "rawtracepoint"
        case .kprobe: return "kprobe"
        case .kretprobe: return "kretprobe"
        case .fentry: return "kfunc"
        case .fexit: return "kretfunc"
        case .uprobe: return "uprobe"
        case .uretprobe: return "uretprobe"
        case .usdt: return "usdt"
        case .profile: return "profile"
        case .interval: return "interval"
        case .perfEvent(let p): return p.kind.rawValue
        case .watchpoint(let w): return w.isAsync ? "asyncwatchpoint" : "watchpoint"
        }
    }
}

/// Where a uprobe goes in a binary: a function symbol plus an offset. libbpf turns the symbol
/// into a file offset at attach time.
public struct UserFunction: Codable, Hashable, Sendable {
    /// The binary's path as resolved (a library name becomes the loader's path for it).
    public var binary: String
    /// The function symbol the probe is in.
    public var symbol: String
    /// Bytes from the symbol's start.
    public var offset: UInt64
    /// The address as written, for `BINARY:ADDRESS` (then `symbol` is the function holding it).
    public var address: UInt64?
    /// Where `symbol + offset` is in the file, resolved when the script is compiled (also for
    /// symbols only a debug file names, and PLT entries, which libbpf cannot find by name).
    /// nil when the compiler could not place it: the runtime then asks libbpf by name.
    public var fileOffset: UInt64?
    public init(binary: String, symbol: String, offset: UInt64 = 0, address: UInt64? = nil, fileOffset: UInt64? = nil) {
        self.binary = binary; self.symbol = symbol; self.offset = offset; self.address = address
        self.fileOffset = fileOffset
    }
    /// `readline`, `readline+4`, `0x1234`: the attach point's last part.
    public var location: String {
        if let address { return "0x" + String(address, radix: 16) }
        return offset == 0 ? symbol : "\(symbol)+\(offset)"
    }
}

/// A USDT probe: every site of `provider:name` in one binary.
public struct USDTTarget: Codable, Hashable, Sendable {
    public var binary: String
    public var provider: String
    public var name: String
    /// Sites of `provider:name` in the binary: libbpf attaches to all of them at once, and
    /// `Attaching N probes` counts each, as bpftrace does.
    public var sites: Int
    public init(binary: String, provider: String, name: String, sites: Int = 1) {
        self.binary = binary; self.provider = provider; self.name = name; self.sites = sites
    }
}

/// `UNIT:N` of an interval or profile probe.
public struct TimerSpec: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Unit: String, Codable, Sendable, CaseIterable { case s, ms, us, hz }
    public var unit: Unit
    public var value: UInt64
    public init(unit: Unit, value: UInt64) { self.unit = unit; self.value = value }
    public var description: String { "\(unit.rawValue):\(value)" }
    /// The period in nanoseconds (for `hz`, one second over the rate, at least 1).
    public var periodNanoseconds: UInt64 {
        switch unit {
        case .s: return value &* 1_000_000_000
        case .ms: return value &* 1_000_000
        case .us: return value &* 1_000
        case .hz: return max(1, 1_000_000_000 / max(value, 1))
        }
    }
}

/// A perf software or hardware event and how many events make one sample.
public struct PerfEventTarget: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable { case software, hardware }
    public var kind: Kind
    /// The name as written (an alias stays an alias): `faults`, `page-faults`.
    public var name: String
    /// `perf_event_attr.config` (`PERF_COUNT_SW_*`, `PERF_COUNT_HW_*`).
    public var config: UInt64
    /// `perf_event_attr.sample_period`.
    public var count: UInt64
    public init(kind: Kind, name: String, config: UInt64, count: UInt64) {
        self.kind = kind; self.name = name; self.config = config; self.count = count
    }
}

/// What the kernel hands a probe's program as its context: it decides which builtins can be
/// read and how. Attach points that share a program share this.
public enum ProbeContext: String, Sendable {
    /// BEGIN/END: run once on demand; nothing about an event to read.
    case none
    /// A tracepoint's record (`args->NAME`, laid out by its tracefs format).
    case tracepointRecord
    /// `struct pt_regs`: kprobes, uprobes and USDT (argument registers, `reg()`).
    case registers
    /// A raw tracepoint's arguments: an array of u64, typed from BTF.
    case rawTracepointArguments
    /// fentry/fexit: the traced function's arguments (and return value) as u64 slots, typed from BTF.
    case btfArguments
    /// `struct bpf_perf_event_data`: profile, interval, software and hardware events; it starts
    /// with the interrupted `pt_regs`.
    case perfEvent
}

extension ResolvedAttachPoint {
    /// The context this attach point's program receives.
    public var programContext: ProbeContext {
        switch self {
        case .begin, .end: return .none
        case .tracepoint: return .tracepointRecord
        case .kprobe, .kretprobe, .uprobe, .uretprobe, .usdt: return .registers
        case .rawTracepoint: return .rawTracepointArguments
        case .fentry, .fexit: return .btfArguments
        case .profile, .interval, .perfEvent, .watchpoint: return .perfEvent
        }
    }
}
