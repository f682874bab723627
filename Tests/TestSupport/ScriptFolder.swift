import Foundation

/// A folder of `*.st` test scripts whose expectations are written beside the code, in leading
/// comment lines: the language as a set of examples (Crafting Interpreters' test layout).
public struct ScriptFolder {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    /// `Scripts/<name>` next to the test file that asks (`#filePath`).
    public init(named name: String, besides testFile: String) {
        url = URL(fileURLWithPath: testFile).deletingLastPathComponent().appendingPathComponent("Scripts/\(name)")
    }

    /// Every script, sorted by file name.
    public func scripts() throws -> [Script] {
        try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "st" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map { Script(url: $0, text: try String(contentsOf: $0, encoding: .utf8)) }
    }
}

/// One test script and what its header comments say.
public struct Script {
    public let url: URL
    public let text: String
    public var name: String { url.lastPathComponent }

    /// The `// expect: …` lines of the leading comment block, in order.
    public var expectations: [String] { header("expect") }

    /// `// args: a b c`: positional parameters.
    public var arguments: [String] {
        header("args").first.map { $0.split(separator: " ").map(String.init) } ?? []
    }

    /// The values of `// KEY: value` lines in the leading comment block.
    public func header(_ key: String) -> [String] {
        let prefix = "// \(key): "
        var result: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("//") else { break }
            if line.hasPrefix(prefix) { result.append(String(line.dropFirst(prefix.count))) }
        }
        return result
    }

    /// The file `NAME.EXT` beside the script (expected output), or nil when there is none.
    public func companion(_ ext: String) -> String? {
        try? String(contentsOf: url.deletingPathExtension().appendingPathExtension(ext), encoding: .utf8)
    }
}
