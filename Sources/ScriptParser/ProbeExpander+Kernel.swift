/// Kernel function probes (kprobe/kretprobe, fentry/fexit) and raw tracepoints.
extension ProbeExpander {
    /// `kprobe:FN`, `kprobe:FN+OFFSET`, `kprobe:MODULE:FN`; FN may be a wildcard (no offset then).
    static let bannedReturnProbes: Set<String> = [
        "_raw_spin_lock", "_raw_spin_lock_irqsave", "_raw_spin_unlock_irqrestore", "queued_spin_lock_slowpath",
    ]

    func expandKprobe(_ ap: AttachPoint, isReturn: Bool) -> Expansion {
        let word = isReturn ? "kretprobe" : "kprobe"
        guard (1...2).contains(ap.parts.count), ap.parts.allSatisfy({ !$0.isEmpty }) else {
            return .failure(.error(ap.range, "\(word) probe type requires 1 or 2 arguments"))
        }
        let module = ap.parts.count == 2 ? ap.parts[0] : nil
        var name = ap.parts[ap.parts.count - 1]
        var offset: UInt64 = 0
        if let plus = name.firstIndex(of: "+") {
            guard let n = Self.parseNumber(String(name[name.index(after: plus)...])) else {
                return .failure(.error(ap.range, "Invalid offset in \(ap.text)"))
            }
            offset = n
            name = String(name[..<plus])
        }
        if offset != 0, isReturn {
            return .failure(.error(ap.range, "kretprobe cannot take an offset: it fires on return"))
        }
        // A return probe on the spin-lock paths can deadlock the machine (bpftrace's list),
        // whether or not this kernel has the function.
        if isReturn, Self.bannedReturnProbes.contains(name) {
            return .failure(.error(ap.range, "kretprobe:\(name) can't be used as it might lock up your system."))
        }
        let make: (KernelFunction) -> ResolvedAttachPoint = {
            isReturn ? .kretprobe($0) : .kprobe($0, offset: offset)
        }
        if !Glob.hasWildcard(name), !Glob.hasWildcard(module ?? "") {
            let function = KernelFunction(module: module, name: name)
            if catalog.isKernelFunction(function) { return .success([make(function)]) }
            let all = catalog.kernelFunctions()
            // `kprobe:syscalls:sys_exit_nanosleep`: no module of that name, so not MODULE:FN
            // but a mistake, which bpftrace 0.17 (kprobes without modules) words this way.
            if let module, !all.contains(where: { $0.module == module }) {
                return .failure(.error(ap.range, "\(word) probe type requires 1 argument"))
            }
            // As bpftrace: a warning, and the attach point is dropped (the script's other probes
            // still run); the nearest name is the hint.
            var missing = noMatch(ap, "kernel function", pattern: name, among: all.map(\.name)) { "\(word):\($0)" }
            missing.severity = .warning
            missing.message = "\(name) is not traceable (either non-existing, inlined, or marked as \"notrace\"); attaching to it will likely fail"
            return .failure(missing)
        }
        if offset != 0 {
            return .failure(.error(ap.range, "Offset not allowed with a wildcard: \(ap.text)"))
        }
        let all = catalog.kernelFunctions()
        let matches = uniqueSorted(all.filter { functionMatches($0, module: module, name: name) })
        guard !matches.isEmpty else {
            return .failure(noMatch(ap, "kernel function", pattern: name, among: all.map(\.name)) { "\(word):\($0)" })
        }
        return .success(matches.map(make))
    }

    /// `fentry:FN`, `fentry:MODULE:FN` (and `kfunc`, `fexit`, `kretfunc`); FN may be a wildcard.
    func expandFentry(_ ap: AttachPoint, isExit: Bool) -> Expansion {
        let word = isExit ? "fexit" : "fentry"
        guard (1...2).contains(ap.parts.count), ap.parts.allSatisfy({ !$0.isEmpty }) else {
            return .failure(.error(ap.range, "\(word) probe type requires 1 or 2 arguments"))
        }
        // `vmlinux` names the kernel itself, as bpftrace's listing prints it.
        var module = ap.parts.count == 2 ? ap.parts[0] : nil
        if module == "vmlinux" { module = nil }
        let name = ap.parts[ap.parts.count - 1]
        let make: (KernelFunction) -> ResolvedAttachPoint = { isExit ? .fexit($0) : .fentry($0) }
        if !Glob.hasWildcard(name), !Glob.hasWildcard(module ?? "") {
            let function = KernelFunction(module: module, name: name)
            if catalog.btfFunction(function) != nil { return .success([make(function)]) }
            let names = catalog.btfFunctions().map(\.name)
            return .failure(noMatch(ap, "kernel function with BTF", pattern: name, among: names) { "\(word):\($0)" })
        }
        let all = catalog.btfFunctions()
        let matches = uniqueSorted(all.filter { functionMatches($0, module: module, name: name) })
        guard !matches.isEmpty else {
            return .failure(noMatch(ap, "kernel function with BTF", pattern: name, among: all.map(\.name)) { "\(word):\($0)" })
        }
        return .success(matches.map(make))
    }

    /// `rawtracepoint:NAME` (a `vmlinux:` module part is accepted and dropped); NAME may be a wildcard.
    func expandRawTracepoint(_ ap: AttachPoint) -> Expansion {
        var parts = ap.parts
        if parts.count == 2, parts[0] == "vmlinux" || parts[0] == "*" { parts.removeFirst() }
        guard parts.count == 1, !parts[0].isEmpty else {
            return .failure(.error(ap.range, "rawtracepoint probe type requires 1 argument"))
        }
        let name = parts[0]
        if !Glob.hasWildcard(name) {
            if catalog.rawTracepoint(name) != nil { return .success([.rawTracepoint(name: name)]) }
            return .failure(noMatch(ap, "raw tracepoint", pattern: name, among: catalog.rawTracepoints()) {
                "rawtracepoint:\($0)"
            })
        }
        let all = catalog.rawTracepoints()
        let matches = Array(Set(all.filter { Glob.matches(name, $0) })).sorted()
        guard !matches.isEmpty else {
            return .failure(noMatch(ap, "raw tracepoint", pattern: name, among: all) { "rawtracepoint:\($0)" })
        }
        return .success(matches.map { .rawTracepoint(name: $0) })
    }

    private func functionMatches(_ f: KernelFunction, module: String?, name: String) -> Bool {
        guard Glob.matches(name, f.name) else { return false }
        guard let module else { return true }
        return Glob.matches(module, f.module ?? "vmlinux")
    }

    private func uniqueSorted(_ functions: [KernelFunction]) -> [KernelFunction] {
        Array(Set(functions)).sorted()
    }
}
