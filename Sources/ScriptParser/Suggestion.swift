/// "Did you mean …?" candidates: the nearest names by edit distance, only when close.
public enum Suggestion {
    /// The closest candidate within a distance that scales with the name's length, or nil.
    /// Between equally distant candidates, the one of the name's own length wins: a typo that
    /// swaps two letters (`prinft`) means `printf`, not the shorter `print`.
    public static func closest<S: Sequence>(to name: String, among candidates: S) -> String? where S.Element == String {
        let limit = max(1, min(3, name.count / 3))
        var best: (name: String, distance: Int, lengthGap: Int)?
        for c in candidates where c != name {
            // Cheap length filter before the quadratic distance.
            let gap = abs(c.count - name.count)
            if gap > limit { continue }
            let d = editDistance(name, c)
            guard d <= limit else { continue }
            if let b = best, (b.distance, b.lengthGap, b.name) <= (d, gap, c) { continue }
            best = (c, d, gap)
        }
        return best?.name
    }

    /// Damerau-Levenshtein (optimal string alignment): a swap of two letters counts once.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev2 = [Int](repeating: 0, count: y.count + 1)
        var prev = Array(0...y.count)
        var cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { v = min(v, prev2[j - 2] + 1) }
                cur[j] = v
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[y.count]
    }
}

/// Shell-style wildcard matching as probe specs use it: `*` any run, `?` one character.
public enum Glob {
    public static func hasWildcard(_ s: String) -> Bool { s.contains("*") || s.contains("?") }

    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
