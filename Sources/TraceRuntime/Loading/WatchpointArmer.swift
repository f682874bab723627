import TraceContract
import CBPF
import Glibc
import SystemCatalog

/// Hardware breakpoints for watchpoint probes: a PERF_TYPE_BREAKPOINT perf event on the
/// watched bytes, whose overflow runs the probe's program.
///
/// `watchpoint:ADDR` breakpoints are set when probes attach (ProbeAttacher). Function
/// watchpoints are set here while tracing, when the function's setup program reports the
/// address (the process waiting in SIGSTOP unless async), and removed by `unwatch(addr)`.
final class WatchpointArmer {
    let object: LoadedObject
    private let cookies: [[UInt64]]
    /// Live breakpoints by watched address, each a perf-event link (which owns its perf fd).
    private var armed: [UInt64: OpaquePointer] = [:]

    /// bpftrace's words when the CPU has no debug register left (x86 has four).
    static let outOfRegisters = "Failed to attach watchpoint probe. You are out of watchpoint registers."

    init(object: LoadedObject) {
        self.object = object
        cookies = object.manifest.programs.map(\.cookies)
    }

    /// The perf event for a breakpoint on `target`'s bytes at `address` in process `pid`
    /// (-1 with a `cpu`: everyone on that CPU, the kernel included). Returns the fd or -errno.
    static func openBreakpoint(_ target: WatchpointTarget, address: UInt64, pid: Int32, cpu: Int32) -> Int32 {
        var attr = perf_event_attr()
        attr.size = UInt32(MemoryLayout<perf_event_attr>.size)
        attr.type = UInt32(PERF_TYPE_BREAKPOINT.rawValue)
        attr.bp_type = target.breakpointType
        // bp_addr and bp_len share unions with config1 and config2.
        attr.config1 = address
        attr.config2 = UInt64(target.length)
        // Every hit is a sample, so the program runs on every access.
        attr.sample_period = 1
        attr.precise_ip = 2
        let fd = swtrace_perf_event_open(&attr, pid, cpu, -1, UInt(PERF_FLAG_FD_CLOEXEC))
        return fd >= 0 ? fd : -errno
    }

    /// A setup program reported `address` in process `pid`: set the breakpoint (once per
    /// address), then let the process go on.
    func arm(program: Int, attachPoint: Int, address: UInt64, pid: Int32) {
        guard program < object.manifest.programs.count,
              attachPoint < object.manifest.programs[program].attachPoints.count,
              case .watchpoint(let target) = object.manifest.programs[program].attachPoints[attachPoint] else { return }
        defer { if !target.isAsync { kill(pid, SIGCONT) } }
        guard armed[address] == nil else { return }
        guard let prog = object.program(named: object.manifest.programs[program].name) else { return }
        let fd = Self.openBreakpoint(target, address: address, pid: pid, cpu: -1)
        guard fd >= 0 else {
            if -fd == ENOSPC {
                fputs(Self.outOfRegisters + "\n", stderr)
            } else {
                fputs("WARNING: could not set \(target.description) at 0x\(String(address, radix: 16)): \(String(cString: strerror(-fd)))\n", stderr)
            }
            return
        }
        var opts = bpf_perf_event_opts()
        opts.sz = MemoryLayout<bpf_perf_event_opts>.size
        opts.bpf_cookie = cookies[program][attachPoint]
        guard let link = bpf_program__attach_perf_event_opts(prog, fd, &opts), libbpf_get_error(UnsafeRawPointer(link)) == 0 else {
            fputs("WARNING: could not attach \(target.description): \(String(cString: strerror(errno)))\n", stderr)
            close(fd)
            return
        }
        armed[address] = link
    }

    /// `unwatch(addr)`: the breakpoint on `address` goes away (nothing happens if none is set).
    func unwatch(address: UInt64) {
        if let link = armed.removeValue(forKey: address) { bpf_link__destroy(link) }
    }

    func releaseAll() {
        for link in armed.values { bpf_link__destroy(link) }
        armed.removeAll()
    }
}
