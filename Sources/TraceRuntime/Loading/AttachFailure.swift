import TraceContract
import Glibc
import SystemCatalog

/// One sentence for an attach that failed, naming the kernel feature that is missing when
/// that is the reason (a kernel without kprobes, BPF trampolines refused, no hardware counters),
/// since errno alone ("No such file or directory") would send the user looking for a typo.
enum AttachFailure {
    static func error(for ap: ResolvedAttachPoint, program: ProgramDescriptor, errno code: Int32, log: String) -> RuntimeError {
        switch ap {
        case .kprobe, .kretprobe:
            if !KernelFeatures.hasKprobes {
                return RuntimeError("kprobes are not available on this kernel (CONFIG_KPROBES is off): cannot attach \(ap)", detail: log)
            }
        case .fentry, .fexit:
            if let reason = trampolineRefusal(code) {
                return RuntimeError("fentry/fexit are not available on this kernel (\(reason)): cannot attach \(ap)", detail: log)
            }
        case .uprobe, .uretprobe, .usdt:
            if !KernelFeatures.hasUprobes {
                return RuntimeError("uprobes are not available on this kernel (CONFIG_UPROBES is off): cannot attach \(ap)", detail: log)
            }
        case .tracepoint(let id):
            // A script compiled for another kernel (AOT) may name a tracepoint this one lacks.
            if code == ENOENT {
                return RuntimeError("tracepoint \(id) does not exist on this kernel: cannot attach \(ap) (from \(program.displayName))", detail: log)
            }
        case .rawTracepoint(let name):
            if code == ENOENT {
                return RuntimeError("raw tracepoint \(name) does not exist on this kernel: cannot attach \(ap)", detail: log)
            }
        default:
            break
        }
        return RuntimeError("could not attach probe \(ap) (from \(program.displayName)): \(describe(code))", detail: log)
    }

    /// The sentence for a load the kernel refused because of the probe type rather than the
    /// program: a fentry/fexit program rejected before the verifier ran (no verifier log), as
    /// kernels do whose policy forbids BPF trampolines on kernel functions. Nil otherwise.
    static func loadRefusal(errno code: Int32, log: String, manifest: Manifest) -> RuntimeError? {
        guard !log.contains("-- BEGIN PROG LOAD LOG --") || !log.contains("processed ") else { return nil }
        for program in manifest.programs where log.contains("prog '\(program.name)'") {
            guard let ap = program.attachPoints.first else { continue }
            switch ap {
            case .fentry, .fexit:
                let reason = trampolineRefusal(code) ?? "it refuses to load programs bound to kernel functions: \(describe(code))"
                return RuntimeError("fentry/fexit are not available on this kernel (\(reason)): cannot load \(ap)", detail: log)
            default:
                return nil
            }
        }
        return nil
    }

    /// A perf event that could not be opened.
    static func perfEventError(for ap: ResolvedAttachPoint, program: ProgramDescriptor, errno code: Int32) -> RuntimeError {
        if case .perfEvent(let e) = ap, e.kind == .hardware, code == ENOENT || code == EOPNOTSUPP || code == ENODEV {
            return RuntimeError("hardware events are not available on this machine (no hardware performance counter for \(e.name)): cannot attach \(ap)")
        }
        if code == EACCES || code == EPERM {
            return RuntimeError("could not open a perf event for \(ap): \(describe(code)) (perf_event_paranoid is \(KernelFeatures.perfEventParanoid ?? "unknown"))")
        }
        return RuntimeError("could not open a perf event for \(ap) (from \(program.displayName)): \(describe(code))")
    }

    /// Why the kernel refused a BPF trampoline, when the errno says it is the kernel's doing.
    static func trampolineRefusal(_ code: Int32) -> String? {
        switch code {
        case 524 /* ENOTSUPP, kernel-internal */, EOPNOTSUPP: return "the kernel refuses BPF trampolines"
        case ENODEV: return "the kernel has no BPF trampoline support for this architecture"
        case EBUSY: return "the function's ftrace site is taken by another tracer"
        default: return nil
        }
    }

    /// strerror, plus the kernel-internal codes glibc has no text for.
    static func describe(_ code: Int32) -> String {
        if code == 524 { return "Operation not supported by the kernel (ENOTSUPP)" }
        return String(cString: strerror(code))
    }
}
