import Foundation
import XCTest
@testable import ScriptParser

/// Runs every `Scripts/check/*.st` through the whole front end (parser, probe expansion, type
/// checker) against the fixture catalog. The leading `// expect:` lines list every diagnostic's
/// first rendered line (`LINE:COL-COL: ERROR: message`) and any `HINT:` line after it, in
/// order; `// expect: ok` means none. `// args:` gives positional parameters.
final class CheckScriptTests: XCTestCase {
    func testCheckScripts() throws {
        let folder = try XCTUnwrap(Bundle.module.url(forResource: "Scripts", withExtension: nil))
            .appendingPathComponent("check")
        let scripts = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "st" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertGreaterThanOrEqual(scripts.count, 20)
        for url in scripts {
            let text = try String(contentsOf: url, encoding: .utf8)
            let name = url.lastPathComponent
            let expected = SyntaxScriptTests.expectations(in: text)
            XCTAssertFalse(expected.isEmpty, "\(name) has no // expect: lines")
            let args = text.split(separator: "\n").first { $0.hasPrefix("// args: ") }
                .map { $0.dropFirst(9).split(separator: " ").map(String.init) } ?? []
            let actual = Self.diagnostics(of: SourceFile(name: name, text: text), arguments: args)
            XCTAssertEqual(actual, expected == ["ok"] ? [] : expected, name)
        }
    }

    static func diagnostics(of file: SourceFile, arguments: [String]) -> [String] {
        let (_, diagnostics) = FrontEnd.compile(file, catalog: FixtureCatalog(),
                                                options: FrontEndOptions(positionalArguments: arguments))
        return diagnostics.items.flatMap { d -> [String] in
            let lines = DiagnosticRenderer.render(d, in: file).split(separator: "\n").map(String.init)
            guard let header = lines.first else { return [] }
            return [String(header.dropFirst(file.name.count + 1))] + lines.dropFirst(3)
        }
    }
}
