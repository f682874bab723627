import XCTest

/// A keyless `count()` is printed as `@: 0` when nothing counted, after clear() and after
/// delete(), as bpftrace prints it; other keyless aggregations are not printed when empty.
final class KeylessCountTests: XCTestCase {
    func testEmptyClearedAndDeletedCountsPrintZero() throws {
        try requireRoot()
        let cases = [
            "BEGIN { @ = count(); @a[1] = count(); clear(@); clear(@a); exit(); }",
            "BEGIN { @ = count(); @a[1] = count(); delete(@); delete(@a[1]); exit(); }",
            "BEGIN { if (0) { @ = count(); } exit(); }",
        ]
        for script in cases {
            let result = try runSwtrace(["-e", script])
            XCTAssertEqual(result.status, 0, "\(script): \(result)")
            XCTAssertTrue(result.stdout.hasPrefix("\n\n@: 0\n"), "\(script): \(result)")
            XCTAssertFalse(result.stdout.contains("@a"), "\(script): \(result)")
        }
        let sum = try runSwtrace(["-e", "BEGIN { if (0) { @ = avg(1); } exit(); }"])
        XCTAssertFalse(sum.stdout.contains("@"), "\(sum)")
        // Deleting a keyless count resets it; counting again starts from zero.
        let again = try runSwtrace(["-e", "BEGIN { @ = count(); @ = count(); delete(@); } i:ms:300 { @ = count(); exit(); }"])
        XCTAssertTrue(again.stdout.hasSuffix("@: 1\n"), "\(again)")
    }
}
