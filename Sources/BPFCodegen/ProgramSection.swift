import TraceContract
import ScriptParser

/// ELF section names: libbpf infers each program's type (and, for fentry/fexit, the BTF id of
/// the function it is bound to) from its section. The runtime attaches every program itself,
/// so the part after the `/` only matters where libbpf reads it at load time (fentry/fexit).
enum ProgramSection {
    static func name(for ap: ResolvedAttachPoint) -> String {
        switch ap {
        case .begin: return "raw_tp/swtrace_begin"
        case .end: return "raw_tp/swtrace_end"
        case .tracepoint(let id): return "tracepoint/\(id.category)/\(id.name)"
        case .rawTracepoint(let name): return "raw_tp/\(name)"
        // kprobe and uprobe programs are one BPF program type; a group may hold both.
        case .kprobe(let f, _): return "kprobe/\(f.name)"
        case .kretprobe(let f): return "kretprobe/\(f.name)"
        case .uprobe: return "uprobe"
        case .uretprobe: return "uretprobe"
        case .usdt: return "usdt"
        // libbpf looks the function up in vmlinux BTF, then in module BTF, and sets
        // attach_btf_id: the kernel binds an fentry program to its function at load.
        case .fentry(let f): return "fentry/\(f.name)"
        case .fexit(let f): return "fexit/\(f.name)"
        case .profile, .interval, .perfEvent, .watchpoint: return "perf_event"
        }
    }
}
