import TraceContract
import CBPF
import Glibc
import SystemCatalog

/// A BPF object opened from memory and loaded into the kernel, with every link attached to it.
/// `deinit` destroys the links and closes the object, which releases every program and map.
public final class LoadedObject {
    let object: OpaquePointer
    let manifest: Manifest
    private(set) var links: [OpaquePointer] = []
    private(set) var perfEventFDs: [Int32] = []
    /// The object bytes must outlive `bpf_object__open_mem`'s parsing; libbpf copies what it keeps.
    private let bytes: [UInt8]
    /// The verifier's log for a program that fails to load: a buffer of our own, so libbpf
    /// asks for the log once. With its own buffer it retries at 16, 32, 64 … MiB while the log
    /// does not fit, verifying again each time: a program the verifier gives up on after a
    /// million instructions took a minute and 140 MB of log to refuse. The kernel keeps the
    /// log's tail, where the reason is.
    private static let kernelLogSize = 1 << 20
    private let kernelLog = UnsafeMutablePointer<CChar>.allocate(capacity: LoadedObject.kernelLogSize)

    /// Opens and loads (verifier included). Throws one sentence naming the probe that failed.
    /// `withoutTrampolines` leaves fentry/fexit programs out (`--dry-run` on a kernel that
    /// refuses them still verifies the rest).
    public init(trace: CompiledTrace, relocation: Relocation = .objectBTF, withoutTrampolines: Bool = false) throws {
        LibbpfLog.install()
        let bytes = trace.object
        self.bytes = bytes
        manifest = trace.manifest
        var opts = bpf_object_open_opts()
        opts.sz = MemoryLayout<bpf_object_open_opts>.size
        let name = "swtrace"
        // CO-RE relocations are resolved against the object's own BTF when it was compiled
        // here (see `Relocation`); objects written with --emit-elf or --aot relocate against
        // the kernel they run on.
        let ownBTF = relocation == .objectBTF ? Self.memoryFile(bytes) : nil
        defer { if let fd = ownBTF { close(fd) } }
        let btfPath = ownBTF.map { "/proc/self/fd/\($0)" }
        kernelLog[0] = 0
        opts.kernel_log_buf = kernelLog
        opts.kernel_log_size = Self.kernelLogSize
        let obj: OpaquePointer? = name.withCString { cname in
            opts.object_name = cname
            return Self.withOptionalCString(btfPath) { path in
                opts.btf_custom_path = path
                return bytes.withUnsafeBytes { buf in bpf_object__open_mem(buf.baseAddress, buf.count, &opts) }
            }
        }
        guard let obj, libbpf_get_error(UnsafeRawPointer(obj)) == 0 else {
            kernelLog.deallocate()
            throw RuntimeError("libbpf could not open the generated BPF object", detail: LibbpfLog.take())
        }
        object = obj
        _ = LibbpfLog.take()
        if withoutTrampolines {
            for program in trace.manifest.programs {
                switch program.attachPoints.first {
                case .fentry?, .fexit?:
                    if let prog = bpf_object__find_program_by_name(obj, program.name) { bpf_program__set_autoload(prog, false) }
                default:
                    break
                }
            }
        }
        let cpus = libbpf_num_possible_cpus()
        for name in trace.manifest.perCPUIndexedMaps where cpus > 0 {
            if let map = bpf_object__find_map_by_name(obj, name) { bpf_map__set_max_entries(map, UInt32(cpus)) }
        }
        let rc = bpf_object__load(obj)
        if rc != 0 {
            // libbpf prints the log only from a buffer it owns; ours is framed the same way.
            var log = LibbpfLog.take()
            let verifierLog = String(cString: kernelLog)
            if !verifierLog.isEmpty, !log.contains("-- BEGIN PROG LOAD LOG --") {
                let framed = "libbpf: -- BEGIN PROG LOAD LOG --\n\(verifierLog)\(verifierLog.hasSuffix("\n") ? "" : "\n")-- END PROG LOAD LOG --\n"
                if LibbpfLog.echo { fputs(framed, stderr) }
                log += framed
            }
            // Every property is set, so throwing runs deinit, which closes the object.
            throw Self.loadError(rc: rc, log: log, manifest: trace.manifest)
        }
    }

    deinit {
        detachAll()
        bpf_object__close(object)
        kernelLog.deallocate()
    }

