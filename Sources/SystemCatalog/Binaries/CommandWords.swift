/// Splits a `-c` command into words the way a shell would for a simple command: blanks
/// separate words, `'…'` keeps everything literally, `"…"` keeps blanks (a backslash there
/// escapes only `$`, backquote, `"`, backslash and newline), a backslash outside quotes escapes
/// one character. No expansion, pipes or redirections: the command is run directly (not
/// through a shell), so its pid is `cpid`.
public enum CommandWords {
    public enum SplitError: Error, Equatable { case unterminatedQuote, empty }

    public static func split(_ command: String) throws(SplitError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in command {
            if escaped {
                // Inside double quotes a backslash escapes only what is special there.
                if quote == "\"", !"$`\"\\\n".contains(c) { current.append("\\") }
                current.append(c)
                escaped = false
                continue
            }
            if let q = quote {
                if c == q {
                    quote = nil
                } else if c == "\\", q == "\"" {
                    escaped = true
                } else {
                    current.append(c)
                }
                continue
            }
            switch c {
            case " ", "\t", "\n":
                if inWord { words.append(current); current = ""; inWord = false }
            case "'", "\"":
                quote = c
                inWord = true
            case "\\":
                escaped = true
                inWord = true
            default:
                current.append(c)
                inWord = true
            }
        }
        if quote != nil || escaped { throw .unterminatedQuote }
        if inWord { words.append(current) }
        if words.isEmpty { throw .empty }
        return words
    }
}
