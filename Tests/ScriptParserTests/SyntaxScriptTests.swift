import Foundation
import XCTest
import ScriptParser

/// Runs every `Scripts/syntax/*.st`: the `// expect:` lines at the top of each file list the
/// diagnostics the parser must report, as rendered (`LINE:COL-COL: ERROR: message`), in order;
/// `// expect: ok` means none. Adding a case is adding a file.
final class SyntaxScriptTests: XCTestCase {
    func testSyntaxScripts() throws {
        let folder = try XCTUnwrap(Bundle.module.url(forResource: "Scripts", withExtension: nil))
            .appendingPathComponent("syntax")
        let scripts = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "st" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertGreaterThanOrEqual(scripts.count, 15)
        for url in scripts {
            let text = try String(contentsOf: url, encoding: .utf8)
            let name = url.lastPathComponent
            let expected = Self.expectations(in: text)
            XCTAssertFalse(expected.isEmpty, "\(name) has no // expect: lines")
            let actual = Self.diagnostics(of: SourceFile(name: name, text: text))
            XCTAssertEqual(actual, expected == ["ok"] ? [] : expected, name)
        }
    }

    /// The `// expect: …` lines of the leading comment block.
    static func expectations(in text: String) -> [String] {
        let prefix = "// expect: "
        var result: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("//") else { break }
            if line.hasPrefix(prefix) { result.append(String(line.dropFirst(prefix.count))) }
        }
        return result
    }

    /// The first rendered line of each diagnostic, without the file name.
    static func diagnostics(of file: SourceFile) -> [String] {
        let (_, diagnostics) = Parser.parse(file)
        return diagnostics.items.map { d in
            let header = DiagnosticRenderer.render(d, in: file).prefix { $0 != "\n" }
            return String(header.dropFirst(file.name.count + 1))
        }
    }
}
