import ScriptParser

/// ELF section names: libbpf infers each program's type from its section.
enum ProgramSection {
    static func name(for ap: ResolvedAttachPoint) -> String {
        switch ap {
        case .begin: return "raw_tp/swtrace_begin"
        case .end: return "raw_tp/swtrace_end"
        case .tracepoint(let id): return "tracepoint/\(id.category)/\(id.name)"
        case .interval: return "perf_event"
        }
    }
}
