/// `watchpoint:ADDR:LEN:MODE` and `watchpoint:FUNC+argN:LEN:MODE` (FUNC may be a wildcard),
/// `asyncwatchpoint` likewise.
extension ProbeExpander {
    func expandWatchpoint(_ ap: AttachPoint, isAsync: Bool) -> Expansion {
        let word = isAsync ? "asyncwatchpoint" : "watchpoint"
        guard ap.parts.count == 3, ap.parts.allSatisfy({ !$0.isEmpty }) else {
            return .failure(.error(ap.range, "\(word) probe type requires 3 arguments"))
        }
        guard let length = Int(ap.parts[1]), [1, 2, 4, 8].contains(length) else {
            return .failure(.error(ap.range, "\(word) length must be 1, 2, 4 or 8, not '\(ap.parts[1])'"))
        }
        let mode = ap.parts[2]
        guard Self.isWatchpointMode(mode) else {
            return .failure(.error(ap.range, "\(word) mode must be r, w, rw or x, not '\(mode)'"))
        }
        if mode == "x", length != 8 {
            return .failure(.error(ap.range, "\(word) on execution (x) watches 8 bytes"))
        }
        let location = ap.parts[0]
        if location.first?.isNumber == true {
            guard let address = Self.parseNumber(location) else {
                return .failure(.error(ap.range, "Invalid address in \(ap.text)"))
            }
            return .success([.watchpoint(WatchpointTarget(address: address, length: length, mode: mode, isAsync: isAsync))])
        }
        // FUNC+argN: the address is an argument of a function of the traced process.
        let pieces = location.split(separator: "+", omittingEmptySubsequences: false)
        guard pieces.count == 2, pieces[1].hasPrefix("arg"), let argument = Int(pieces[1].dropFirst(3)),
              (0...5).contains(argument), !pieces[0].isEmpty else {
            return .failure(.error(ap.range, "\(word) needs an address or FUNCTION+argN (N from 0 to 5), not '\(location)'"))
        }
        guard let binary = targetBinary else {
            return .failure(.error(ap.range, "\(word) on a function needs the process to trace: -p PID or -c CMD"))
        }
        let symbols: [UserSymbol]
        switch catalog.functionSymbols(inBinary: binary) {
        case .success(let found): symbols = found
        case .failure(let e): return .failure(.error(ap.range, e.message))
        }
        let pattern = String(pieces[0])
        let names = Set(symbols.map(\.name))
        let matches = names.filter { Glob.matches(pattern, $0) }.sorted()
        guard !matches.isEmpty else {
            return .failure(noMatch(ap, "function", pattern: pattern, among: names.sorted()) { "\(word):\($0)+arg\(argument)" })
        }
        return .success(matches.map {
            .watchpoint(WatchpointTarget(function: UserFunction(binary: binary, symbol: $0), argument: argument,
                                         length: length, mode: mode, isAsync: isAsync))
        })
    }

    /// `r`, `w`, `rw` (either order) or `x`, as the kernel's breakpoint types allow.
    static func isWatchpointMode(_ mode: String) -> Bool {
        if mode == "x" { return true }
        let letters = Set(mode)
        return !mode.isEmpty && letters.count == mode.count && letters.isSubset(of: ["r", "w"])
    }
}
