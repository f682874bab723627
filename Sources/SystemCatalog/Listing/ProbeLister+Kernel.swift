import ScriptParser

/// Listers for probes the kernel itself offers: tracepoints, raw tracepoints, kprobes, kfuncs,
/// timers and perf events.
extension ProbeLister {
    // MARK: Tracepoints

    /// `CATEGORY:NAME`, either a glob; a single glob `PAT` means `*:PAT`, since users mostly
    /// look for an event name.
    static func checkTracepointParts(_ parts: [String]) -> Result<[String], PartsRefusal> {
        var parts = parts
        if parts.count == 1, Glob.hasWildcard(parts[0]) { parts.insert("*", at: 0) }
        guard parts.count == 2 else { return .failure(PartsRefusal(message: "tracepoint probe type requires 2 arguments")) }
        guard !parts[0].isEmpty, !parts[1].isEmpty else {
            return .failure(PartsRefusal(message: "tracepoint probe must have a target"))
        }
        return .success(parts)
    }

    /// The tracepoints whose `category:name` matches the checked `[category, name]` globs.
    func tracepoints(parts: [String], verbose: Bool) throws -> [ListedProbe] {
        let search = parts.joined(separator: ":")
        let available: [TracepointID]
        do {
            available = try catalog.availableTracepoints()
        } catch {
            throw ProbeListError.tracefsUnreadable(error)
        }
        // bpftrace keeps matches in a std::set<std::string>: byte order of `category:name`.
        // That differs from ordering by (category, name) when a category is a prefix of another.
        // The catalog has already dropped duplicate lines of available_events.
        let matches = available.map { (id: $0, text: $0.description) }
            .filter { Glob.matches(search, $0.text) }
            .sorted { $0.text.utf8.lexicographicallyPrecedes($1.text.utf8) }
        return matches.map { match in
            // bpftrace prints the format file's fields after its first blank line: the event's own.
            let details = verbose ? catalog.tracepointFormat(match.id)?.fields.filter { !$0.isCommon }.map(\.declaration) : nil
            return ListedProbe(name: "tracepoint:" + match.text, details: details ?? [])
        }
    }

    // MARK: Raw tracepoints

    /// `NAME` (a `vmlinux:` or `*:` module part is dropped).
    static func checkRawTracepointParts(_ parts: [String]) -> Result<[String], PartsRefusal> {
        var parts = parts
        if parts.count == 2, parts[0] == "vmlinux" || parts[0] == "*" { parts.removeFirst() }
        guard parts.count == 1, !parts[0].isEmpty else {
            return .failure(PartsRefusal(message: "rawtracepoint probe type requires 1 argument"))
        }
        return .success(parts)
    }

    func rawTracepoints(parts: [String], verbose: Bool) throws -> [ListedProbe] {
        let btf = try requireBTF()
        return btf.rawTracepointNames().filter { Glob.matches(parts[0], $0) }.map { name in
            let details = verbose ? (catalog.rawTracepoint(name)?.parameters.map { "\($0.declaration) \($0.name)" } ?? []) : []
            return ListedProbe(name: "rawtracepoint:" + name, details: details)
        }
    }

    // MARK: Kernel functions

    /// `FN` or `MODULE:FN` → `[MODULE-or-*, FN]`. An offset (`FN+8`) lists as its function.
    static func checkKernelFunctionParts(_ parts: [String], _ provider: String) -> Result<[String], PartsRefusal> {
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            return .failure(PartsRefusal(message: "\(provider) probe type requires 1 or 2 arguments"))
        }
        let function = parts[parts.count - 1].split(separator: "+", maxSplits: 1).first.map(String.init) ?? ""
        return .success([parts.count == 2 ? parts[0] : "*", function])
    }

    /// kprobes (and kretprobes): available_filter_functions, else kallsyms. bpftrace 0.17
    /// prints the function without its module.
    func kprobes(parts: [String], provider: String) throws -> [ListedProbe] {
        let listing: KernelFunctions.Listing
        switch catalog.kernelFunctionListing() {
        case .success(let l): listing = l
        case .failure(let error): throw ProbeListError.tracefsUnreadable(error)
        }
        var names = Set<String>()
        for f in listing.functions where Glob.matches(parts[0], f.module ?? "vmlinux") && Glob.matches(parts[1], f.name) {
            names.insert(f.name)
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { ListedProbe(name: "\(provider):\($0)", details: []) }
    }

    /// kfuncs (fentry/fexit targets): functions with BTF. Verbose lines are the parameters,
    /// then the return value.
    func kfuncs(parts: [String], provider: String, verbose: Bool) throws -> [ListedProbe] {
        _ = try requireBTF()
        guard Glob.matches(parts[0], "vmlinux") else { return [] }
        return catalog.btfFunctions().filter { Glob.matches(parts[1], $0.name) }.map { f in
            var details: [String] = []
            if verbose, let signature = catalog.btfFunction(f) {
                details = signature.parameters.map { "\($0.declaration) \($0.name)" }
                if let ret = signature.returnValue { details.append("\(ret.declaration) retval") }
            }
            return ListedProbe(name: "\(provider):vmlinux:\(f.name)", details: details)
        }
    }

    private func requireBTF() throws -> KernelBTF {
        switch catalog.kernelBTF() {
        case .success(let btf): return btf
        case .failure(let error): throw ProbeListError.kernelInfoMissing(error.message)
        }
    }

    // MARK: Timers and perf events

    /// `UNIT:N` with a known unit and a number: the probe lists itself (there is nothing else).
    static func checkTimerParts(_ parts: [String], _ provider: String) -> Result<[String], PartsRefusal> {
        guard parts.count == 2 else { return .failure(PartsRefusal(message: "\(provider) probe type requires 2 arguments")) }
        guard TimerSpec.Unit(rawValue: parts[0]) != nil || Glob.hasWildcard(parts[0]) else {
            return .failure(PartsRefusal(message: "Invalid unit \(parts[0]) for \(provider) probe"))
        }
        return .success(parts)
    }

    func timers(parts: [String], provider: String) -> [ListedProbe] {
        guard TimerSpec.Unit(rawValue: parts[0]) != nil, UInt64(parts[1]) != nil else { return [] }
        return [ListedProbe(name: "\(provider):\(parts[0]):\(parts[1])", details: [])]
    }

    /// `EVENT[:COUNT]` → `[EVENT]`.
    static func checkPerfEventParts(_ parts: [String], _ provider: String) -> Result<[String], PartsRefusal> {
        guard (1...2).contains(parts.count), !parts[0].isEmpty else {
            return .failure(PartsRefusal(message: "\(provider) probe type requires 1 or 2 arguments"))
        }
        return .success([parts[0]])
    }

    /// Event names matching the glob; an alias (`faults`) lists its event's name.
    func perfEvents(parts: [String], kind: PerfEventTarget.Kind) -> [ListedProbe] {
        PerfEventName.table(kind)
            .filter { Glob.matches(parts[0], $0.name) || $0.alias.map { Glob.matches(parts[0], $0) } == true }
            .map { ListedProbe(name: "\(kind.rawValue):\($0.name):", details: []) }
    }
}
