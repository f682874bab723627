import XCTest
@testable import TraceRuntime

/// The verifier's last words, turned into one sentence about the script.
final class VerifierCauseTests: XCTestCase {
    /// Reasons as the kernel words them (kernel/bpf/verifier.c), each with the cause it maps to.
    func testKnownReasonsHaveACause() {
        let cases: [(String, String)] = [
            ("combined stack size of 2 calls is 544. Too large", "512 bytes of stack"),
            ("The sequence of 8193 jumps is too complex.", "too many iterations"),
            ("BPF program is too large. Processed 1000001 insn", "a million instructions"),
            ("infinite loop detected at insn 12", "a loop never ends"),
            ("R2 unbounded memory access, make sure to bounds check any such access", "cannot bound"),
            ("R3 min value is negative, either use unsigned index or do a if (index >=0) check.", "may be negative"),
            ("R1 max value is outside of the allowed memory range", "past the end"),
            ("invalid access to map value, value_size=8 off=8 size=8", "past the end of a map value"),
            ("invalid indirect read from stack R2 off -16+0 size 16", "before every byte of it was set"),
            ("R1 !read_ok", "code generation bug"),
            ("dereference of modified ctx ptr R7 off=32 disallowed", "context is read through a computed address"),
            ("R1 invalid mem access 'scalar'", "cannot prove valid"),
            ("program of this type cannot use helper bpf_probe_write_user#36", "may not call"),
        ]
        for (reason, expected) in cases {
            let cause = VerifierCause.explain(reason)
            XCTAssertNotNil(cause, reason)
            XCTAssertTrue(cause?.contains(expected) ?? false, "\(reason) -> \(cause ?? "nil")")
        }
        XCTAssertNil(VerifierCause.explain("something the kernel has never said"))
    }

    /// The reason is the verifier's last line that is not part of the instruction dump.
    func testReasonIsTakenFromTheLogBeforeTheCause() {
        let log = """
            libbpf: prog 'probe_0': BPF program load failed: Permission denied
            libbpf: prog 'probe_0': -- BEGIN PROG LOAD LOG --
            0: R1=ctx() R10=fp0
            ; @x = nsecs ? args->count : (uint64)args->buf; @ fuzz.st:2
            0: (bf) r6 = r1
            12: (79) r1 = *(u64 *)(r7 +32)
            dereference of modified ctx ptr R7 off=32 disallowed
            processed 14 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 1
            -- END PROG LOAD LOG --
            """
        let reason = LoadedObject.verifierReason(log)
        XCTAssertEqual(reason, "dereference of modified ctx ptr R7 off=32 disallowed")
        XCTAssertEqual(LoadedObject.scriptLine(log), 2)
        XCTAssertNotNil(reason.flatMap(VerifierCause.explain))
    }
}
