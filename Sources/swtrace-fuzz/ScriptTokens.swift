/// A rough split of a script into tokens for mutation: words, numbers, strings, comments and
/// runs of operator characters. It need not agree with swtrace's lexer (which is internal to
/// ScriptParser and would report errors, not hand back pieces); a mutation only has to land
/// on boundaries a person editing the script would see.
enum ScriptTokens {
    static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var tokens: [[UInt8]] = []
        var i = 0
        func isWord(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
                || c == 0x24 || c == 0x40 || c >= 0x80
        }
        while i < bytes.count {
            let start = i
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                    i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                i = min(i + 1, bytes.count)
            } else if c == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "/") {
                while i < bytes.count, bytes[i] != UInt8(ascii: "\n") { i += 1 }
            } else if isWord(c) {
                while i < bytes.count, isWord(bytes[i]) { i += 1 }
            } else if c == 0x20 || c == 0x09 || c == 0x0A {
                while i < bytes.count, bytes[i] == c { i += 1 }
            } else {
                i += 1
            }
            tokens.append(Array(bytes[start..<i]))
        }
        return tokens
    }
}
