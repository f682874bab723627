import XCTest

/// `$1…$N` wherever bpftrace 0.17 takes them: attach points, literal-only arguments, numbers
/// in C's bases, and a non-numeric argument as text.
final class PositionalParameterTests: XCTestCase {
    func testPositionalsInAttachPoints() throws {
        try requireRoot()
        let interval = try runSwtrace(["-e", "i:ms:$1 { printf(\"tick\\n\"); exit(); }", "1"])
        XCTAssertEqual(interval.status, 0, "\(interval)")
        XCTAssertTrue(interval.stdout.hasPrefix("tick\n"), "\(interval)")
        // Concatenated into the probe type itself.
        let begin = try runSwtrace(["-e", "BEG$1 { printf(\"began\\n\"); exit(); }", "IN"])
        XCTAssertEqual(begin.status, 0, "\(begin)")
        XCTAssertTrue(begin.stdout.hasPrefix("began\n"), "\(begin)")
        // The attach point is checked after the substitution.
        let bad = try runSwtrace(["-e", "i:ms:$1 { exit(); }", "soon"])
        XCTAssertEqual(bad.status, 1, "\(bad)")
        XCTAssertTrue(bad.stderr.contains("'soon'"), "\(bad)")
    }

    func testNumbersInEveryBase() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", "BEGIN { printf(\"%d %o 0x%x %d\\n\", $1, $2, $3, $4); exit() }",
                                     "123", "0775", "0x123", "0"])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.hasPrefix("123 775 0x123 0\n"), "\(result)")
    }

    func testPositionalsWhereALiteralIsRequired() throws {
        try requireRoot()
        let strncmp = try runSwtrace(["-e", "BEGIN { if (strncmp(\"hello\", \"hell\", $1) == 0) { printf(\"same\\n\"); } exit(); }", "3"])
        XCTAssertEqual(strncmp.status, 0, "\(strncmp)")
        XCTAssertTrue(strncmp.stdout.hasPrefix("same\n"), "\(strncmp)")
        // kaddr() takes str($1) as its symbol name; the address is the kernel's.
        let kaddr = try runSwtrace(["-e", "BEGIN { printf(\"%d\\n\", kaddr(str($1)) != 0); exit() }", "vfs_read"])
        XCTAssertEqual(kaddr.status, 0, "\(kaddr)")
        XCTAssertTrue(kaddr.stdout.hasPrefix("1\n"), "\(kaddr)")
    }

    func testNonNumericArgumentPlusOffsetIsTheRestOfTheText() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", "BEGIN { printf(\"%s|%s\\n\", str($1 + 1), str($1 + 9)); exit(); }", "hello"])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.hasPrefix("ello|\n"), "\(result)")
    }
}
