@_exported import TraceContract

/// The whole front end in one call: parse, expand probes, type-check.
public enum FrontEnd {
    /// Returns the typed program, or nil with at least one error in the diagnostics.
    /// Parse errors stop before type checking, so one mistake is not reported twice.
    public static func compile(_ source: SourceFile, catalog: Catalog,
                               options: FrontEndOptions = FrontEndOptions()) -> (TypedProgram?, Diagnostics) {
        let (program, parseDiagnostics) = Parser.parse(source)
        if parseDiagnostics.hasErrors { return (nil, parseDiagnostics) }
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
}
