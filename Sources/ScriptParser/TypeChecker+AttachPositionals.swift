/// `$1…$N` inside attach points (`i:ms:$1`, `BEG$1`): replaced by the command line's text
/// before the attach point is expanded, as bpftrace does.
extension TypeChecker {
    func substitutingPositionals(_ ap: AttachPoint) -> AttachPoint {
        guard ap.text.contains("$") else { return ap }
        var out = ap
        out.provider = substitutingPositionals(in: ap.provider)
        out.parts = ap.parts.map { substitutingPositionals(in: $0) }
        out.text = substitutingPositionals(in: ap.text)
        return out
    }

    /// `text` with every `$N` replaced by argument N (empty when not given).
    func substitutingPositionals(in text: String) -> String {
        var out = ""
        var chars = text[...]
        while let dollar = chars.firstIndex(of: "$") {
            out += chars[..<dollar]
            let afterDollar = chars.index(after: dollar)
            let digits = chars[afterDollar...].prefix { $0.isASCII && $0.isNumber }
            if let n = Int(digits) {
                out += n >= 1 && n <= positionalArguments.count ? positionalArguments[n - 1] : ""
                chars = chars[digits.endIndex...]
            } else {
                out += "$"
                chars = chars[afterDollar...]
            }
        }
        return out + chars
    }
}

extension TypeChecker {
    /// `$N` or `$N + K`: what str() turns into the command line's text.
    static func isPositionalText(_ e: Expr) -> Bool {
        if case .positional = e.kind { return true }
        if case .binary(.add, let l, _) = e.kind, case .positional = l.kind { return true }
        return false
    }
}
