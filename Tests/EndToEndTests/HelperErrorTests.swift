import XCTest

/// `-k`/`-kk`: helpers that fail at run time are reported with the script location, with the
/// program's output (bpftrace writes them there, not on standard error), and tracing goes on;
/// without the flags they stay silent.
final class HelperErrorTests: XCTestCase {
    static let deleteMissing = "i:ms:50 { @[1] = 1; delete(@[2]); exit(); }"
    static let readMissing = "i:ms:50 { @[1] = 1; printf(\"%d\\n\", @[2]); exit(); }"

    func testDashKReportsAFailedDeleteWhereTheScriptCallsIt() throws {
        try requireRoot()
        let result = try runSwtrace(["-k", "-e", Self.deleteMissing])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.contains("""
            stdin:1:21-33: WARNING: Failed to map_delete_elem: No such file or directory (-2)
            \(Self.deleteMissing)
                                ~~~~~~~~~~~~

            """), "\(result)")
        XCTAssertTrue(result.stdout.hasSuffix("@[1]: 1\n"), "the maps still print at exit: \(result)")
    }

    func testDashKKAlsoReportsLookupsThatFindNothing() throws {
        try requireRoot()
        let checked = try runSwtrace(["-kk", "-e", Self.readMissing])
        XCTAssertEqual(checked.status, 0, "\(checked)")
        XCTAssertTrue(checked.stdout.hasPrefix("stdin:1:36-40: WARNING: Failed to map_lookup_elem: 0\n"), "\(checked)")
        XCTAssertTrue(checked.stdout.contains("~~~~\n0\n"), "the warning comes before the printf it precedes: \(checked)")
        // A single -k leaves lookups alone.
        let once = try runSwtrace(["-k", "-e", Self.readMissing])
        XCTAssertFalse(once.stdout.contains("WARNING") || once.stderr.contains("WARNING"), "\(once)")
    }

    func testWithoutTheFlagNothingIsReported() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", Self.deleteMissing])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertFalse(result.stdout.contains("WARNING") || result.stderr.contains("WARNING"), "\(result)")
    }

    static let badReads = """
        struct rec { int a; }
        BEGIN { $s = str(0); $v = ((struct rec *)8)->a; $b = buf(16, 4);
                printf("%s %d %r\\n", $s, $v, $b); exit(); }
        """

    /// -kk checks reads of memory too: `str()` as probe_read_str, fields and buffers as
    /// probe_read. BEGIN has no address space of its own, so low addresses are read as user
    /// memory and fail with EFAULT (-14), as in bpftrace.
    func testDashKKReportsFailedMemoryReads() throws {
        try requireRoot()
        let result = try runSwtrace(["-kk", "-e", Self.badReads])
        XCTAssertEqual(result.status, 0, "\(result)")
        let warnings = result.stdout.split(separator: "\n").filter { $0.contains("WARNING") }
        XCTAssertEqual(warnings, [
            "stdin:2:14-20: WARNING: Failed to probe_read_str: Bad address (-14)",
            "stdin:2:27-47: WARNING: Failed to probe_read: Bad address (-14)",
            "stdin:2:54-64: WARNING: Failed to probe_read: Bad address (-14)",
        ], "\(result)")
        XCTAssertTrue(result.stdout.contains(" 0 \\x00\\x00\\x00\\x00\n"), "failed reads give zeros: \(result)")
        // -k alone leaves reads alone.
        let once = try runSwtrace(["-k", "-e", Self.badReads])
        XCTAssertFalse(once.stdout.contains("WARNING"), "\(once)")
    }

    /// With `-f json` a helper failure is a `helper_error` message naming the helper, its
    /// return code and where the call starts.
    func testHelperErrorsInJSON() throws {
        try requireRoot()
        let result = try runSwtrace(["-kk", "-q", "-f", "json", "-e", Self.badReads])
        XCTAssertEqual(result.status, 0, "\(result)")
        let lines = result.stdout.split(separator: "\n").filter { $0.contains("helper_error") }
        XCTAssertEqual(lines, [
            #"{"type": "helper_error", "helper": "probe_read_str", "retcode": -14, "line": 2, "col": 14}"#,
            #"{"type": "helper_error", "helper": "probe_read", "retcode": -14, "line": 2, "col": 27}"#,
            #"{"type": "helper_error", "helper": "probe_read", "retcode": -14, "line": 2, "col": 54}"#,
        ], "\(result)")
    }
}
