import TraceContract
import CBPF
import Glibc
import SystemCatalog

/// Attaches each program to its concrete attach points through libbpf; BEGIN and END are run,
/// not attached. Every attach point gets the cookie the manifest assigns it, so a program shared by
/// many attach points can tell which one fired. Perf-event probes are in
/// `ProbeAttacher+PerfEvents.swift`, failure messages in `AttachFailure.swift`.
struct ProbeAttacher {
    let object: LoadedObject
    /// `-p PID`: uprobes and USDT attach to this process only.
    var targetPID: Int32?
    /// The -p/-c process, where `watchpoint:ADDR` breakpoints go (nil: every CPU, kernel too).
    var breakpointPID: Int32?

    init(object: LoadedObject, targetPID: Int32? = nil) {
        self.object = object
        self.targetPID = targetPID
    }

    /// Attaches every probe except BEGIN/END; returns how many attach points are live.
    func attachAll() throws -> Int {
        try storeProbeStrings()
        var count = 0
        // User probes last program first: the kernel runs the uprobes on one address newest
        // first, so they run in script order, as with bpftrace. (Tracepoints run oldest first.)
        let isUserProbe: (ProgramDescriptor) -> Bool = { program in
            switch program.attachPoints.first {
            case .uprobe?, .uretprobe?, .usdt?: return true
            default: return false
            }
        }
        let programs = object.manifest.programs
        let ordered = programs.filter { !isUserProbe($0) } + programs.filter { isUserProbe($0) }.reversed()
        for program in ordered {
            guard let prog = object.program(named: program.name) else {
                throw RuntimeError("internal error: program \(program.name) is missing from the object")
            }
            for (ap, cookie) in zip(program.attachPoints, program.cookies) {
                // Set while tracing, once the function gives the address (WatchpointArmer).
                if case .watchpoint(let target) = ap, target.function != nil { continue }
                try attach(prog, ap, cookie: cookie, program)
                // A USDT marker inlined at several sites is attached at each: bpftrace counts them.
                if case .usdt(let target) = ap { count += max(1, target.sites) } else { count += 1 }
            }
        }
        return count
    }

    private func attach(_ prog: OpaquePointer, _ ap: ResolvedAttachPoint, cookie: UInt64,
                        _ program: ProgramDescriptor) throws {
        switch ap {
        case .begin, .end:
            return
        case .tracepoint(let id):
            var opts = bpf_tracepoint_opts()
            opts.sz = MemoryLayout<bpf_tracepoint_opts>.size
            opts.bpf_cookie = cookie
            try adopt(bpf_program__attach_tracepoint_opts(prog, id.category, id.name, &opts), ap, program)
        case .rawTracepoint(let name):
            // No cookie here before libbpf 1.5: programs that need one are split per tracepoint.
            try adopt(bpf_program__attach_raw_tracepoint(prog, name), ap, program)
        case .kprobe(let f, let offset):
            try attachKprobe(prog, f, offset: offset, isReturn: false, cookie: cookie, ap, program)
        case .kretprobe(let f):
            try attachKprobe(prog, f, offset: 0, isReturn: true, cookie: cookie, ap, program)
        case .fentry, .fexit:
            // The program was bound to its function when loaded (section fentry/FN).
            var opts = bpf_trace_opts()
            opts.sz = MemoryLayout<bpf_trace_opts>.size
            opts.cookie = cookie
            try adopt(bpf_program__attach_trace_opts(prog, &opts), ap, program)
        case .uprobe(let u) where WatchpointSetup.isSetupProgram(program):
            // Only the traced process stops for its watchpoints (with -c too).
            try attachUprobe(prog, u, isReturn: false, cookie: cookie, ap, program, pid: breakpointPID)
        case .uprobe(let u):
            try attachUprobe(prog, u, isReturn: false, cookie: cookie, ap, program)
        case .uretprobe(let u):
            try attachUprobe(prog, u, isReturn: true, cookie: cookie, ap, program)
        case .usdt(let u):
            var opts = bpf_usdt_opts()
            opts.sz = MemoryLayout<bpf_usdt_opts>.size
            // libbpf keeps the BPF cookie for its spec id and hands ours over in the spec.
            opts.usdt_cookie = cookie
            try adopt(bpf_program__attach_usdt(prog, targetPID ?? -1, u.binary, u.provider, u.name, &opts), ap, program)
        case .profile(let timer):
            try attachPerfEvent(prog, .profile(timer), cpus: .all, cookie: cookie, ap, program)
        case .interval(let timer):
            try attachPerfEvent(prog, .interval(timer), cpus: .first, cookie: cookie, ap, program)
        case .perfEvent(let event):
            try attachPerfEvent(prog, .event(event), cpus: .all, cookie: cookie, ap, program)
        case .watchpoint(let target):
            try attachBreakpoint(prog, target, cookie: cookie, ap, program)
        }
    }

