import XCTest
import BPFCodegen
import ScriptParser
import TraceRuntime

/// Map entry creation and hist()'s log2 are emitted once per object, as BPF subprograms every
/// probe calls (IRGen+MapEntry), and the result still passes the verifier.
final class SharedPathTests: XCTestCase {
    private let script = """
        t:syscalls:sys_enter_read { @a[pid] = count(); @b[tid] = sum(args->count); @h = hist(args->count); @x[comm]++; }
        t:syscalls:sys_exit_read { @c[cpu] = count(); @h2[pid] = hist(args->ret); @x[comm] += 2; }
        """

    private func compile() throws -> Artifact {
        let source = SourceFile(name: "shared.st", text: script)
        let (typed, diagnostics) = FrontEnd.compile(source, catalog: TracefsCatalog())
        guard let typed else {
            XCTFail(DiagnosticRenderer.render(diagnostics, in: source))
            throw ScriptDidNotCompile()
        }
        return try ObjectEmitter.compile(typed, options: CodegenOptions(keepIR: true))
    }

    func testEachSharedPathIsOneFunctionCalledFromEveryUse() throws {
        let ir = try XCTUnwrap(try compile().llvmIR)
        func count(_ needle: String) -> Int { ir.components(separatedBy: needle).count - 1 }
        XCTAssertEqual(count("define internal i64 @aggregation_entry("), 1)
        XCTAssertEqual(count("define internal i64 @map_entry("), 1)
        XCTAssertEqual(count("define internal i64 @hist_bucket("), 1)
        // @h has no key: an array slot that always exists needs no creation path.
        XCTAssertEqual(count("call i64 @aggregation_entry("), 4, "one call per keyed aggregation")
        XCTAssertEqual(count("call i64 @map_entry("), 2, "one call per read-modify-write")
        XCTAssertEqual(count("call i64 @hist_bucket("), 2)
    }

    func testTheSharedPathsPassTheVerifier() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to load BPF programs")
        let artifact = try compile()
        XCTAssertNoThrow(try LoadedObject(trace: artifact.compiled))
    }
}

private struct ScriptDidNotCompile: Error {}
