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

    /// The integer constants of the script's includes (with `--include` first), as `#define`s
    /// of their values (HeaderConstants.swift), plus an error for each top-level include that
    /// is nowhere to be found.
    func macros(for preamble: Preamble) -> (defines: [MacroDefinition], errors: [Diagnostic]) {
        var headers = HeaderConstants()
        var errors: [Diagnostic] = []
        for name in forcedIncludes where !headers.include(name, quoted: false, search: self) {
            errors.append(.error(SourceRange(0, 0), "'\(name)' file not found (--include)"))
        }
        for (i, name) in preamble.includes.enumerated() {
            let range = i < preamble.includeRanges.count ? preamble.includeRanges[i] : SourceRange(0, 0)
            let quoted = i < preamble.includeQuoted.count && preamble.includeQuoted[i]
            if !headers.include(name, quoted: quoted, search: self) {
                errors.append(.error(range, "'\(name)' file not found"))
            }
        }
        let defines = headers.values().sorted { $0.key < $1.key }.map { name, value in
            MacroDefinition(name: name, body: value < 0 ? "(\(value))" : String(value), range: SourceRange(0, 0))
        }
        return (defines, errors)
    }
}
