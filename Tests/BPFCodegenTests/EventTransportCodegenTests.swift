import XCTest
import BPFCodegen
import ScriptParser
import TraceRuntime

/// The perf event array transport: the same constructs pass the verifier with records sent by
/// `bpf_perf_event_output` (25) from a per-CPU buffer, `for` bodies included.
final class EventTransportCodegenTests: XCTestCase {
    func compile(_ text: String, transport: EventTransport) throws -> Artifact {
        var settings = Settings()
        settings.eventTransport = transport
        return try compileScript(text, settings: settings)
    }

    func testEveryConstructPassesTheVerifierOverPerf() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to load BPF programs")
        let nested = #"BEGIN { @a[1] = 1; @b[2] = 2; for ($x : @a) { printf("%d\n", $x.0); for ($y : @b) { printf("%d\n", $y.1); } } exit(); }"#
        for (name, text) in CodegenLoadTests.scripts + [("nested_for", nested)] {
            let artifact = try compile(text, transport: .perfEventArray)
            XCTAssertEqual(artifact.manifest.eventTransport, .perfEventArray)
            assertLoads(name, artifact)
        }
    }

    func testOneTransportPerObject() throws {
        let seed = CodegenLoadTests.scripts[0].1
        let perf = try XCTUnwrap(try compile(seed, transport: .perfEventArray).llvmIR)
        XCTAssertTrue(perf.contains("inttoptr (i64 25"), "bpf_perf_event_output by number")
        XCTAssertFalse(perf.contains("inttoptr (i64 131"), "no bpf_ringbuf_reserve")
        XCTAssertTrue(perf.contains("@event_buffer"), "records are built in the per-CPU buffer")
        let ring = try XCTUnwrap(try compile(seed, transport: .ringBuffer).llvmIR)
        XCTAssertTrue(ring.contains("inttoptr (i64 131"))
        XCTAssertFalse(ring.contains("inttoptr (i64 25"))
        XCTAssertFalse(ring.contains("@event_buffer"))
    }

    /// bpftrace's 64 pages per CPU, or the ring-buffer size setting in pages.
    func testPerfBufferPagesFollowTheSetting() throws {
        let text = "config = { perf_rb_pages = 16 } BEGIN { exit(); }"
        XCTAssertEqual(try compile(text, transport: .perfEventArray).manifest.perfBufferPages, 16)
        XCTAssertEqual(try compile("BEGIN { exit(); }", transport: .perfEventArray).manifest.perfBufferPages, 64)
    }
}

/// `--transport=auto`: this kernel (6.x) has the BPF ring buffer.
final class EventTransportKernelTests: XCTestCase {
    func testAutoPicksTheRingBufferOnThisKernel() throws {
        try XCTSkipUnless(getuid() == 0, "probing map types needs the rights to create one")
        XCTAssertEqual(EventTransport.kernelDefault, .ringBuffer)
    }
}
