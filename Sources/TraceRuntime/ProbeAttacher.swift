import BPFCodegen
import CBPF
import Glibc
import ScriptParser

/// Attaches each program to its concrete attach points; BEGIN and END are run, not attached.
struct ProbeAttacher {
    let object: LoadedObject

    /// Attaches every probe except BEGIN/END; returns how many attach points are live.
    func attachAll() throws -> Int {
        var count = 0
        for program in object.manifest.programs {
            guard let prog = object.program(named: program.name) else {
                throw RuntimeError("internal error: program \(program.name) is missing from the object")
            }
            for ap in program.attachPoints {
                switch ap {
                case .begin, .end:
                    count += 1
                case .tracepoint(let id):
                    let link = bpf_program__attach_tracepoint(prog, id.category, id.name)
                    try adopt(link, ap, program)
                    count += 1
                case .interval(let ns):
                    try attachInterval(prog, nanoseconds: ns, program)
                    count += 1
                }
            }
        }
        return count
    }

    private func adopt(_ link: OpaquePointer?, _ ap: ResolvedAttachPoint, _ program: ProgramDescriptor) throws {
        let err = link.map { libbpf_get_error(UnsafeRawPointer($0)) } ?? Int(-errno)
        guard let link, err == 0 else {
            let code = Int32(truncatingIfNeeded: -err)
            throw RuntimeError("could not attach probe \(ap) (from \(program.displayName)): \(String(cString: strerror(code)))",
                               detail: LibbpfLog.take())
        }
        object.adopt(link: link)
    }

    /// A cpu-clock software event on CPU 0 whose overflow runs the program every `nanoseconds`.
    private func attachInterval(_ prog: OpaquePointer, nanoseconds: UInt64, _ program: ProgramDescriptor) throws {
        var attr = perf_event_attr()
        attr.type = UInt32(PERF_TYPE_SOFTWARE.rawValue)
        attr.size = UInt32(MemoryLayout<perf_event_attr>.size)
        attr.config = UInt64(PERF_COUNT_SW_CPU_CLOCK.rawValue)
        attr.sample_period = nanoseconds
        let fd = swtrace_perf_event_open(&attr, -1, 0, -1, UInt(PERF_FLAG_FD_CLOEXEC))
        guard fd >= 0 else {
            throw RuntimeError("could not open a perf event for \(program.displayName): \(String(cString: strerror(errno)))")
        }
        object.adopt(perfEventFD: fd)
        let link = bpf_program__attach_perf_event(prog, fd)
        try adopt(link, .interval(nanoseconds: nanoseconds), program)
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
