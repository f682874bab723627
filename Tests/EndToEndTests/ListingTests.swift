import Foundation
import Glibc
import XCTest

/// `swtrace -l` / `-lv`, run as a command: against the tracefs files themselves and, where it is
/// installed, byte for byte against bpftrace 0.17.
final class ListingTests: XCTestCase {
    private let tracefs = "/sys/kernel/tracing"

    private func requireReadableTracefs() throws {
        try XCTSkipUnless(access(tracefs + "/available_events", R_OK) == 0,
                          "\(tracefs)/available_events is not readable (needs root and a mounted tracefs)")
    }

    /// A tracefs file's text; tracefs files report size 0, so read to end of file.
    private func readTracefs(_ relativePath: String) throws -> String {
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: tracefs + "/" + relativePath), "cannot open \(relativePath)")
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    private var bpftracePath: String? {
        ["/usr/bin/bpftrace", "/usr/sbin/bpftrace", "/usr/local/bin/bpftrace"].first { access($0, X_OK) == 0 }
    }

    /// What bpftrace prints on stdout for `arguments`.
    private func bpftrace(_ arguments: [String]) throws -> String {
        let path = try XCTUnwrap(bpftracePath)
        let result = try runWorkload([path] + arguments, timeout: 60)
        XCTAssertEqual(result.status, 0, "bpftrace \(arguments): \(result.stderr)")
        return result.stdout
    }

    /// `-lv` for one tracepoint as bpftrace derives it from the format file: the probe, then for
    /// each field after the common ones (after the first blank line) four spaces and its declaration.
    private func expectedVerbose(_ category: String, _ name: String) throws -> String {
        let lines = try readTracefs("events/\(category)/\(name)/format").components(separatedBy: "\n")
        let blank = try XCTUnwrap(lines.firstIndex(of: ""), "format file without a blank line")
        var out = "tracepoint:\(category):\(name)\n"
        for line in lines[blank...] where line.hasPrefix("\tfield:") {
            out += "    " + line.dropFirst("\tfield:".count).prefix { $0 != ";" } + "\n"
        }
        return out
    }

    func testVerboseListingMatchesBpftraceByteForByte() throws {
        try requireReadableTracefs()
        try XCTSkipIf(bpftracePath == nil, "bpftrace is not installed (scripts/setup installs it)")
        for pattern in ["t:syscalls:*enter_exec*", "tracepoint:sched:sched_process_*"] {
            let ours = try runSwtrace(["-lv", pattern])
            XCTAssertEqual(ours.status, 0, "\(ours)")
            let theirs = try bpftrace(["-lv", pattern])
            XCTAssertFalse(theirs.isEmpty, "bpftrace listed nothing for \(pattern)")
            XCTAssertEqual(ours.stdout, theirs, "swtrace -lv '\(pattern)' differs from bpftrace")
        }
    }

    func testListingMatchesBpftraceByteForByte() throws {
        try requireReadableTracefs()
        try XCTSkipIf(bpftracePath == nil, "bpftrace is not installed (scripts/setup installs it)")
        for pattern in ["tracepoint:sched:*", "t:syscalls:sys_*_open*"] {
            let ours = try runSwtrace(["-l", pattern])
            XCTAssertEqual(ours.status, 0, "\(ours)")
            XCTAssertEqual(ours.stdout, try bpftrace(["-l", pattern]), "swtrace -l '\(pattern)' differs from bpftrace")
        }
    }

    /// `-l` with no pattern looks at the working directory's files for uprobes: one that is not
    /// ELF is skipped, not the end of the listing (a file named on its own still is an error).
    func testListingSkipsFilesThatAreNotELF() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swtrace-list-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "not a program\n".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let all = try runWorkload("cd '\(dir.path)' && '\(SwtraceRunner.binaryPath)' -l")
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertTrue(all.stdout.contains("tracepoint:syscalls:sys_enter_execve\n"), all.stderr)
        XCTAssertFalse(all.stderr.contains("not an ELF file"), all.stderr)
        let named = try runWorkload("'\(SwtraceRunner.binaryPath)' -l 'uprobe:\(dir.path)/notes.txt:*'")
        XCTAssertEqual(named.status, 1)
        XCTAssertTrue(named.stderr.contains("notes.txt is not an ELF file"), named.stderr)
    }

    func testVerboseExecveFromFormatFile() throws {
        try requireReadableTracefs()
        let expected = try expectedVerbose("syscalls", "sys_enter_execve")
        XCTAssertTrue(expected.contains("\n    const char * filename\n"), expected)
        XCTAssertTrue(expected.contains("\n    const char *const * argv\n"), expected)
        let result = try runSwtrace(["-lv", "t:syscalls:sys_enter_execve"])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, expected)
        XCTAssertEqual(result.stderr, "")
    }

    func testVerboseSchedProcessExecFromFormatFile() throws {
        try requireReadableTracefs()
        let expected = try expectedVerbose("sched", "sched_process_exec")
        XCTAssertTrue(expected.contains("\n    __data_loc char[] filename\n"), expected)
        let result = try runSwtrace(["-lv", "t:sched:sched_process_exec"])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, expected)
    }

    func testListingWithoutPatternHasEveryTracepoint() throws {
        try requireReadableTracefs()
        let events = try readTracefs("available_events").split(separator: "\n")
        XCTAssertGreaterThan(events.count, 100)
        let result = try runSwtrace(["-l"])
        XCTAssertEqual(result.status, 0, "\(result.stderr)")
        let listed = Set(result.stdout.split(separator: "\n").map(String.init))
        let missing = events.map { "tracepoint:" + $0 }.filter { !listed.contains($0) }
        XCTAssertEqual(missing.count, 0, "missing from swtrace -l: \(missing.prefix(20))")
    }

    func testPatternMatchingNothingListsNothing() throws {
        try requireReadableTracefs()
        let result = try runSwtrace(["-l", "t:nosuchcategory:*"])
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.status, 0, "\(result)")   // as bpftrace 0.17: an empty listing is not an error
    }
}
