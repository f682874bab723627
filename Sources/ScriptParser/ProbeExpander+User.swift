/// User-space probes: uprobe/uretprobe on a binary's function symbols, USDT on its notes.
extension ProbeExpander {
    /// `uprobe:BINARY:FUNCTION`, `BINARY:FUNCTION+OFFSET`, `BINARY:ADDRESS`; FUNCTION may be a
    /// wildcard over the binary's function symbols. BINARY may be a library name (`libc`).
    func expandUprobe(_ ap: AttachPoint, isReturn: Bool) -> Expansion {
        let word = isReturn ? "uretprobe" : "uprobe"
        guard ap.parts.count == 2, !ap.parts[0].isEmpty, !ap.parts[1].isEmpty else {
            return .failure(.error(ap.range, "\(word) probe type requires 2 arguments"))
        }
        let binary: String
        let symbols: [UserSymbol]
        switch binaryAndSymbols(ap, ap.parts[0]) {
        case .success(let found): (binary, symbols) = found
        case .failure(let d): return .failure(d)
        }
        let make: (UserFunction) -> ResolvedAttachPoint = { isReturn ? .uretprobe($0) : .uprobe($0) }
        var target = ap.parts[1]

        // BINARY:ADDRESS: the function holding the address, so libbpf can place it.
        if let first = target.first, first.isNumber {
            guard let address = Self.parseNumber(target) else {
                return .failure(.error(ap.range, "Invalid address in \(ap.text)"))
            }
            guard let holder = symbols.first(where: { $0.address <= address && address < $0.address + max($0.size, 1) }) else {
                return .failure(.error(ap.range, "Could not resolve address: \(binary):0x\(String(address, radix: 16))"))
            }
            if isReturn, address != holder.address {
                return .failure(.error(ap.range, "uretprobe must be at a function's start, not inside \(holder.name)"))
            }
            return .success([make(UserFunction(binary: binary, symbol: holder.name, offset: address - holder.address,
                                               address: address, fileOffset: catalog.fileOffset(ofAddress: address, inBinary: binary)))])
        }

        var offset: UInt64 = 0
        if let plus = target.firstIndex(of: "+") {
            guard let n = Self.parseNumber(String(target[target.index(after: plus)...])) else {
                return .failure(.error(ap.range, "Invalid offset in \(ap.text)"))
            }
            offset = n
            target = String(target[..<plus])
            if isReturn, offset != 0 {
                return .failure(.error(ap.range, "uretprobe cannot take an offset: it fires on return"))
            }
        }
        let names = Set(symbols.map(\.name))
        if !Glob.hasWildcard(target) {
            guard names.contains(target) else {
                let hint = Suggestion.closest(to: target, among: names).map { "\(word):\(binary):\($0)" }
                return .failure(.error(ap.range, "function '\(target)' not found in \(binary)", suggestion: hint))
            }
            // bpftrace's check: an offset past the function's end is someone else's code.
            if offset > 0, let size = symbols.first(where: { $0.name == target })?.size, size > 0, offset >= size {
                return .failure(.error(ap.range, "Offset outside the function bounds ('\(target)' size is \(size))"))
            }
            let start = symbols.first { $0.name == target }?.address
            let fileOffset = start.flatMap { catalog.fileOffset(ofAddress: $0 + offset, inBinary: binary) }
            return .success([make(UserFunction(binary: binary, symbol: target, offset: offset, fileOffset: fileOffset))])
        }
        if offset != 0 {
            return .failure(.error(ap.range, "Offset not allowed with a wildcard: \(ap.text)"))
        }
        let matches = names.filter { Glob.matches(target, $0) }.sorted()
        guard !matches.isEmpty else {
            return .failure(noMatch(ap, "function", pattern: target, among: names.sorted()) { "\(word):\(binary):\($0)" })
        }
        let starts = Dictionary(symbols.map { ($0.name, $0.address) }, uniquingKeysWith: { first, _ in first })
        return .success(matches.map { name in
            make(UserFunction(binary: binary, symbol: name,
                              fileOffset: starts[name].flatMap { catalog.fileOffset(ofAddress: $0, inBinary: binary) }))
        })
    }

