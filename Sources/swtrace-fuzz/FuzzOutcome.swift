/// What one run of swtrace on a fuzzed program came to.
enum FuzzOutcome: String, CaseIterable, Comparable {
    /// Compiled (and with --dry-run, loaded into the kernel): exit 0.
    case loaded
    /// Exit 1 with a `FILE:L:C` diagnostic: the front end refused it, as it should.
    case locatedError = "located error"
    /// Exit 1 with a clear message that is not tied to a place (a probe that cannot load here,
    /// a missing binary): acceptable, but worth a look if it is frequent.
    case otherError = "other error"
    /// The front end accepted the program and the kernel's verifier refused it.
    case verifierRejection = "verifier rejection"
    /// swtrace said "internal error", or LLVM complained: a bug, though not a trap.
    case internalError = "internal error"
    /// Killed by a signal, a Swift "Fatal error", or an exit status other than 0 and 1.
    case crash
    /// Did not finish within the time limit.
    case hang

    static func < (a: FuzzOutcome, b: FuzzOutcome) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Outcomes that fail a fuzz run.
    var isFailure: Bool { self == .crash || self == .hang }
    /// Outcomes reported (and minimised) as findings.
    var isFinding: Bool { self == .crash || self == .hang || self == .verifierRejection || self == .internalError }
}

/// The outcome plus what identifies the bug behind it, so the minimiser keeps the same crash
/// and not merely any crash.
struct FuzzResult {
    var outcome: FuzzOutcome
    /// The first telling line: the "Fatal error" message, the signal, the verifier's reason.
    var signature: String
    var stderr: String
    var seconds: Double

    /// Classifies a finished swtrace run.
    static func classify(status: ProcessStatus, stderr: String, seconds: Double) -> FuzzResult {
        let lines = stderr.split(separator: "\n").map(String.init)
        func first(_ needle: String) -> String? { lines.first { $0.contains(needle) } }
        switch status {
        case .timedOut:
            return FuzzResult(outcome: .hang, signature: "timeout", stderr: stderr, seconds: seconds)
        case .signaled(let sig):
            let fatal = first("Fatal error").map(stripAddresses) ?? ""
            return FuzzResult(outcome: .crash, signature: "signal \(sig) \(fatal)", stderr: stderr, seconds: seconds)
        case .exited(let code):
            if let fatal = first("Fatal error") {
                return FuzzResult(outcome: .crash, signature: stripAddresses(fatal), stderr: stderr, seconds: seconds)
            }
            if code != 0 && code != 1 {
                return FuzzResult(outcome: .crash, signature: "exit \(code)", stderr: stderr, seconds: seconds)
            }
            if let bad = first("internal error") ?? first("LLVM ERROR") ?? first("could not open the generated") {
                return FuzzResult(outcome: .internalError, signature: bad, stderr: stderr, seconds: seconds)
            }
            if code == 0 { return FuzzResult(outcome: .loaded, signature: "", stderr: stderr, seconds: seconds) }
            if lines.contains(where: isLocatedError) {
                return FuzzResult(outcome: .locatedError, signature: "", stderr: stderr, seconds: seconds)
            }
            if let v = first("verifier rejected") ?? first("refused to load the BPF object") {
                return FuzzResult(outcome: .verifierRejection, signature: verifierReason(v), stderr: stderr, seconds: seconds)
            }
            return FuzzResult(outcome: .otherError, signature: lines.first ?? "", stderr: stderr, seconds: seconds)
        }
    }

    /// `NAME:L:C: ERROR:` or `NAME:L:C-C: ERROR:`.
    static func isLocatedError(_ line: String) -> Bool {
        guard let r = line.range(of: ": ERROR:") else { return false }
        let place = line[..<r.lowerBound].split(separator: ":")
        guard place.count >= 3 else { return false }
        let line = place[place.count - 2], column = place[place.count - 1]
        return line.allSatisfy(\.isNumber) && column.allSatisfy { $0.isNumber || $0 == "-" }
    }

    /// The verifier's sentence without the probe name and line, so two scripts that hit the
    /// same rejection compare equal.
    static func verifierReason(_ line: String) -> String {
        guard let colon = line.range(of: ": ", options: .backwards, range: line.range(of: " at ").map { $0.upperBound..<line.endIndex }) else {
            return normalised(line)
        }
        return normalised(String(line[colon.upperBound...]))
    }

    /// Register numbers and offsets vary with the surrounding code; the reason does not.
    static func normalised(_ s: String) -> String {
        var out = ""
        var lastWasDigit = false
        for c in s {
            if c.isNumber {
                if !lastWasDigit { out.append("N") }
                lastWasDigit = true
            } else {
                out.append(c)
                lastWasDigit = false
            }
        }
        return out
    }

    /// Drops hexadecimal addresses from a trap message.
    static func stripAddresses(_ s: String) -> String {
        s.split(separator: " ").filter { !$0.hasPrefix("0x") }.joined(separator: " ")
    }
}
