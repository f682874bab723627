import XCTest

/// `-k`/`-kk`: helpers that fail at run time are reported with the script location, and
/// tracing goes on; without the flags they stay silent.
final class HelperErrorTests: XCTestCase {
    static let deleteMissing = "i:ms:50 { @[1] = 1; delete(@[2]); exit(); }"
    static let readMissing = "i:ms:50 { @[1] = 1; printf(\"%d\\n\", @[2]); exit(); }"

    func testDashKReportsAFailedDeleteWhereTheScriptCallsIt() throws {
        try requireRoot()
        let result = try runSwtrace(["-k", "-e", Self.deleteMissing])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stderr.contains("""
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
        XCTAssertTrue(checked.stderr.contains("stdin:1:36-40: WARNING: Failed to map_lookup_elem: 0\n"), "\(checked)")
        XCTAssertTrue(checked.stdout.hasPrefix("0\n"), "\(checked)")
        // A single -k leaves lookups alone.
        let once = try runSwtrace(["-k", "-e", Self.readMissing])
        XCTAssertFalse(once.stderr.contains("WARNING"), "\(once)")
    }

    func testWithoutTheFlagNothingIsReported() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", Self.deleteMissing])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertFalse(result.stderr.contains("WARNING"), "\(result)")
    }
}
