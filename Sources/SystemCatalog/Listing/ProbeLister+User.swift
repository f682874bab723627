import Glibc
import ScriptParser

/// Listers for probes in a user binary: its function symbols (uprobe) and USDT notes.
extension ProbeLister {
    /// `BINARY:FUNCTION` (an offset lists as its function).
    static func checkUprobeParts(_ parts: [String], _ provider: String) -> Result<[String], PartsRefusal> {
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            return .failure(PartsRefusal(message: "\(provider) probe type requires 2 arguments"))
        }
        let function = parts[1].split(separator: "+", maxSplits: 1).first.map(String.init) ?? ""
        return .success([parts[0], function])
    }

    /// `BINARY:[PROVIDER:]NAME` → `[BINARY, PROVIDER-or-*, NAME]`.
    static func checkUSDTParts(_ parts: [String]) -> Result<[String], PartsRefusal> {
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            return .failure(PartsRefusal(message: "usdt probe type requires 2 or 3 arguments"))
        }
        return .success(parts.count == 3 ? parts : [parts[0], "*", parts[1]])
    }

    /// The binary's function symbols matching the glob, under the binary's resolved path.
    /// Without DWARF there are no argument lines; `-v` says so on stderr, as bpftrace does.
    func uprobes(parts: [String], provider: String, verbose: Bool) throws -> [ListedProbe] {
        let binary = try resolve(parts[0], provider)
        let symbols: [UserSymbol]
        switch catalog.functionSymbols(inBinary: binary) {
        case .success(let s): symbols = s
        case .failure(let error): throw PartsRefusal(message: error.message)
        }
        if verbose {
            fputs("WARNING: No DWARF found for \"\(binary)\", cannot show parameter info\n", stderr)
        }
        return symbols.map(\.name).filter { Glob.matches(parts[1], $0) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { ListedProbe(name: "\(provider):\(binary):\($0)", details: []) }
    }

    /// The binary's USDT probes matching `[PROVIDER, NAME]` globs.
    func usdtProbes(parts: [String]) throws -> [ListedProbe] {
        let binary = try resolve(parts[0], "usdt")
        let probes: [USDTProbeInfo]
        switch catalog.usdtProbes(inBinary: binary) {
        case .success(let p): probes = p
        case .failure(let error): throw PartsRefusal(message: error.message)
        }
        return probes.filter { Glob.matches(parts[1], $0.provider) && Glob.matches(parts[2], $0.name) }
            .map { "usdt:\(binary):\($0.provider):\($0.name)" }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { ListedProbe(name: $0, details: []) }
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
