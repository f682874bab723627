import ScriptParser

/// File offsets of function symbols libbpf does not find by name: a stripped library's local
/// functions that only its separate debug file names (libc's `malloc_consolidate`), and the
/// PLT entries of a non-PIE executable's imports (undefined symbols with an address). libbpf
/// 1.1 looks for the name in the binary's own defined symbols only.
///
/// The address comes from whichever file names the symbol; it is the same virtual address in
/// the binary, which maps it to a file offset through its sections.
final class UprobeOffsets {
    private var files: [String: (binary: ELFFile, symbols: [String: UInt64])] = [:]

    /// The file offset of `symbol` + `offset` in `binary`, or nil when no file names it.
    func fileOffset(binary: String, symbol: String, offset: UInt64) -> UInt64? {
        guard let entry = load(binary), let address = entry.symbols[symbol] else { return nil }
        return entry.binary.fileOffset(ofAddress: address + offset)
    }

    private func load(_ path: String) -> (binary: ELFFile, symbols: [String: UInt64])? {
        if let cached = files[path] { return cached }
        guard let file = try? ELFFile(path: path) else { return nil }
        var symbols: [String: UInt64] = [:]
        if let debugPath = file.debugFilePath(), let debug = try? ELFFile(path: debugPath) {
            for s in debug.functionSymbols() { symbols[s.name] = s.address }
        }
        // The binary's own symbols win over the debug file's.
        for s in file.functionSymbols() { symbols[s.name] = s.address }
        files[path] = (file, symbols)
        return (file, symbols)
    }
}
