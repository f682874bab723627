import Foundation
import Glibc
import XCTest

/// Losses through either transport are counted and reported the same way: a flood into a
/// one-page buffer loses most records, and every record is either printed or counted.
final class EventTransportTests: XCTestCase {
    func testLostRecordsAreCountedOverBothTransports() throws {
        try requireRoot()
        let flood = #"config = { perf_rb_pages = 1 } BEGIN { $i = 0; while ($i < 3000) { printf("line %d\n", $i); $i++; } }"#
        for transport in ["ringbuf", "perf"] {
            let swtrace = try startSwtrace(["--transport=\(transport)", "-e", flood])
            swtrace.waitForOutput { $0.contains("line ") }
            usleep(200_000)
            let result = try swtrace.stop()
            XCTAssertEqual(result.status, 0, "\(transport): \(result)")
            let printed = result.lines.filter { $0.hasPrefix("line ") }.count
            let lost = result.lines.compactMap { line -> Int? in
                guard line.hasPrefix("Lost "), line.hasSuffix(" events") else { return nil }
                return Int(line.dropFirst(5).dropLast(7))
            }
            XCTAssertEqual(lost.count, 1, "\(transport): one 'Lost N events' line: \(result)")
            XCTAssertGreaterThan(lost.first ?? 0, 0, "\(transport): a one-page buffer cannot hold 3000 lines")
            XCTAssertEqual(printed + (lost.first ?? 0), 3000, "\(transport): every record printed or counted")
        }
    }

    func testPrintfInsideForBodiesOverPerf() throws {
        try requireRoot()
        let script = #"BEGIN { @a[1] = 10; @a[2] = 20; for ($kv : @a) { printf("%d=%d\n", $kv.0, $kv.1); } clear(@a); exit(); }"#
        let result = try runSwtrace(["--transport=perf", "-e", script])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(Set(result.lines.filter { $0.contains("=") }), ["1=10", "2=20"])
    }

    func testBadTransportIsAnError() throws {
        try requireRoot()
        let result = try runSwtrace(["--transport=udp", "-e", "BEGIN { exit(); }"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "ERROR: --transport takes auto, ringbuf or perf, not 'udp'\n")
    }
}
