import XCTest
import SystemCatalog
import TestSupport
import BPFCodegen
import ScriptParser
import TraceRuntime

/// What every codegen test does: compile a script against this machine's tracefs and BTF, and
/// load the object (not attach it) so the kernel's verifier judges the code.
extension XCTestCase {
    /// A script through the front end and codegen, IR kept; a front-end error fails the test
    /// at the caller's line with the rendered diagnostics.
    func compileScript(_ text: String, settings: Settings = Settings(),
                       file: StaticString = #filePath, line: UInt = #line) throws -> Artifact {
        let source = SourceFile(name: "test.st", text: text)
        let (typed, diagnostics) = FrontEnd.compile(source, catalog: TracefsCatalog(), options: FrontEndOptions(settings: settings))
        guard let typed else {
            XCTFail(DiagnosticRenderer.render(diagnostics, in: source), file: file, line: line)
            throw StoppedAfterFailure()
        }
        return try ObjectEmitter.compile(typed, options: CodegenOptions(keepIR: true))
    }

    /// Loads `artifact`; a refusal fails the test with the sentence and the verifier's log.
    func assertLoads(_ name: String, _ artifact: Artifact, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try LoadedObject(trace: artifact.compiled)
        } catch let e as RuntimeError {
            XCTFail("\(name): \(e.message)\n\(e.detail ?? "")", file: file, line: line)
        } catch {
            XCTFail("\(name): \(error)", file: file, line: line)
        }
    }

    /// Each named script compiled with `settings` and loaded (as root; skipped otherwise).
    func assertEachLoads(_ scripts: [(String, String)], settings: Settings = Settings(),
                         file: StaticString = #filePath, line: UInt = #line) throws {
        try XCTSkipUnless(getuid() == 0, "needs root to read BTF and load BPF programs")
        for (name, text) in scripts {
            assertLoads(name, try compileScript(text, settings: settings, file: file, line: line), file: file, line: line)
        }
    }
}
