import Foundation
import XCTest
import TestSupport
import ScriptParser
@testable import SystemCatalog

/// `swtrace -l` / `-lv` for tracepoints: against the format files themselves, against a fake
/// tracefs directory, and line for line against the installed bpftrace 0.17. The other probe
/// types are in ProbeListerTypesTests.
final class ProbeListerTests: XCTestCase {
    private let tracefs = "/sys/kernel/tracing"

    private func requireReadableTracefs() throws {
        guard FileManager.default.isReadableFile(atPath: tracefs + "/available_events") else {
            throw XCTSkip("\(tracefs)/available_events is not readable (needs root and a mounted tracefs)")
        }
    }

    /// A tracefs file's text. tracefs reports size 0, so read to end of file rather than by size.
    private func readTracefsText(_ path: String) throws -> String {
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: path), "cannot open \(path)")
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    private func list(_ pattern: String?, verbose: Bool = false, catalog: TracefsCatalog = TracefsCatalog()) throws -> String {
        try ProbeLister(catalog: catalog).list(pattern: pattern, verbose: verbose)
    }

    /// What `-lv` must print for one tracepoint, derived from its format file the way bpftrace
    /// reads it: after the first blank line, each `\tfield:DECL;` line as four spaces and DECL.
    private func expectedVerbose(category: String, name: String) throws -> String {
        let text = try readTracefsText("\(tracefs)/events/\(category)/\(name)/format")
        let lines = text.components(separatedBy: "\n")
        let blank = try XCTUnwrap(lines.firstIndex(of: ""), "format file without a blank line")
        var out = "tracepoint:\(category):\(name)\n"
        for line in lines[blank...] where line.hasPrefix("\tfield:") {
            let decl = line.dropFirst("\tfield:".count).prefix { $0 != ";" }
            out += "    \(decl)\n"
        }
        return out
    }

    // MARK: Against the format files (no bpftrace needed)

    func testVerboseExecveMatchesFormatFile() throws {
        try requireReadableTracefs()
        let expected = try expectedVerbose(category: "syscalls", name: "sys_enter_execve")
        XCTAssertEqual(try list("t:syscalls:sys_enter_execve", verbose: true), expected)
        XCTAssertEqual(try list("tracepoint:syscalls:sys_enter_execve", verbose: true), expected)
        XCTAssertTrue(expected.contains("\n    const char * filename\n"), expected)
    }

    func testVerboseSchedProcessExecMatchesFormatFile() throws {
        try requireReadableTracefs()
        let expected = try expectedVerbose(category: "sched", name: "sched_process_exec")
        XCTAssertEqual(try list("tracepoint:sched:sched_process_exec", verbose: true), expected)
        XCTAssertTrue(expected.contains("\n    __data_loc char[] filename\n"), expected)
    }

    func testWildcardMatchesAvailableEvents() throws {
        try requireReadableTracefs()
        let events = try readTracefsText(tracefs + "/available_events")
            .split(separator: "\n").map(String.init)
        let sched = Set(events.filter { $0.hasPrefix("sched:") }).sorted().map { "tracepoint:\($0)\n" }.joined()
        XCTAssertFalse(sched.isEmpty)
        XCTAssertEqual(try list("t:sched:*"), sched)
        XCTAssertEqual(try list("tracepoint:sched*"), sched, "one part with a wildcard means *:PART")
        let all = Set(events).sorted().map { "tracepoint:\($0)\n" }.joined()
        // No pattern (or `*`) lists every provider; its tracepoint lines are these.
        let tracepointLines = { (text: String) in
            text.split(separator: "\n").filter { $0.hasPrefix("tracepoint:") }.map { $0 + "\n" }.joined()
        }
        XCTAssertEqual(tracepointLines(try list(nil)), all)
        XCTAssertEqual(tracepointLines(try list("*")), all)
        XCTAssertEqual(try list("t:*:*"), all)
    }

    func testNoWildcardListsOnlyAnExistingTracepoint() throws {
        try requireReadableTracefs()
        XCTAssertEqual(try list("t:sched:sched_switch"), "tracepoint:sched:sched_switch\n")
        XCTAssertEqual(try list("t:sched:sched_switc"), "")
        XCTAssertEqual(try list("t:nonexistent:*"), "")
        XCTAssertEqual(try list(" tracepoint: sched:sched_switch ,t:sched:sched_switch,"),
                       "tracepoint:sched:sched_switch\ntracepoint:sched:sched_switch\n")
    }

    func testEnsureTracefsMountedWhenVisible() throws {
        try requireReadableTracefs()
        XCTAssertTrue(TracefsCatalog.ensureTracefsMounted())
        XCTAssertEqual(TracefsCatalog().tracefsPath, tracefs)
    }

    // MARK: Pattern errors, worded and located as bpftrace does

    func testPatternErrors() throws {
        let cases: [(String, String)] = [
            ("t:sched", "stdin:1:1-8: ERROR: tracepoint probe type requires 2 arguments\nt:sched\n~~~~~~~\n"),
            ("tracepoint", "stdin:1:1-11: ERROR: tracepoint probe type requires 2 arguments\ntracepoint\n~~~~~~~~~~\n"),
            ("t::sched_switch", "stdin:1:1-16: ERROR: tracepoint probe must have a target\nt::sched_switch\n~~~~~~~~~~~~~~~\n"),
            ("tracepoint:*:", "stdin:1:1-14: ERROR: tracepoint probe must have a target\ntracepoint:*:\n~~~~~~~~~~~~~\n"),
            ("tracepoint:sched:sched_switch:x",
             "stdin:1:1-32: ERROR: tracepoint probe type requires 2 arguments\ntracepoint:sched:sched_switch:x\n~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"),
            ("t:sched:sched_wakeup {}",
             "stdin:1:1-24: ERROR: unexpected listing query format\nt:sched:sched_wakeup {}\n~~~~~~~~~~~~~~~~~~~~~~~\n"),
            ("sched:*", "stdin:1:1-8: ERROR: Invalid probe type: sched\nsched:*\n~~~~~~~\n"),
            ("t:sched:x,t:y", "stdin:1:11-14: ERROR: tracepoint probe type requires 2 arguments\nt:sched:x,t:y\n          ~~~\n"),
            ("kprobe:a:b:c", "stdin:1:1-13: ERROR: kprobe probe type requires 1 or 2 arguments\nkprobe:a:b:c\n~~~~~~~~~~~~\n"),
            ("iter:task", "stdin:1:1-10: ERROR: listing iter probes is not supported yet\niter:task\n~~~~~~~~~\n"),
        ]
        // Errors come before tracefs is read, so a catalog over nothing is enough.
        let catalog = TracefsCatalog(searchPaths: ["/nonexistent"])
        for (pattern, expected) in cases {
            XCTAssertThrowsError(try list(pattern, catalog: catalog), pattern) { error in
                guard let error = error as? ProbeListError, case .invalidPattern = error else {
                    return XCTFail("\(pattern): unexpected \(error)")
                }
                XCTAssertEqual(error.description, expected, pattern)
            }
        }
        XCTAssertThrowsError(try list(" , ", catalog: catalog)) { error in
            XCTAssertEqual((error as? ProbeListError)?.description, "ERROR: No attach points for probe\n")
        }
        // A wildcard provider skips attach points it cannot take instead of failing.
        XCTAssertEqual(try list("t*:a:b:c", catalog: catalog), "")
    }

    func testUnreadableTracefs() {
        let catalog = TracefsCatalog(searchPaths: ["/nonexistent"])
        XCTAssertEqual(catalog.tracepoints(), [])
        XCTAssertThrowsError(try list("t:sched:*", catalog: catalog)) { error in
            XCTAssertEqual((error as? ProbeListError)?.description,
                           "ERROR: Could not read symbols from /nonexistent/available_events: No such file or directory\n")
        }
    }

    // MARK: A fake tracefs, so ordering and reading are tested on any machine

    private func makeFakeTracefs() throws -> String {
        let root = NSTemporaryDirectory() + "swtrace-fake-tracefs-\(getpid())-\(UUID().uuidString)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/events", withIntermediateDirectories: true)
        addTeardownBlock { try? fm.removeItem(atPath: root) }
        // File order is not output order; `a0` sorts before `a:` by bytes (':' > '0'); duplicates go.
        try "b:one\na:zed\na0:x\na:alpha\nb:one\nmalformed\n".write(toFile: root + "/available_events", atomically: true, encoding: .utf8)
        let format = """
            name: alpha
            ID: 42
            format:
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
            \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

            \tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;
            \tfield:__data_loc char[] path;\toffset:24;\tsize:4;\tsigned:0;

            print fmt: "comm=%s", REC->comm

            """
        try fm.createDirectory(atPath: root + "/events/a/alpha", withIntermediateDirectories: true)
        try format.write(toFile: root + "/events/a/alpha/format", atomically: true, encoding: .utf8)
        return root
    }

    func testFakeTracefsOrderingAndVerbose() throws {
        let root = try makeFakeTracefs()
        let catalog = TracefsCatalog(searchPaths: ["/nonexistent", root])
        XCTAssertEqual(catalog.tracefsPath, root)
        XCTAssertEqual(try list("t:*", catalog: catalog),
                       "tracepoint:a0:x\ntracepoint:a:alpha\ntracepoint:a:zed\ntracepoint:b:one\n")
        XCTAssertEqual(catalog.tracepoints().map(\.description), ["a:alpha", "a:zed", "a0:x", "b:one"])
        // A tracepoint without a readable format file still lists, with no argument lines.
        XCTAssertEqual(try list("t:a:*", verbose: true, catalog: catalog),
                       "tracepoint:a:alpha\n    char comm[16]\n    __data_loc char[] path\ntracepoint:a:zed\n")
        XCTAssertEqual(catalog.tracepointFormat(TracepointID(category: "a", name: "alpha"))?.eventID, 42)
    }

    func testFormatPathsStayInsideEvents() throws {
        let root = try makeFakeTracefs()
        let catalog = TracefsCatalog(searchPaths: [root])
        // `../../etc`-style ids must not reach files outside events/.
        try "name: x\nID: 1\nformat:\n\tfield:int x;\toffset:8;\tsize:4;\tsigned:1;\n".write(
            toFile: root + "/format", atomically: true, encoding: .utf8)
        XCTAssertNil(catalog.tracepointFormat(TracepointID(category: "..", name: "..")))
        XCTAssertNil(catalog.tracepointFormat(TracepointID(category: "a/../..", name: "x")))
        XCTAssertNil(catalog.tracepointFormat(TracepointID(category: "", name: "x")))
        XCTAssertNotNil(catalog.tracepointFormat(TracepointID(category: "a", name: "alpha")))
    }

    // MARK: Against bpftrace 0.17

    private func bpftracePath() throws -> String {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/sbin")
            .split(separator: ":").map { "\($0)/bpftrace" } + ["/usr/bin/bpftrace", "/usr/sbin/bpftrace"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("bpftrace is not installed; the comparison with the reference cannot run")
        }
        return path
    }

    /// bpftrace's stdout and exit status for `arguments`.
    private func runBpftrace(_ arguments: [String]) throws -> (stdout: String, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try bpftracePath())
        process.arguments = arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), process.terminationStatus)
    }

    func testSameAsBpftrace() throws {
        try requireReadableTracefs()
        let patterns = [
            "t:syscalls:*enter_exec*", "tracepoint:sched:sched_process_exec", "t:sched:*",
            "tracepoint:sched*", "t:sched*", "t:*sched_proc*", "t:*sched", "tracepoint:*:sys_enter_openat",
            "tracepoint:syscalls:sys_enter_open*", "t:syscalls:sys_*_read", "t:sched:nonexist",
            "t:*:sched_switch", "t:sched*:*wakeup", "t:sched:sched_switch*",
            "tracepoint:sched:sched_switch,t:sched:sched_wakeup", "t:sched:sched_wakeup*,t:sched:sched_wakeup",
            "t*:sched:sched_switch", "tr*:sched:sched_wakeup", "t:nonexist:*", "t:*", "t:*:*",
            "tracepoint:*sched_wakeup*", "t:syscalls:sys_enter_execve,", "tracepoint: sched:sched_wakeup",
        ]
        for pattern in patterns {
            for verbose in [false, true] {
                let reference = try runBpftrace([verbose ? "-lv" : "-l", pattern])
                XCTAssertEqual(reference.status, 0, "bpftrace -l \(pattern)")
                let ours = try list(pattern, verbose: verbose)
                XCTAssertEqual(ours, reference.stdout, "\(verbose ? "-lv" : "-l") '\(pattern)'")
            }
        }
    }

    /// The exact case the listing was written against.
    func testExecveVerboseByteForByte() throws {
        try requireReadableTracefs()
        let reference = try runBpftrace(["-lv", "t:syscalls:*enter_exec*"])
        XCTAssertEqual(try list("t:syscalls:*enter_exec*", verbose: true), reference.stdout)
        XCTAssertTrue(reference.stdout.hasPrefix("tracepoint:syscalls:sys_enter_execve\n    int __syscall_nr\n"))
    }

    /// With no pattern bpftrace also prints other probe types; its tracepoint lines must be ours.
    func testNoPatternTracepointsSameAsBpftrace() throws {
        try requireReadableTracefs()
        for verbose in [false, true] {
            let reference = try runBpftrace(verbose ? ["-lv"] : ["-l"])
            // Keep tracepoint lines and, for -lv, the argument lines under them.
            var expected = "", inTracepoint = false
            for line in reference.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                if !line.hasPrefix("    ") { inTracepoint = line.hasPrefix("tracepoint:") }
                if inTracepoint { expected += line + "\n" }
            }
            XCTAssertFalse(expected.isEmpty)
            // Ours lists other probe types too (ProbeListerTypesTests); compare the tracepoints.
            var ours = "", inOurTracepoint = false
            for line in try list(nil, verbose: verbose).split(separator: "\n") {
                if !line.hasPrefix("    ") { inOurTracepoint = line.hasPrefix("tracepoint:") }
                if inOurTracepoint { ours += line + "\n" }
            }
            XCTAssertEqual(ours, expected, verbose ? "-lv" : "-l")
        }
    }
}
