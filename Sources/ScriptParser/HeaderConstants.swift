/// Integer constants of C headers, read without a C compiler: what `#include <sys/socket.h>`
/// gives a script (`AF_INET`, `EPERM`, `O_RDONLY`, …). bpftrace hands its includes to clang;
/// scripts only ever use the object-like integer `#define`s and enum constants, so this reads
/// headers lightly: it follows `#include` chains through the catalog's search path, keeps every
/// `#define NAME body` without parameters and every enumerator, and folds those that are
/// integer constant expressions. Conditionals are not evaluated (every branch is read; the
/// first definition of a name wins), which suits the headers' constants, defined once.
public struct HeaderConstants {
    /// Object-like macro bodies by name, comments removed.
    private(set) var macros: [String: String] = [:]
    /// Enumerator expressions by name, in the order their enums list them.
    private(set) var enumerators: [String: String] = [:]
    private var visited: Set<String> = []

    public init() {}

    /// Reads `name` (as in `#include <name>`, or `"name"` when `quoted`) and what it
    /// includes, found through `search`; false when the header is nowhere. Nested headers that
    /// are missing are skipped: conditionals are not evaluated and may guard them.
    public mutating func include(_ name: String, quoted: Bool, search: HeaderSearch) -> Bool {
        guard let (path, text) = search.locate(name, quoted: quoted, from: nil) else { return false }
        read(HeaderFile(path: path, text: text), search: search, depth: 0)
        return true
    }

    private mutating func read(_ header: HeaderFile, search: HeaderSearch, depth: Int) {
        guard depth < HeaderSearch.maximumDepth, visited.insert(header.path).inserted else { return }
        let parsed = HeaderFileParser.parse(header.text)
        for (name, body) in parsed.macros where macros[name] == nil { macros[name] = body }
        for (name, value) in parsed.enumerators where enumerators[name] == nil { enumerators[name] = value }
        let directory = header.path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        for included in parsed.includes {
            if let (path, text) = search.locate(included.name, quoted: included.quoted, from: directory) {
                read(HeaderFile(path: path, text: text), search: search, depth: depth + 1)
            }
        }
    }

    /// Every constant that folds to an integer.
    public func values() -> [String: Int64] {
        var evaluator = ConstantFolder(macros: macros, enumerators: enumerators)
        var out: [String: Int64] = [:]
        for name in macros.keys { if let v = evaluator.value(of: name) { out[name] = v } }
        for name in enumerators.keys where out[name] == nil {
            if let v = evaluator.value(of: name) { out[name] = v }
        }
        return out
    }
}

/// A header's text and where it was found.
public struct HeaderFile: Sendable {
    public var path: String
    public var text: String
    public init(path: String, text: String) { self.path = path; self.text = text }
}

/// One header's `#include`s, object-like `#define`s and enumerators.
enum HeaderFileParser {
    struct Parsed {
        var includes: [(name: String, quoted: Bool)] = []
        var macros: [(String, String)] = []
        var enumerators: [(String, String)] = []
    }

    static func parse(_ text: String) -> Parsed {
        var out = Parsed()
        let bytes = withoutComments(Array(text.utf8))
        var enumStarts: [Int] = []
        var lineStart = 0
        while lineStart < bytes.count {
            // A logical line: backslash-newline continues it.
            var end = lineStart
            while end < bytes.count, !(bytes[end] == 10 && (end == 0 || bytes[end - 1] != 92)) { end += 1 }
            directive(bytes[lineStart..<end], into: &out, enumStarts: &enumStarts, base: lineStart)
            lineStart = end + 1
        }
        for start in enumStarts { out.enumerators += enumerators(in: bytes, from: start) }
        return out
    }

    private static func isBlank(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 92 || c == 10 || c == 13 }
    private static func isWord(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
    }

