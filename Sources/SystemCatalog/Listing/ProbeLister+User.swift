import Glibc
import ScriptParser

/// Listers for probes in a user binary: its function symbols (uprobe) and USDT notes.
extension ProbeLister {
    /// `BINARY:FUNCTION` (an offset lists as its function).
    static func checkUprobeParts(_ parts: [String], _ provider: String) -> Result<[String], PartsRefusal> {
        // `uprobe:*`: every function of every file (of the -p process).
        if parts == ["*"] { return .success(["*", "*"]) }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            return .failure(PartsRefusal(message: "\(provider) probe type requires 2 arguments"))
        }
        let function = parts[1].split(separator: "+", maxSplits: 1).first.map(String.init) ?? ""
        return .success([parts[0], function])
    }

    /// `BINARY:[PROVIDER:]NAME` → `[BINARY, PROVIDER-or-*, NAME]`.
    static func checkUSDTParts(_ parts: [String]) -> Result<[String], PartsRefusal> {
        if parts == ["*"] { return .success(["*", "*", "*"]) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            return .failure(PartsRefusal(message: "usdt probe type requires 2 or 3 arguments"))
        }
        return .success(parts.count == 3 ? parts : [parts[0], "*", parts[1]])
    }

    /// The binary's function symbols matching the glob, under the binary's resolved path.
    /// Without DWARF there are no argument lines; `-v` says so on stderr, as bpftrace does.
    func uprobes(parts: [String], provider: String, verbose: Bool) throws -> [ListedProbe] {
        let binaries = try self.binaries(parts[0], provider)
        let named = Self.namesOneFile(parts[0])
        var listed: [ListedProbe] = []
        for binary in binaries {
            let symbols: [UserSymbol]
            switch catalog.functionSymbols(inBinary: binary) {
            case .success(let s): symbols = s
            // Files a wildcard or a process chose: one that is not ELF (a locale archive a
            // process maps, a text file `-l` meets in the working directory) is skipped.
            case .failure(let error):
                if named { throw PartsRefusal(message: error.message) }
                continue
            }
            if verbose {
                fputs("WARNING: No DWARF found for \"\(binary)\", cannot show parameter info\n", stderr)
            }
            listed += symbols.map(\.name).filter { Glob.matches(parts[1], $0) }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                .map { ListedProbe(name: "\(provider):\(binary):\($0)", details: []) }
        }
        return listed
    }

    /// The binary's USDT probes matching `[PROVIDER, NAME]` globs.
    func usdtProbes(parts: [String]) throws -> [ListedProbe] {
        let binaries = try self.binaries(parts[0], "usdt")
        let named = Self.namesOneFile(parts[0])
        var listed: [ListedProbe] = []
        for binary in binaries {
            let probes: [USDTProbeInfo]
            switch catalog.usdtProbes(inBinary: binary) {
            case .success(let p): probes = p
            case .failure(let error):
                if named { throw PartsRefusal(message: error.message) }
                continue
            }
            listed += probes.filter { Glob.matches(parts[1], $0.provider) && Glob.matches(parts[2], $0.name) }
                .map { "usdt:\(binary):\($0.provider):\($0.name)" }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                .map { ListedProbe(name: $0, details: []) }
        }
        return listed
    }

    /// Whether a BINARY part names one file, whose failure is the listing's.
    static func namesOneFile(_ name: String) -> Bool { !name.isEmpty && !Glob.hasWildcard(name) }

    /// The files a BINARY part names: with -p, the process's files it matches (`*` or nothing:
    /// all of them); else the files a wildcard matches, or the one file a name means.
    private func binaries(_ name: String, _ provider: String) throws -> [String] {
        if let pid = targetPID, name.isEmpty || Glob.hasWildcard(name) {
            let all = ProcessBinaries.of(pid: pid)
            let root = "/proc/\(pid)/root"
            return name.isEmpty || name == "*" ? all : all.filter { Glob.matches(name, String($0.dropFirst(root.count))) }
        }
        if Glob.hasWildcard(name) {
            let found = FileGlob.paths(matching: name)
            if !found.isEmpty { return found }
        }
        return [try resolve(name, provider)]
    }

    /// The binary a library or program name means, or bpftrace's refusal.
    private func resolve(_ name: String, _ provider: String) throws -> String {
        guard !Glob.hasWildcard(name), let path = catalog.resolveBinary(name) else {
            let kind = provider == "usdt" ? "usdt" : "uprobe"
            throw PartsRefusal(message: "\(kind) target file '\(name)' does not exist or is not executable")
        }
        return path
    }
}
