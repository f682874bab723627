/// `#include`, `-I DIR` and `--include FILE`: types come from BTF, so what a header gives a
/// script is its constants (`EPERM`, `O_RDONLY`, …): the object-like `#define`s whose value is
/// a number or another name. Headers are found the way a C compiler finds them; one that is
/// nowhere is an error at its `#include`, as with bpftrace's clang.
public struct HeaderSearch: Sendable {
    /// `-I DIR`, searched first, in order.
    public var directories: [String]
    /// `--include FILE`: read as if the script began with `#include <FILE>`.
    public var forcedIncludes: [String]
    /// The text of a file, or nil when it cannot be read (a closure so tests need no files).
    public var read: @Sendable (String) -> String?

    /// Where a C compiler for this machine looks after the `-I` directories.
    public static let systemDirectories = ["/usr/local/include", "/usr/include/x86_64-linux-gnu", "/usr/include"]
    /// Headers including headers: far deeper than any real chain, and a guard against loops.
    static let maximumDepth = 32

    public init(directories: [String] = [], forcedIncludes: [String] = [], read: @escaping @Sendable (String) -> String?) {
        self.directories = directories
        self.forcedIncludes = forcedIncludes
        self.read = read
    }

    /// The path `name` means, and its text; quoted names are looked up beside the script first.
    func locate(_ name: String, quoted: Bool, from directory: String?) -> (path: String, text: String)? {
        if name.hasPrefix("/") { return read(name).map { (name, $0) } }
        var candidates = quoted ? [directory ?? "."] : []
        candidates += directories + Self.systemDirectories
        for dir in candidates {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            if let text = read(path) { return (path, text) }
        }
        return nil
    }

    /// The script's includes (with `--include` first) turned into macro definitions, plus an
    /// error for each top-level include that is nowhere to be found.
    func macros(for preamble: Preamble) -> (defines: [MacroDefinition], errors: [Diagnostic]) {
        var collector = MacroCollector(search: self)
        for name in forcedIncludes {
            if collector.include(name, quoted: false, from: nil, depth: 0) == false {
                collector.errors.append(.error(SourceRange(0, 0), "'\(name)' file not found (--include)"))
            }
        }
        for (i, name) in preamble.includes.enumerated() {
            let range = i < preamble.includeRanges.count ? preamble.includeRanges[i] : SourceRange(0, 0)
            let quoted = i < preamble.includeQuoted.count && preamble.includeQuoted[i]
            if collector.include(name, quoted: quoted, from: nil, depth: 0) == false {
                collector.errors.append(.error(range, "'\(name)' file not found"))
            }
        }
        return (collector.defines, collector.errors)
    }
}

/// Reads headers recursively, each once, keeping the `#define`s a script can use as values.
struct MacroCollector {
    let search: HeaderSearch
    var defines: [MacroDefinition] = []
    var errors: [Diagnostic] = []
    private var visited: Set<String> = []

    init(search: HeaderSearch) { self.search = search }

    /// False when the header is nowhere; nested headers that are missing are skipped, as
    /// conditionals are not evaluated and may guard them.
    mutating func include(_ name: String, quoted: Bool, from directory: String?, depth: Int) -> Bool {
        guard depth < HeaderSearch.maximumDepth else { return true }
        guard let (path, text) = search.locate(name, quoted: quoted, from: directory) else { return false }
        guard visited.insert(path).inserted else { return true }
        let here = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        for line in Self.logicalLines(text) {
            switch HeaderLine(line) {
            case .include(let inner, let innerQuoted):
                _ = include(inner, quoted: innerQuoted, from: here, depth: depth + 1)
            case .define(let macro, let body):
                defines.append(MacroDefinition(name: macro, body: body, range: SourceRange(0, 0)))
            case .other:
                break
            }
        }
        return true
    }

    /// Lines with `\`-newline continuations joined.
    static func logicalLines(_ text: String) -> [Substring] {
        var out: [Substring] = []
        var pending = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            if pending.isEmpty {
                out.append(line)
            } else {
                out.append(Substring(pending + line))
                pending = ""
            }
        }
        return out
    }
}

/// One line of a header, as far as constants are concerned.
enum HeaderLine: Equatable {
    case include(String, quoted: Bool)
    /// `#define NAME VALUE` where VALUE is a number or a name, maybe negated or parenthesised.
    case define(String, String)
    case other

    init(_ line: Substring) {
        self = .other
        var rest = line.drop { $0 == " " || $0 == "\t" }
        guard rest.first == "#" else { return }
        rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
        if rest.hasPrefix("include") {
            let operand = rest.dropFirst("include".count).drop { $0 == " " || $0 == "\t" }
            guard let open = operand.first, open == "<" || open == "\"" else { return }
            let close: Character = open == "<" ? ">" : "\""
            let inner = operand.dropFirst()
            guard let end = inner.firstIndex(of: close), end > inner.startIndex else { return }
            self = .include(String(inner[..<end]), quoted: open == "\"")
        } else if rest.hasPrefix("define") {
            let after = rest.dropFirst("define".count)
            guard after.first == " " || after.first == "\t" else { return }
            let nameAndBody = after.drop { $0 == " " || $0 == "\t" }
            let name = nameAndBody.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            // `NAME(` is a function-like macro: not a value.
            guard !name.isEmpty, !name.first!.isNumber, nameAndBody.dropFirst(name.count).first != "(" else { return }
            var body = nameAndBody.dropFirst(name.count)
            if let comment = body.indices.first(where: { i in
                body[i] == "/" && body.index(after: i) < body.endIndex && "*/".contains(body[body.index(after: i)])
            }) {
                body = body[..<comment]
            }
            var value = body.trimmingBlanksSubstring()
            guard Self.isConstant(String(value)) else { return }
            // The script's lexer reads C numbers without their `u`/`l` type suffixes.
            if value.first?.isNumber == true {
                while let last = value.last, "uUlL".contains(last) { value = value.dropLast() }
            }
            self = .define(String(name), String(value))
        }
    }

    /// A number (with C's `u`/`l` suffixes) or an identifier, maybe negated, maybe in parentheses.
    static func isConstant(_ text: String) -> Bool {
        var t = Substring(text)
        while t.hasPrefix("("), t.hasSuffix(")") { t = t.dropFirst().dropLast().trimmingBlanksSubstring() }
        if t.hasPrefix("-") { t = t.dropFirst().trimmingBlanksSubstring() }
        guard let first = t.first else { return false }
        if first.isNumber { return t.allSatisfy { $0.isHexDigit || $0 == "x" || $0 == "X" || $0 == "u" || $0 == "U" || $0 == "l" || $0 == "L" } }
        return (first.isLetter || first == "_") && t.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }
}

extension Substring {
    func trimmingBlanks() -> String { String(trimmingBlanksSubstring()) }

    func trimmingBlanksSubstring() -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else { return "" }
        return self[first...last]
    }
}
