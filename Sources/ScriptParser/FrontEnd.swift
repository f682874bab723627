@_exported import TraceContract

/// The whole front end in one call: parse, expand probes, type-check.
public enum FrontEnd {
    /// Returns the typed program, or nil with at least one error in the diagnostics.
    /// Parse errors stop before type checking, so one mistake is not reported twice.
    public static func compile(_ source: SourceFile, catalog: Catalog,
                               options: FrontEndOptions = FrontEndOptions()) -> (TypedProgram?, Diagnostics) {
        var (program, parseDiagnostics) = Parser.parse(source)
        if parseDiagnostics.hasErrors { return (nil, parseDiagnostics) }
        if let headers = options.headers {
            // The script's own #defines come later, so they win over a header's.
            let (macros, errors) = headers.macros(for: program.preamble)
            if !errors.isEmpty { return (nil, Diagnostics(parseDiagnostics.items + errors)) }
            program.preamble.defines.insert(contentsOf: macros, at: 0)
        }
        // Conflicting getopt() declarations are found over the whole script before checking.
        let (_, optionDiagnostics) = ScriptOptionSet.declared(in: program)
        if optionDiagnostics.hasErrors { return (nil, optionDiagnostics) }
        var (typed, diagnostics) = TypeChecker.check(program, source: source, catalog: catalog, options: options)
        diagnostics.items.insert(contentsOf: parseDiagnostics.items, at: 0)
        if typed?.probes.isEmpty ?? false, program.probes.isEmpty {
            diagnostics.append(.error(SourceRange(0, max(0, source.bytes.count)), "No probes in the program"))
            return (nil, diagnostics)
        }
        if let typed, let error = ProbeLimit.check(typed) {
            diagnostics.append(error)
            return (nil, diagnostics)
        }
        return (typed, diagnostics)
    }

    /// The options the script declares with `getopt()`, read before the command line's words
    /// after `--` are checked against them (and for `-- --help`). Nil with the parse errors or
    /// the malformed declarations.
    public static func scriptOptions(_ source: SourceFile) -> (ScriptOptionSet?, Diagnostics) {
        let (program, parseDiagnostics) = Parser.parse(source)
        if parseDiagnostics.hasErrors { return (nil, parseDiagnostics) }
        let (set, diagnostics) = ScriptOptionSet.declared(in: program)
        return (diagnostics.hasErrors ? nil : set, diagnostics)
    }
}
