import Foundation
import XCTest

/// A program the verifier refuses: the probe, the script line, one sentence on the cause, the
/// verifier's own words after it, and the raw log only with -v. swtrace lowers the loops here
/// through `bpf_loop`, which the verifier takes; SWTRACE_PLAIN_LOOPS=1 makes them plain loops
/// left to the verifier, as bpftrace does, and the verifier refuses them.
final class VerifierRejectionTests: XCTestCase {
    static let endlessOnlyToTheVerifier = "BEGIN {\n  $i = 0; while ($i < 10) { $i++; if ($i-- % 2 == 0) { continue; } if ($i > 7) { break; } }\n}"

    private func rejection(_ script: String, verbose: Bool = false) throws -> SwtraceResult {
        try requireRoot()
        let result = try runSwtrace(["SWTRACE_PLAIN_LOOPS=1", SwtraceRunner.binaryPath] + (verbose ? ["-v"] : [])
                                    + ["--dry-run", "-e", script], executable: "/usr/bin/env", timeout: 120)
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.stdout, "")
        return result
    }

    func testLoopTooLongToVerify() throws {
        // The step under an `if` the verifier decides each time: 400,000 iterations are more
        // than it follows. Over two lines, so
        // the verifier's log names a line at every iteration.
        let script = "t:syscalls:sys_enter_getppid {\n  $i = 0;\n  while ($i < 400000) {\n    if ($i >= 0) { $i++; }\n  }\n}"
        let result = try rejection(script)
        // The line is the last one the verifier's line info names before it gave up: inside
        // the probe (the loop's set-up or the loop itself), never line 1's header alone.
        XCTAssertTrue((2...4).contains { result.stderr.hasPrefix("ERROR: the kernel's BPF verifier rejected probe t:syscalls:sys_enter_getppid at stdin:\($0): ") },
                      result.stderr)
        XCTAssertTrue(result.stderr.contains("a loop has too many iterations for the verifier to follow (it checks every one): lower its bound")
                      || result.stderr.contains("or a loop has too many iterations for the verifier to follow"), result.stderr)
        XCTAssertTrue(result.stderr.contains("(verifier: "), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    func testLoopThatNeverEnds() throws {
        // The test steps `$i` back down, so every iteration that gets past the break starts
        // where the one before did (found by fuzzing, seed 81).
        let result = try rejection(Self.endlessOnlyToTheVerifier)
        XCTAssertTrue(result.stderr.hasPrefix("ERROR: the kernel's BPF verifier rejected probe BEGIN at stdin:"), result.stderr)
        XCTAssertTrue(result.stderr.contains(": a loop never ends: its condition does not change from one iteration to the next (verifier: infinite loop detected at insn"),
                      result.stderr)
        XCTAssertTrue(result.stderr.hasSuffix(" (run with -v for the verifier log)\n"), result.stderr)
    }

    /// A loop the verifier follows for a million instructions before giving up (found by the
    /// fuzzer as a "hang"): refused in seconds, not the minute libbpf took when it grew its log
    /// buffer and verified again at 16, 32, 64 … MiB.
    func testMillionInstructionRejectionIsQuick() throws {
        let start = Date()
        let result = try rejection("BEGIN { $i = 0; while ($i < 400000) { if ($i >= 0) { $i++; } } printf(\"%d\\n\", $i); }")
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, result.stderr)
        XCTAssertTrue(result.stderr.contains("ERROR: the kernel's BPF verifier rejected probe BEGIN at stdin:1"), result.stderr)
        XCTAssertTrue(result.stderr.contains("(a million instructions at most)"), result.stderr)
        XCTAssertTrue(result.stderr.contains("(verifier: BPF program is too large. Processed 1000001 insn)"), result.stderr)
    }

    /// -v adds the raw verifier log, instruction dump included.
    func testVerboseShowsTheRawLog() throws {
        let result = try rejection(Self.endlessOnlyToTheVerifier, verbose: true)
        XCTAssertTrue(result.stderr.contains("-- BEGIN PROG LOAD LOG --"), result.stderr)
        XCTAssertTrue(result.stderr.contains("infinite loop detected at insn"), result.stderr)
        XCTAssertTrue(result.stderr.contains("ERROR: the kernel's BPF verifier rejected probe BEGIN"), result.stderr)
    }
}
