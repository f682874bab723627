/// Delta debugging (Zeller's ddmin) over a crasher's lines, then its tokens: the smallest
/// script that still ends the same way (same outcome and signature), for a regression test a
/// person can read.
struct CrashMinimiser {
    /// Runs the candidate and says whether it still shows the bug.
    let reproduces: ([UInt8]) -> Bool
    /// Upper bound on runs of swtrace for one crasher.
    var budget = 400

    mutating func minimise(_ script: [UInt8]) -> [UInt8] {
        var lines = split(script, on: UInt8(ascii: "\n")).map { $0 + [UInt8(ascii: "\n")] }
        lines = ddmin(lines)
        var tokens = ScriptTokens.split(lines.flatMap { $0 })
        tokens = ddmin(tokens)
        // Whitespace runs shrink to one space where that still reproduces.
        var result = tokens.flatMap { $0 }
        for i in tokens.indices.reversed() where tokens[i].count > 1 && tokens[i].allSatisfy({ $0 == 0x20 || $0 == 0x0A }) {
            var t = tokens
            t[i] = [tokens[i].contains(0x0A) ? 0x0A : 0x20]
            if test(t.flatMap { $0 }) { tokens = t; result = t.flatMap { $0 } }
        }
        return result
    }

    private func split(_ bytes: [UInt8], on separator: UInt8) -> [[UInt8]] {
        bytes.split(separator: separator, omittingEmptySubsequences: false).map(Array.init)
    }

    private mutating func test(_ candidate: [UInt8]) -> Bool {
        guard budget > 0 else { return false }
        budget -= 1
        return reproduces(candidate)
    }

    /// ddmin: try removing chunks of size n/k, growing k when nothing can go.
    private mutating func ddmin(_ input: [[UInt8]]) -> [[UInt8]] {
        var current = input
        var granularity = 2
        while current.count >= 2, budget > 0 {
            let chunk = max(1, current.count / granularity)
            var removedAny = false
            var start = 0
            while start < current.count {
                var candidate = current
                candidate.removeSubrange(start..<min(current.count, start + chunk))
                if !candidate.isEmpty, test(candidate.flatMap { $0 }) {
                    current = candidate
                    removedAny = true
                } else {
                    start += chunk
                }
            }
            if removedAny {
                granularity = max(granularity - 1, 2)
            } else {
                if chunk == 1 { break }
                granularity = min(current.count, granularity * 2)
            }
        }
        return current
    }
}
