/// What the checker knows about the BPF function the code being checked becomes: the probe's
/// own program, or the callback a `for ($kv : @m)` body runs as. A `for` body is checked with
/// a scope of its own, swapped in whole and put back (as IRGen swaps its `FunctionState`).
struct FunctionScope {
    /// Scratch variables, innermost block last.
    var variables: [[String: SType]]
    /// How many loops enclose the statement (`break`/`continue` need one).
    var loopDepth: Int
    /// A callback: no probe context (TypeChecker+ProbeContext.swift), no `return`.
    var isCallback: Bool

    /// A probe's program: its context, no variables yet.
    static let probe = FunctionScope(variables: [[:]], loopDepth: 0, isCallback: false)

    /// The body of `for ($variable : @m)`: sees only `$variable` and its own variables, and is
    /// a loop (`break` ends the walk).
    static func forMapBody(_ variable: String, _ pairType: SType) -> FunctionScope {
        FunctionScope(variables: [[variable: pairType]], loopDepth: 1, isCallback: true)
    }

    var hasProbeContext: Bool { !isCallback }

    func lookup(_ name: String) -> SType? {
        for scope in variables.reversed() { if let t = scope[name] { return t } }
        return nil
    }
}
