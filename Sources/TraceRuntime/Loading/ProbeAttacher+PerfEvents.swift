import TraceContract
import CBPF
import Glibc
import SystemCatalog

/// Probes driven by perf events: timers (profile on every CPU, interval on one) and the
/// software and hardware events. Each CPU gets a perf event whose overflow runs the program.
extension ProbeAttacher {
    enum PerfSource {
        case profile(TimerSpec)
        case interval(TimerSpec)
        case event(PerfEventTarget)
    }

    enum CPUSelection { case all, first }

    func attachPerfEvent(_ prog: OpaquePointer, _ source: PerfSource, cpus: CPUSelection, cookie: UInt64,
                         _ ap: ResolvedAttachPoint, _ program: ProgramDescriptor) throws {
        var attr = perf_event_attr()
        attr.size = UInt32(MemoryLayout<perf_event_attr>.size)
        switch source {
        case .profile(let t), .interval(let t):
            attr.type = UInt32(PERF_TYPE_SOFTWARE.rawValue)
            attr.config = UInt64(PERF_COUNT_SW_CPU_CLOCK.rawValue)
            if t.unit == .hz {
                // A rate: let the kernel adjust the period to hit it, as perf record -F does.
                attr.freq = 1
                attr.sample_freq = t.value
            } else {
                attr.sample_period = t.periodNanoseconds
            }
        case .event(let e):
            attr.type = UInt32(e.kind == .software ? PERF_TYPE_SOFTWARE.rawValue : PERF_TYPE_HARDWARE.rawValue)
            attr.config = e.config
            attr.sample_period = e.count
        }
        let cpuList = cpus == .first ? [0] : KernelFeatures.onlineCPUs()
        var opened = 0
        for cpu in cpuList {
            let fd = swtrace_perf_event_open(&attr, -1, Int32(cpu), -1, UInt(PERF_FLAG_FD_CLOEXEC))
            guard fd >= 0 else {
                let code = errno
                // A CPU that went offline since the list was read.
                if code == ENODEV, cpus == .all { continue }
                throw AttachFailure.perfEventError(for: ap, program: program, errno: code)
            }
            object.adopt(perfEventFD: fd)
            var opts = bpf_perf_event_opts()
            opts.sz = MemoryLayout<bpf_perf_event_opts>.size
            opts.bpf_cookie = cookie
            try adopt(bpf_program__attach_perf_event_opts(prog, fd, &opts), ap, program)
            opened += 1
        }
        if opened == 0 { throw AttachFailure.perfEventError(for: ap, program: program, errno: ENODEV) }
    }

    /// `watchpoint:ADDR`: in the -p/-c process, else on every CPU.
    func attachBreakpoint(_ prog: OpaquePointer, _ target: WatchpointTarget, cookie: UInt64,
                          _ ap: ResolvedAttachPoint, _ program: ProgramDescriptor) throws {
        let places: [(pid: Int32, cpu: Int32)]
        if let pid = breakpointPID {
            places = [(pid, -1)]
        } else {
            places = KernelFeatures.onlineCPUs().map { (Int32(-1), Int32($0)) }
        }
        for place in places {
            let fd = WatchpointArmer.openBreakpoint(target, address: target.address ?? 0, pid: place.pid, cpu: place.cpu)
            guard fd >= 0 else {
                if -fd == ENOSPC { throw RuntimeError(WatchpointArmer.outOfRegisters) }
                throw AttachFailure.perfEventError(for: ap, program: program, errno: -fd)
            }
            object.adopt(perfEventFD: fd)
            var opts = bpf_perf_event_opts()
            opts.sz = MemoryLayout<bpf_perf_event_opts>.size
            opts.bpf_cookie = cookie
            try adopt(bpf_program__attach_perf_event_opts(prog, fd, &opts), ap, program)
        }
    }
}
