import Foundation
import XCTest
import TraceContract
@testable import TraceRuntime

/// The AOT payload: a compiled trace appended to an executable and read back, and the sentence
/// for a kernel type the running kernel lacks.
final class EmbeddedTraceTests: XCTestCase {
    private func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "swtrace-embedded-\(getpid())-\(name)"
    }

    private func sampleTrace() -> CompiledTrace {
        var manifest = Manifest()
        manifest.script = ScriptText(name: "x.st", text: "BEGIN { printf(\"%d\\n\", 1); }")
        manifest.events = [.printf(PrintfFormat("%d\n"), [ArgumentSlot(offset: 8, kind: .signed)]), .exit]
        manifest.programs = [ProgramDescriptor(name: "probe_0", attachPoints: [.begin], cookies: [0],
                                               displayName: "BEGIN", range: SourceRange(0, 5))]
        manifest.stackMaps = [StackMapDescriptor(limit: 3, name: "stack_3")]
        return CompiledTrace(object: Array(repeating: 0x7f, count: 1000) + [1, 2, 3], manifest: manifest)
    }

    func testRoundTripThroughAnExecutable() throws {
        let runtime = temporaryPath("runtime"), written = temporaryPath("tool")
        defer { unlink(runtime); unlink(written) }
        let stub = Array("#!/bin/false\nnot really an ELF file\n".utf8)
        try Data(stub).write(to: URL(fileURLWithPath: runtime))
        XCTAssertNil(try EmbeddedTrace.read(executable: runtime), "a runtime without a trace")

        let trace = sampleTrace()
        try EmbeddedTrace.write(trace, runtime: runtime, to: written)
        let read = try XCTUnwrap(try EmbeddedTrace.read(executable: written))
        XCTAssertEqual(read.object, trace.object)
        XCTAssertEqual(read.manifest, trace.manifest)
        XCTAssertEqual(access(written, X_OK), 0, "executable")
        // The runtime's own bytes come first, untouched.
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: written)).prefix(stub.count)), stub)

        // Writing from an executable that already carries a trace replaces it.
        var other = trace
        other.object = [9, 9]
        try EmbeddedTrace.write(other, runtime: written, to: runtime)
        XCTAssertEqual(try EmbeddedTrace.read(executable: runtime)?.object, [9, 9])
        let size = try Data(contentsOf: URL(fileURLWithPath: runtime)).count
        XCTAssertLessThan(size, stub.count + 2 + 2000, "no stacked payloads")
    }

    func testADamagedPayloadIsAnErrorNotACrash() throws {
        let runtime = temporaryPath("runtime2"), written = temporaryPath("tool2")
        defer { unlink(runtime); unlink(written) }
        try Data("stub".utf8).write(to: URL(fileURLWithPath: runtime))
        try EmbeddedTrace.write(sampleTrace(), runtime: runtime, to: written)
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: written)))
        // Corrupt the manifest's JSON, then the lengths.
        bytes[bytes.count - 25] = UInt8(ascii: "x")  // the JSON's closing brace
        try Data(bytes).write(to: URL(fileURLWithPath: written))
        XCTAssertThrowsError(try EmbeddedTrace.read(executable: written))
        bytes.replaceSubrange((bytes.count - 24)..<(bytes.count - 16), with: [UInt8](repeating: 0xff, count: 8))
        try Data(bytes).write(to: URL(fileURLWithPath: written))
        XCTAssertThrowsError(try EmbeddedTrace.read(executable: written))
    }

    func testMissingKernelTypeFromLibbpfsLog() {
        let log = """
            libbpf: prog 'probe_0': BPF program load failed: Invalid argument
            libbpf: prog 'probe_0': -- BEGIN PROG LOAD LOG --
            0: (85) call unknown#195896080
            invalid func unknown#195896080
            processed 5 insns
            -- END PROG LOAD LOG --
            libbpf: prog 'probe_0': failed to resolve CO-RE relocation <byte_off> [12] struct task_struct.no_such_field (0:99 @ offset 0)

            """
        XCTAssertEqual(LoadedObject.missingKernelType(log), "struct task_struct.no_such_field")
        XCTAssertNil(LoadedObject.missingKernelType("libbpf: prog 'x': BPF program load failed"))
        let message = LoadedObject.loadError(rc: -22, log: log, manifest: Manifest()).message
        XCTAssertTrue(message.contains("do not have struct task_struct.no_such_field"), message)
    }
}
