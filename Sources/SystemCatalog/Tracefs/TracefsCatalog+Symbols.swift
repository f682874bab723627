import ScriptParser

/// Symbol lookups for `kaddr("name")` and `uaddr("name")`, answered when the script compiles.
extension TracefsCatalog {
    public func possibleCPUCount() -> Int? { KernelFeatures.possibleCPUCount() }

    public func kernelSymbolAddress(_ name: String) -> UInt64? {
        guard let kallsyms = readFile("/proc/kallsyms") else { return nil }
        return KernelSymbols.address(of: name, in: kallsyms)
    }

    /// A variable or function of the binary (its debug file's symbols too), first match wins.
    public func userSymbol(_ name: String, inBinary path: String) -> UserSymbol? {
        guard let elf = try? ELFFile(path: path) else { return nil }
        let types = ELFFile.variableTypes.union(ELFFile.functionTypes)
        if let s = elf.symbols(types: types).first(where: { $0.name == name }) { return s }
        guard let debugPath = elf.debugFilePath(), let debug = try? ELFFile(path: debugPath) else { return nil }
        return debug.symbols(types: types).first { $0.name == name }
    }
}