    /// `usdt:BINARY:[PROVIDER:]NAME`; PROVIDER and NAME may be wildcards. Without PROVIDER, NAME
    /// is matched in every provider.
    func expandUSDT(_ ap: AttachPoint) -> Expansion {
        guard (2...3).contains(ap.parts.count), let last = ap.parts.last, !last.isEmpty else {
            return .failure(.error(ap.range, "usdt probe type requires 2 or 3 arguments"))
        }
        // An empty or wildcard BINARY: the -p process's files, or the files the wildcard finds.
        let fileSpec = ap.parts[0]
        if fileSpec.isEmpty || Glob.hasWildcard(fileSpec) {
            let files = fileSpec.isEmpty || fileSpec == "*" ? targetFiles : catalog.files(matching: fileSpec)
            guard !files.isEmpty else {
                return .failure(.error(ap.range, fileSpec.isEmpty || fileSpec == "*"
                    ? "usdt probes without a binary need the process to trace: -p PID"
                    : "No files matched: \(fileSpec)"))
            }
            var all: [ResolvedAttachPoint] = []
            for file in files {
                var one = ap
                one.parts[0] = file
                if case .success(let found) = expandUSDT(one) { all += found }
            }
            return all.isEmpty ? .failure(.error(ap.range, "No probes matched: \(ap.text)")) : .success(all)
        }
        guard let binary = resolvedBinary(ap, ap.parts[0]) else { return .failure(missingBinary(ap, ap.parts[0])) }
        let probes: [USDTProbeInfo]
        switch catalog.usdtProbes(inBinary: binary) {
        case .success(let p): probes = p
        case .failure(let e): return .failure(.error(ap.range, e.message))
        }
        let providerPattern = ap.parts.count == 3 && !ap.parts[1].isEmpty ? ap.parts[1] : "*"
        let namePattern = ap.parts[ap.parts.count - 1]
        var seen = Set<String>()
        let matches = probes.filter { probe in
            Glob.matches(providerPattern, probe.provider) && Glob.matches(namePattern, probe.name)
                && seen.insert("\(probe.provider):\(probe.name)").inserted
        }.sorted { ($0.provider, $0.name) < ($1.provider, $1.name) }
        guard !matches.isEmpty else {
            let spec = ap.parts.count == 3 ? "\(providerPattern):\(namePattern)" : namePattern
            let known = probes.map { ap.parts.count == 3 ? "\($0.provider):\($0.name)" : $0.name }
            let bare = spec.filter { $0 != "*" && $0 != "?" }
            let hint = Suggestion.closest(to: bare, among: known).map { "usdt:\(binary):\($0)" }
            let message = Glob.hasWildcard(spec) ? "No probes matched: \(ap.text)"
                : "USDT probe '\(spec)' not found in \(binary)"
            return .failure(.error(ap.range, message, suggestion: hint))
        }
        return .success(matches.map { .usdt(USDTTarget(binary: binary, provider: $0.provider, name: $0.name, sites: $0.sites)) })
    }

    // MARK: Binaries

    private func resolvedBinary(_ ap: AttachPoint, _ name: String) -> String? {
        guard !Glob.hasWildcard(name) else { return nil }
        // A path only the -p process sees (its own mount namespace): through /proc/PID/root.
        if name.hasPrefix("/"), let inProcess = targetFiles.first(where: { $0.hasSuffix("/root" + name) }),
           catalog.resolveBinary(name) == nil {
            return inProcess
        }
        return catalog.resolveBinary(name)
    }

    private func missingBinary(_ ap: AttachPoint, _ name: String) -> Diagnostic {
        if Glob.hasWildcard(name) {
            return .error(ap.range, "Wildcards are not allowed in the binary of \(ap.text)")
        }
        // bpftrace's wording.
        return .error(ap.range, "\(ap.provider == "usdt" || ap.provider == "U" ? "usdt" : "uprobe") target file '\(name)' does not exist or is not executable")
    }

    private func binaryAndSymbols(_ ap: AttachPoint, _ name: String) -> Result<(String, [UserSymbol]), Diagnostic> {
        guard let binary = resolvedBinary(ap, name) else { return .failure(missingBinary(ap, name)) }
        switch catalog.functionSymbols(inBinary: binary) {
        case .success(let symbols): return .success((binary, symbols))
        case .failure(let e): return .failure(.error(ap.range, e.message))
        }
    }
}
