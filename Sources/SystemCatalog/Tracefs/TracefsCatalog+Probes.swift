import ScriptParser

/// The catalog's answers about kernel functions, raw tracepoints and user binaries. Every source
/// is read on first use and kept: BTF (a few ms), kallsyms (tens of ms, so only for wildcards,
/// listings and functions BTF does not know), one binary's symbols or notes at a time.
extension TracefsCatalog {
    /// vmlinux BTF, loaded once; the error is kept too, so a missing BTF is reported once.
    public func kernelBTF() -> Result<KernelBTF, RuntimeError> {
        if let btfCache { return btfCache }
        let loaded = KernelBTF.loadVmlinux()
        btfCache = loaded
        return loaded
    }

    /// Module BTFs by name (nil: the module has none).
    private func btf(for module: String?) -> KernelBTF? {
        guard let vmlinux = try? kernelBTF().get() else { return nil }
        guard let module else { return vmlinux }
        if let cached = moduleBTFCache[module] { return cached }
        let loaded = KernelBTF.loadModule(module, base: vmlinux)
        moduleBTFCache[module] = .some(loaded)
        return loaded
    }

    // MARK: Kernel functions (kprobe)

    /// The kprobe-able functions with where they came from, or why neither source was readable.
    func kernelFunctionListing() -> Result<KernelFunctions.Listing, FileReadError> {
        if let kernelFunctionCache { return kernelFunctionCache }
        let loaded = KernelFunctions.load(tracefs: tracefsPath)
        kernelFunctionCache = loaded
        return loaded
    }

    public func kernelFunctions() -> [KernelFunction] {
        (try? kernelFunctionListing().get())?.functions ?? []
    }

    public func isKernelFunction(_ function: KernelFunction) -> Bool {
        // A BTF hit avoids reading kallsyms (~60 ms) for the common case of a named function.
        if function.module == nil, let btf = try? kernelBTF().get(), btf.functionSignature(named: function.name) != nil {
            return true
        }
        let all = kernelFunctions()
        if function.module == nil { return all.contains { $0.name == function.name } }
        return all.contains(function)
    }

    // MARK: BTF functions (fentry/fexit) and raw tracepoints

    public func btfFunctions() -> [KernelFunction] {
        if let btfFunctionCache { return btfFunctionCache }
        let names = (try? kernelBTF().get())?.functionNames() ?? []
        let list = names.map { KernelFunction(module: nil, name: $0) }
        btfFunctionCache = list
        return list
    }

    public func btfFunction(_ function: KernelFunction) -> FunctionSignature? {
        let key = function.description
        if let cached = signatureCache[key] { return cached }
        let signature = btf(for: function.module)?.functionSignature(named: function.name)
        signatureCache[key] = .some(signature)
        return signature
    }

    public func rawTracepoints() -> [String] {
        if let rawTracepointCache { return rawTracepointCache }
        let names = (try? kernelBTF().get())?.rawTracepointNames() ?? []
        rawTracepointCache = names
        return names
    }

    public func rawTracepoint(_ name: String) -> FunctionSignature? {
        if let cached = rawSignatureCache[name] { return cached }
        let signature = (try? kernelBTF().get())?.rawTracepointSignature(named: name)
        rawSignatureCache[name] = .some(signature)
        return signature
    }

    // MARK: User binaries (uprobe, usdt)

    public func resolveBinary(_ name: String) -> String? {
        if let cached = binaryCache[name] { return cached }
        let path = BinaryResolver.resolve(name)
        binaryCache[name] = .some(path)
        return path
    }

    public func functionSymbols(inBinary path: String) -> Result<[UserSymbol], CatalogError> {
        if let cached = symbolCache[path] { return cached }
        let result: Result<[UserSymbol], CatalogError>
        do {
            let file = try ELFFile(path: path)
            sectionCache[path] = file.sectionSpans()
            var symbols = file.functionSymbols()
            // A stripped library's local functions (libc's malloc_consolidate) are in its debug
            // file when one is installed; bpftrace lists them too.
            if let debugPath = file.debugFilePath(), let debug = try? ELFFile(path: debugPath) {
                // GCC's partial-inlining fragments (`foo.part.0`) are not functions a caller
                // calls; bpftrace leaves them out as well.
                let known = Set(symbols.map(\.name))
                symbols += debug.functionSymbols().filter { !known.contains($0.name) && !$0.name.contains(".part.") }
                symbols.sort { $0.name < $1.name }
            }
            result = .success(symbols)
        } catch {
            result = .failure(error)
        }
        symbolCache[path] = result
        return result
    }

    public func fileOffset(ofAddress address: UInt64, inBinary path: String) -> UInt64? {
        if sectionCache[path] == nil { _ = functionSymbols(inBinary: path) }
        return sectionCache[path].flatMap { SectionSpan.fileOffset(ofAddress: address, in: $0) }
    }

    public func usdtProbes(inBinary path: String) -> Result<[USDTProbeInfo], CatalogError> {
        if let cached = usdtCache[path] { return cached }
        let result: Result<[USDTProbeInfo], CatalogError>
        do {
            result = .success(USDTNotes.probes(in: try ELFFile(path: path)))
        } catch {
            result = .failure(error)
        }
        usdtCache[path] = result
        return result
    }
}
