import Foundation
import XCTest
import BPFCodegen
import ScriptParser
import SystemCatalog
import TestSupport
import TraceContract
@testable import TraceRuntime

/// The manifest is the whole contract between compile time and run time: it survives an
/// encode/decode round trip, and a runtime given only the decoded manifest and the object's
/// bytes loads and attaches them.
final class ManifestContractTests: XCTestCase {
    private let script = #"""
        tracepoint:syscalls:sys_enter_getpid,tracepoint:syscalls:sys_enter_getppid {
            @calls[probe, comm] = count();
            @h = hist(pid);
            printf("%s %d %-8s\n", probe, pid, comm);
        }
        interval:ms:10 { @stack[kstack(3)] = count(); exit(); }
        """#

    private func compile() throws -> Artifact {
        let source = SourceFile(name: "contract.st", text: script)
        let (typed, diagnostics) = FrontEnd.compile(source, catalog: TracefsCatalog())
        guard let typed else {
            XCTFail(DiagnosticRenderer.render(diagnostics, in: source))
            throw StoppedAfterFailure()
        }
        return try ObjectEmitter.compile(typed)
    }

    func testManifestCarriesWhatTheRuntimeNeeds() throws {
        try requireRoot("needs root to read tracefs formats")
        let manifest = try compile().manifest
        XCTAssertEqual(manifest.script, ScriptText(name: "contract.st", text: script))
        let shared = try XCTUnwrap(manifest.programs.first { $0.attachPoints.count == 2 })
        XCTAssertEqual(shared.cookies.count, 2)
        XCTAssertNotEqual(shared.cookies[0], shared.cookies[1])
        let strings = try XCTUnwrap(manifest.probeStrings)
        XCTAssertEqual(Set(strings.entries.map(\.text)).isSuperset(of: ["tracepoint:syscalls:sys_enter_getpid",
                                                                        "tracepoint:syscalls:sys_enter_getppid"]), true)
        XCTAssertEqual(manifest.stackMaps, [StackMapDescriptor(limit: 3, name: "stack_3")])
        XCTAssertEqual(manifest.lossCounters, LossCounters())
        XCTAssertNil(manifest.childPIDMap, "cpid is not used")
    }

    func testDecodedManifestLoadsAndAttaches() throws {
        try requireRoot()
        let artifact = try compile()
        let data = try JSONEncoder().encode(artifact.compiled)
        let decoded = try JSONDecoder().decode(CompiledTrace.self, from: data)
        XCTAssertEqual(decoded.manifest, artifact.manifest)
        XCTAssertEqual(decoded.object, artifact.object)
        let object = try LoadedObject(trace: decoded)
        XCTAssertEqual(try ProbeAttacher(object: object).attachAll(), 3)
    }
}