    /// The object's bytes in an anonymous memory file, or nil when the kernel has no memfd
    /// (then libbpf relocates against vmlinux as usual).
    static func memoryFile(_ bytes: [UInt8]) -> Int32? {
        let fd = swtrace_memfd("swtrace-btf")
        guard fd >= 0 else { return nil }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            close(fd)
            return nil
        }
        return fd
    }

    static func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let s else { return body(nil) }
        return s.withCString { body($0) }
    }

    /// Destroys every link and perf event; programs and maps stay until the object closes.
    public func detachAll() {
        for link in links { bpf_link__destroy(link) }
        links.removeAll()
        for fd in perfEventFDs { close(fd) }
        perfEventFDs.removeAll()
    }

    func program(named name: String) -> OpaquePointer? {
        bpf_object__find_program_by_name(object, name)
    }

    func mapFD(_ name: String) -> Int32? {
        guard let map = bpf_object__find_map_by_name(object, name) else { return nil }
        let fd = bpf_map__fd(map)
        return fd >= 0 ? fd : nil
    }

    func adopt(link: OpaquePointer) { links.append(link) }
    func adopt(perfEventFD: Int32) { perfEventFDs.append(perfEventFD) }

    /// Turns libbpf's load failure into one sentence tied to the probe and script line.
    static func loadError(rc: Int32, log: String, manifest: Manifest) -> RuntimeError {
        let errno = -rc
        // A kernel that refuses a probe type (fentry here) is not a permission problem.
        if let refusal = AttachFailure.loadRefusal(errno: errno, log: log, manifest: manifest) { return refusal }
        if let missing = missingKernelType(log) {
            return RuntimeError("this kernel's types do not have \(missing), which the script reads (it was compiled against another kernel's BTF)",
                                detail: log)
        }
        if errno == EPERM || errno == EACCES, !log.contains("-- BEGIN PROG LOAD LOG --") {
            return RuntimeError("swtrace needs root (CAP_BPF and CAP_PERFMON) to load BPF programs: \(String(cString: strerror(errno)))",
                                detail: log)
        }
        // libbpf names the failing program: "prog 'probe_3': BPF program load failed".
        var probe: ProgramDescriptor?
        for p in manifest.programs where log.contains("prog '\(p.name)'") {
            probe = p
            break
        }
        let reason = verifierReason(log)
        guard let probe else {
            return RuntimeError("the kernel refused to load the BPF object: \(reason ?? String(cString: strerror(errno)))",
                                detail: log)
        }
        // Line info in the log ("; $i++; @ loop.st:5") says which statement was being checked.
        let source = SourceFile(name: manifest.script.name, text: manifest.script.text)
        let (probeLine, probeColumn) = source.location(of: probe.range.start)
        let place = scriptLine(log, header: probeLine).map { "\(source.name):\($0)" } ?? "\(source.name):\(probeLine):\(probeColumn)"
        var message = "the kernel's BPF verifier rejected probe \(probe.displayName) at \(place): "
        if let reason {
            // The cause in the script's terms first; the verifier's own words after it.
            message += VerifierCause.explain(reason).map { "\($0) (verifier: \(reason))" } ?? reason
        } else {
            message += "the verifier log was cut short, which happens when a program is too complex to verify (a loop with too many iterations?)"
        }
        message += " (run with -v for the verifier log)"
        return RuntimeError(message, detail: log)
    }

    /// The verifier's log, without libbpf's own lines (which may be glued onto a log line).
    static func verifierLines(_ log: String) -> [String] {
        guard let begin = log.firstRange(of: "-- BEGIN PROG LOAD LOG --") else { return [] }
        var lines: [String] = []
        for raw in log[begin.upperBound...].split(separator: "\n") {
            var line = Substring(raw)
            if let glued = line.firstRange(of: "libbpf: ") { line = line[..<glued.lowerBound] }
            if line.hasPrefix("-- END") { break }
            if !line.isEmpty { lines.append(String(line)) }
        }
        return lines
    }

    /// The verifier's own reason: its last line that is neither an instruction, register
    /// state, line info nor the statistics summary. Nil when the log stops mid-dump.
    static func verifierReason(_ log: String) -> String? {
        let lines = verifierLines(log)
        guard let last = lines.last else { return nil }
        func isDump(_ l: String) -> Bool {
            let first = l.first ?? " "
            return first.isNumber || l.hasPrefix(";") || l.hasPrefix("from ") || l.hasPrefix("last_idx")
                || l.hasPrefix("old state") || l.hasPrefix("cur state") || l.hasPrefix("new state")
                || l.hasPrefix("regs=") || l.hasPrefix("parent ") || l.hasPrefix("mark_precise") || l.hasPrefix(" ")
        }
        // A log that ends in the middle of the instruction dump was truncated.
        if isDump(last), !last.hasPrefix("old state"), !last.hasPrefix("cur state") { return nil }
        return lines.reversed().first { !isDump($0) && !$0.hasPrefix("processed ") && !$0.hasPrefix("verification time") && !$0.hasPrefix("stack depth") }
    }

    /// The script line of the last line-info marker in the log: "; text @ FILE:LINE".
    /// The script line the verifier was checking when it gave up: the last line-info marker
    /// of its log. Code shared by every probe (the map-entry and hist subprograms) is marked
    /// with line 0 or the probe's `header` line; the caller's statement before it is the place.
    static func scriptLine(_ log: String, header: Int? = nil) -> Int? {
        var fallback: Int?
        for line in verifierLines(log).reversed() where line.hasPrefix(";") {
            guard let at = line.lastIndex(of: ":"), let n = Int(line[line.index(after: at)...]), n > 0 else { continue }
            if n == header {
                fallback = fallback ?? n
                continue
            }
            return n
        }
        return fallback
    }

    /// The kernel type or field a CO-RE relocation could not find in this kernel's BTF, from
    /// libbpf's "failed to resolve CO-RE relocation <off> [id] struct task_struct.field (…)".
    static func missingKernelType(_ log: String) -> String? {
        guard let found = log.firstRange(of: "failed to resolve CO-RE relocation") else { return nil }
        let rest = log[found.upperBound...].prefix { $0 != "\n" }
        guard let close = rest.firstIndex(of: "]") else { return "a kernel type" }
        let described = rest[rest.index(after: close)...].prefix { $0 != "(" }
        let text = described.trimmingCharacters()
        return text.isEmpty ? "a kernel type" : text
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