    /// One logical line: a directive is recorded; elsewhere, where each `enum` keyword starts.
    private static func directive(_ line: ArraySlice<UInt8>, into out: inout Parsed, enumStarts: inout [Int], base: Int) {
        var i = line.startIndex
        while i < line.endIndex, isBlank(line[i]) { i += 1 }
        guard i < line.endIndex, line[i] == UInt8(ascii: "#") else {
            // `enum` as a whole word, outside directives.
            var j = i
            while j + 4 <= line.endIndex {
                if line[j] == UInt8(ascii: "e"), line[j..<(j + 4)].elementsEqual("enum".utf8),
                   j == line.startIndex || !isWord(line[j - 1]), j + 4 == line.endIndex || !isWord(line[j + 4]) {
                    enumStarts.append(j)
                    j += 4
                } else {
                    j += 1
                }
            }
            return
        }
        i += 1
        while i < line.endIndex, isBlank(line[i]) { i += 1 }
        let wordStart = i
        while i < line.endIndex, isWord(line[i]) { i += 1 }
        let word = line[wordStart..<i]
        if word.elementsEqual("include".utf8) || word.elementsEqual("include_next".utf8) {
            while i < line.endIndex, line[i] != UInt8(ascii: "<"), line[i] != UInt8(ascii: "\"") { i += 1 }
            guard i < line.endIndex else { return }
            let close = line[i] == UInt8(ascii: "<") ? UInt8(ascii: ">") : UInt8(ascii: "\"")
            let quoted = line[i] != UInt8(ascii: "<")
            let nameStart = i + 1
            guard let nameEnd = line[nameStart...].firstIndex(of: close), nameEnd > nameStart else { return }
            out.includes.append((String(decoding: line[nameStart..<nameEnd], as: UTF8.self), quoted))
        } else if word.elementsEqual("define".utf8) {
            guard i < line.endIndex, isBlank(line[i]) else { return }
            while i < line.endIndex, isBlank(line[i]) { i += 1 }
            let nameStart = i
            while i < line.endIndex, isWord(line[i]) { i += 1 }
            // A function-like macro has `(` right after its name.
            guard i > nameStart, i == line.endIndex || line[i] != UInt8(ascii: "(") else { return }
            var bodyStart = i, bodyEnd = line.endIndex
            while bodyStart < bodyEnd, isBlank(line[bodyStart]) { bodyStart += 1 }
            while bodyEnd > bodyStart, isBlank(line[bodyEnd - 1]) { bodyEnd -= 1 }
            let body = line[bodyStart..<bodyEnd].map { $0 == 92 || $0 == 10 ? UInt8(32) : $0 }
            out.macros.append((String(decoding: line[nameStart..<i], as: UTF8.self), String(decoding: body, as: UTF8.self)))
        }
    }

    /// The text with `/* */` and `//` comments replaced by a space (string literals kept).
    static func withoutComments(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        var quote: UInt8?
        while i < b.count {
            let c = b[i]
            if let q = quote {
                out.append(c)
                if c == UInt8(ascii: "\\"), i + 1 < b.count { out.append(b[i + 1]); i += 2; continue }
                if c == q || c == UInt8(ascii: "\n") { quote = nil }
                i += 1
                continue
            }
            if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") {
                i += 2
                while i + 1 < b.count, !(b[i] == UInt8(ascii: "*") && b[i + 1] == UInt8(ascii: "/")) {
                    if b[i] == UInt8(ascii: "\n") { out.append(b[i]) }
                    i += 1
                }
                i += 2
                out.append(UInt8(ascii: " "))
                continue
            }
            if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "/") {
                while i < b.count, b[i] != UInt8(ascii: "\n") { i += 1 }
                continue
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { quote = c }
            out.append(c)
            i += 1
        }
        return out
    }

    /// `enum [tag] { A, B = expr, C }`: each enumerator's value as an expression (`B + 1` for C).
    static func enumerators(in code: [UInt8], from start: Int) -> [(String, String)] {
        var out: [(String, String)] = []
        // The enum's text: up to its closing brace.
        guard let close = code[start...].firstIndex(of: UInt8(ascii: "}")) else { return [] }
        // Directives inside it (glibc's `#define IPPROTO_IP IPPROTO_IP`) are not enumerators.
        let lines = code[start...close].split(separator: 10, omittingEmptySubsequences: false)
            .filter { $0.first { !isBlank($0) } != UInt8(ascii: "#") }
        let tokens = CTokens(String(decoding: Array(lines.joined(separator: [10])), as: UTF8.self))
        var i = 0
        while i < tokens.count {
            guard tokens[i] == "enum" else { i += 1; continue }
            var j = i + 1
            if j < tokens.count, tokens[j].isIdentifier { j += 1 }
            guard j < tokens.count, tokens[j] == "{" else { i = j; continue }
            j += 1
            var previous: String?
            var offset = 0
            while j < tokens.count, tokens[j] != "}" {
                guard tokens[j].isIdentifier else { j += 1; continue }
                let name = tokens[j]
                j += 1
                var value: String
                if j < tokens.count, tokens[j] == "=" {
                    j += 1
                    var depth = 0
                    var parts: [String] = []
                    while j < tokens.count, depth > 0 || (tokens[j] != "," && tokens[j] != "}") {
                        if tokens[j] == "(" { depth += 1 } else if tokens[j] == ")" { depth -= 1 }
                        parts.append(tokens[j])
                        j += 1
                    }
                    value = "(" + parts.joined(separator: " ") + ")"
                    previous = name
                    offset = 0
                } else {
                    offset += 1
                    value = previous.map { "(\($0) + \(offset))" } ?? String(offset - 1)
                }
                out.append((name, value))
                if j < tokens.count, tokens[j] == "," { j += 1 }
            }
            i = j
        }
        return out
    }
}
