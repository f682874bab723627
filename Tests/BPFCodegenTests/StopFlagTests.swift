import Glibc
import XCTest
import BPFCodegen
import ScriptParser
@testable import TraceRuntime

/// The stop flag (IRGen+StopFlag, ProbeRelease): once set, attached probes have no effect, so
/// the maps printed at exit are final although the probes are detached only afterwards.
final class StopFlagTests: XCTestCase {
    private func compile(_ text: String) throws -> Artifact {
        let source = SourceFile(name: "stop.st", text: text)
        let (typed, diagnostics) = FrontEnd.compile(source, catalog: TracefsCatalog())
        guard let typed else {
            XCTFail(DiagnosticRenderer.render(diagnostics, in: source))
            throw ScriptDidNotCompile()
        }
        return try ObjectEmitter.compile(typed, options: CodegenOptions())
    }

    func testOnlyScriptsWithProbesBesidesBeginAndEndHaveTheFlag() throws {
        XCTAssertNil(try compile("BEGIN { exit(); } END { printf(\"e\\n\"); }").manifest.stopFlagMap)
        XCTAssertEqual(try compile("BEGIN { } t:syscalls:sys_enter_getppid { @n = count(); }").manifest.stopFlagMap,
                       "stopped")
        XCTAssertEqual(try compile("interval:ms:100 { exit(); }").manifest.stopFlagMap, "stopped")
    }

    func testAStoppedProbeCountsNothingMore() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to attach BPF programs")
        let text = "t:syscalls:sys_enter_getppid /pid == \(getpid())/ { @n = count(); @last[tid] = nsecs; }"
        let artifact = try compile(text)
        let object = try LoadedObject(trace: artifact.compiled)
        XCTAssertEqual(try ProbeAttacher(object: object).attachAll(), 1)
        let reader = MapReader(object: object)
        func printed() -> String {
            artifact.manifest.maps.map { MapPrinter.text(reader.snapshot($0), top: nil, divisor: nil) }.joined()
        }
        for _ in 0..<10 { _ = getppid() }
        let before = printed()
        XCTAssertTrue(before.contains("@n: 10\n"), before)

        XCTAssertTrue(object.stopProbes())
        for _ in 0..<10 { _ = getppid() }
        XCTAssertEqual(printed(), before, "a stopped probe changed its maps")
        object.detachAll()
    }
}
private struct ScriptDidNotCompile: Error {}
