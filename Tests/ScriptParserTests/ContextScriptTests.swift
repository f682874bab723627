import Foundation
import XCTest
@testable import ScriptParser

/// Runs every `Scripts/context/*.st` through the front end against the probe fixture catalog
/// (kprobes, uprobes, USDT, raw tracepoints, fentry): what each context — a `for` body over a
/// map, a predicate, BEGIN, END, nested loops — may read. Leading `// expect:` lines as in
/// `Scripts/check` (every diagnostic's first rendered line and its `HINT:` lines, in order);
/// `// expect: ok` means none, and then the program must also be produced.
final class ContextScriptTests: XCTestCase {
    func testContextScripts() throws {
        let folder = try XCTUnwrap(Bundle.module.url(forResource: "Scripts", withExtension: nil))
            .appendingPathComponent("context")
        let scripts = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "st" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertGreaterThanOrEqual(scripts.count, 6)
        for url in scripts {
            let text = try String(contentsOf: url, encoding: .utf8)
            let name = url.lastPathComponent
            let expected = SyntaxScriptTests.expectations(in: text)
            XCTAssertFalse(expected.isEmpty, "\(name) has no // expect: lines")
            let file = SourceFile(name: name, text: text)
            let (typed, diagnostics) = FrontEnd.compile(file, catalog: ProbeFixtureCatalog(),
                                                        options: FrontEndOptions(settings: Self.settings))
            let actual = diagnostics.items.flatMap { d -> [String] in
                let lines = DiagnosticRenderer.render(d, in: file).split(separator: "\n").map(String.init)
                guard let header = lines.first else { return [] }
                return [String(header.dropFirst(file.name.count + 1))] + lines.dropFirst(3)
            }
            XCTAssertEqual(actual, expected == ["ok"] ? [] : expected, name)
            if expected == ["ok"] { XCTAssertNotNil(typed, name) }
        }
    }

    /// `cpid` needs `-c`; the scripts use it to show values that need no context.
    static var settings: Settings {
        var s = Settings()
        s.hasChildCommand = true
        return s
    }
}
