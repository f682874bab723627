import Foundation
import XCTest

/// bpftrace's `Attaching N probes...` comes first on stdout (scripts and tools read it), once
/// every probe is attached; `Attached N probes` on stderr; neither with -q.
final class AttachLineTests: XCTestCase {
    func raw(_ arguments: [String]) throws -> (stdout: String, stderr: String) {
        try requireRoot()
        let process = try SwtraceProcess(arguments: arguments)
        addTeardownBlock { process.kill() }
        let result = try process.waitForExit()
        XCTAssertEqual(result.status, 0, "\(result)")
        return (process.child.stdout, result.stderr)
    }

    func testAttachingLineComesFirst() throws {
        let one = try raw(["-e", #"BEGIN { printf("begin\n"); exit(); }"#])
        XCTAssertTrue(one.stdout.hasPrefix("Attaching 1 probe...\nbegin\n"), one.stdout)
        XCTAssertEqual(one.stderr, "Attached 1 probe\n")
        let three = try raw(["-e", "BEGIN { } interval:ms:10 { exit(); } END { }"])
        XCTAssertTrue(three.stdout.hasPrefix("Attaching 3 probes...\n"), three.stdout)
    }

    func testQuietHasNeither() throws {
        let quiet = try raw(["-q", "-e", #"BEGIN { printf("begin\n"); exit(); }"#])
        XCTAssertEqual(quiet.stdout, "begin\n" + SwtraceRunner.exitBlankLines)
        XCTAssertEqual(quiet.stderr, "")
    }

    func testOutputFileGetsTheLine() throws {
        let path = SwtraceRunner.temporaryFolder + "/swtrace-attach-\(getpid()).txt"
        defer { unlink(path) }
        _ = try raw(["-o", path, "-e", #"BEGIN { printf("x\n"); exit(); }"#])
        let written = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(written.hasPrefix("Attaching 1 probe...\nx\n"), written)
    }
}

extension AttachLineTests {
    /// `__BPFTRACE_NOTIFY_PROBES_ATTACHED` in the environment: bpftrace's readiness line on
    /// stdout once everything is attached, -q or not.
    func testReadinessMarkerWhenAsked() throws {
        try requireRoot()
        setenv("__BPFTRACE_NOTIFY_PROBES_ATTACHED", "1", 1)
        defer { unsetenv("__BPFTRACE_NOTIFY_PROBES_ATTACHED") }
        let marked = try raw(["-q", "-e", "BEGIN { } interval:ms:50 { exit(); }"])
        XCTAssertEqual(marked.stdout, "__BPFTRACE_NOTIFY_PROBES_ATTACHED\n" + SwtraceRunner.exitBlankLines)
    }
}