    private func attachKprobe(_ prog: OpaquePointer, _ f: KernelFunction, offset: UInt64, isReturn: Bool,
                              cookie: UInt64, _ ap: ResolvedAttachPoint, _ program: ProgramDescriptor) throws {
        var opts = bpf_kprobe_opts()
        opts.sz = MemoryLayout<bpf_kprobe_opts>.size
        opts.bpf_cookie = cookie
        opts.offset = Int(offset)
        opts.retprobe = isReturn
        // The kernel resolves module functions by their bare name too; `MOD:FN` is only
        // understood by tracefs kprobe_events, not by the perf kprobe PMU libbpf uses.
        try adopt(bpf_program__attach_kprobe_opts(prog, f.name, &opts), ap, program)
    }

    private func attachUprobe(_ prog: OpaquePointer, _ u: UserFunction, isReturn: Bool, cookie: UInt64,
                              _ ap: ResolvedAttachPoint, _ program: ProgramDescriptor, pid: Int32? = nil) throws {
        let pid = pid ?? targetPID
        var opts = bpf_uprobe_opts()
        opts.sz = MemoryLayout<bpf_uprobe_opts>.size
        opts.bpf_cookie = cookie
        opts.retprobe = isReturn
        // The compiler resolved the file offset (the manifest carries it); without one, libbpf
        // looks the symbol up by name.
        let link: OpaquePointer?
        if let fileOffset = u.fileOffset {
            link = bpf_program__attach_uprobe_opts(prog, pid ?? -1, u.binary, Int(fileOffset), &opts)
        } else {
            link = u.symbol.withCString { symbol -> OpaquePointer? in
                opts.func_name = symbol
                return bpf_program__attach_uprobe_opts(prog, pid ?? -1, u.binary, Int(u.offset), &opts)
            }
        }
        try adopt(link, ap, program)
    }

    /// Keeps the link, or throws one sentence about the failure.
    func adopt(_ link: OpaquePointer?, _ ap: ResolvedAttachPoint, _ program: ProgramDescriptor) throws {
        let err = link.map { libbpf_get_error(UnsafeRawPointer($0)) } ?? Int(-errno)
        guard let link, err == 0 else {
            let code = Int32(truncatingIfNeeded: -err)
            throw AttachFailure.error(for: ap, program: program, errno: code, log: LibbpfLog.take())
        }
        object.adopt(link: link)
    }

    /// Fills `probe_strings` (when a program reads `probe`/`func` through cookies).
    private func storeProbeStrings() throws {
        guard let table = object.manifest.probeStrings, let fd = object.mapFD(table.map) else { return }
        let slot = table.slotSize
        for entry in table.entries {
            let text = entry.text
            var k = entry.key
            var value = [UInt8](repeating: 0, count: slot)
            for (i, b) in text.utf8.prefix(slot - 1).enumerated() { value[i] = b }
            guard bpf_map_update_elem(fd, &k, &value, 0) == 0 else {
                throw RuntimeError("could not store probe names: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Runs the BEGIN or END programs once, in script order, through BPF_PROG_TEST_RUN.
    func run(_ which: ResolvedAttachPoint) throws {
        for program in object.manifest.programs where program.attachPoints.contains(which) {
            guard let prog = object.program(named: program.name) else { continue }
            var opts = bpf_test_run_opts()
            opts.sz = MemoryLayout<bpf_test_run_opts>.size
            // A raw tracepoint program takes an array of u64 arguments; give it one, zeroed.
            var args: [UInt64] = [0]
            let rc = args.withUnsafeMutableBytes { buf -> Int32 in
                opts.ctx_in = UnsafeRawPointer(buf.baseAddress)
                opts.ctx_size_in = UInt32(buf.count)
                return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts)
            }
            if rc != 0 {
                throw RuntimeError("could not run \(program.displayName): \(String(cString: strerror(errno)))")
            }
        }
    }
}
