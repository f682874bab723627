import Foundation
import XCTest

/// End to end, as root: how values are printed where bpftrace's output depends on more than
/// the script (environment limits), so the file-driven scripts cannot express it.
final class ValueFormatTests: XCTestCase {
    /// BPFTRACE_CAT_BYTES_MAX limits what cat() prints of a file, as in bpftrace.
    func testCatPrintsAtMostCatBytesMax() throws {
        try requireRoot()
        let file = temporaryPath(".txt")
        try "hello world\n".write(toFile: file, atomically: true, encoding: .utf8)
        let script = "BEGIN { cat(\"\(file)\"); printf(\"|\\n\"); exit(); }"
        let limited = try runWorkload(["/usr/bin/env", "BPFTRACE_CAT_BYTES_MAX=5", SwtraceRunner.binaryPath, "-q", "-e", script])
        XCTAssertEqual(limited.status, 0, limited.stderr)
        XCTAssertEqual(limited.stdout.split(separator: "\n").first, "hello|")
        let whole = try runSwtrace(["-q", "-e", script])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertEqual(Array(whole.lines.prefix(2)), ["hello world", "|"])
    }
}
