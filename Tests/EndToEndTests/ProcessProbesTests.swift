import Foundation
import Glibc
import XCTest
import TestSupport

/// uprobes and USDT found through a running process (`-p`): listing its probes, USDT without
/// a binary, wildcarded files, and bpftrace's refusals for places no function is.
final class ProcessProbesTests: XCTestCase {
    private var binary = ""

    override func setUpWithError() throws {
        try requireRoot()
        binary = try ProbeTestProgram.path()
    }

    /// The test program running long enough to be looked at (1000 iterations, 20 ms apart).
    private func runningTarget() throws -> ChildProcess {
        let target = try ChildProcess([binary, "1000", "20"])
        addTeardownBlock { target.kill() }
        // Until the loader has mapped libc, /proc/PID/maps shows only the executable.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline,
              !((try? String(contentsOfFile: "/proc/\(target.pid)/maps", encoding: .utf8))?.contains("libc") ?? false) {
            usleep(20_000)
        }
        return target
    }

    func testListingByPIDShowsTheProcessFilesProbes() throws {
        let target = try runningTarget()
        let root = "/proc/\(target.pid)/root"
        let all = try runSwtrace(["-l", "-p", "\(target.pid)"])
        XCTAssertEqual(all.status, 0, "\(all)")
        XCTAssertTrue(all.lines.contains("usdt:\(root)\(binary):swtest:tick"), "\(all)")
        XCTAssertTrue(all.lines.contains("uprobe:\(root)\(binary):sw_add"), "\(all)")
        // Its libraries too: libc's malloc.
        XCTAssertTrue(all.lines.contains { $0.hasPrefix("uprobe:\(root)/") && $0.contains("libc") && $0.hasSuffix(":malloc") }, "\(excerpt(all.stdout))")

        let usdt = try runSwtrace(["-l", "usdt:*", "-p", "\(target.pid)"])
        XCTAssertTrue(usdt.lines.allSatisfy { $0.hasPrefix("usdt:") }, "\(usdt)")
        XCTAssertTrue(usdt.lines.contains("usdt:\(root)\(binary):other:start"), "\(usdt)")

        let provider = try runSwtrace(["-l", "usdt:*:swtest:*", "-p", "\(target.pid)"])
        XCTAssertEqual(provider.lines, ["usdt:\(root)\(binary):swtest:small", "usdt:\(root)\(binary):swtest:tick"], "\(provider)")

        let functions = try runSwtrace(["-l", "uprobe:*", "-p", "\(target.pid)"])
        XCTAssertTrue(functions.lines.contains("uprobe:\(root)\(binary):sw_negate"), "\(excerpt(functions.stdout))")
    }

    func testUSDTWithoutABinaryAttachesInTheProcess() throws {
        let target = try runningTarget()
        let result = try runSwtrace(["-p", "\(target.pid)", "-e", "usdt::swtest:tick { printf(\"%s %d\\n\", probe, pid); exit(); }"])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.hasPrefix("usdt:/proc/\(target.pid)/root\(binary):swtest:tick \(target.pid)\n"), "\(result)")
        // An empty provider matches every provider.
        let names = try runSwtrace(["-p", "\(target.pid)", "-e", "usdt:::s* { @[probe] = count(); if (@n++ > 20) { exit(); } }"])
        XCTAssertEqual(names.status, 0, "\(names)")
        XCTAssertTrue(names.stdout.contains("swtest:small]"), "\(names)")
        XCTAssertTrue(names.stdout.contains("other:start]"), "\(names)")
        XCTAssertTrue(names.stderr.hasPrefix("Attached 2 probes\n"), "\(names)")
        let alone = try runSwtrace(["--dry-run", "-e", "usdt::swtest:tick { }"])
        XCTAssertTrue(alone.stderr.contains("usdt probes without a binary need the process to trace: -p PID"), "\(alone)")
    }

    func testWildcardedFilesInListingsAndUSDTProbes() throws {
        let dir = (binary as NSString).deletingLastPathComponent
        let listed = try runSwtrace(["-l", "usdt:\(dir)/probe_targ*:swtest:t*"])
        XCTAssertEqual(listed.lines, ["usdt:\(dir)/probe_target:swtest:tick"], "\(listed)")
        let functions = try runSwtrace(["-l", "uprobe:\(dir)/probe_*:sw_*"])
        XCTAssertEqual(functions.lines, ["uprobe:\(dir)/probe_target:sw_add", "uprobe:\(dir)/probe_target:sw_negate"], "\(functions)")
        let traced = try runSwtrace(["-c", "\(binary) 3", "-e", "usdt:\(dir)/probe_t*::tick { @ = count(); }"])
        XCTAssertEqual(traced.status, 0, "\(traced)")
        XCTAssertTrue(traced.stdout.contains("@: 3\n"), "\(traced)")
    }

    func testUprobePlacesNoFunctionHoldsAreRefused() throws {
        let offset = try runSwtrace(["--dry-run", "-e", "uprobe:\(binary):sw_add+100000 { }"])
        XCTAssertEqual(offset.status, 1, "\(offset)")
        XCTAssertTrue(offset.stderr.contains("ERROR: Offset outside the function bounds ('sw_add' size is "), "\(offset)")
        let address = try runSwtrace(["--dry-run", "-e", "uprobe:\(binary):10 { }"])
        XCTAssertEqual(address.status, 1, "\(address)")
        XCTAssertTrue(address.stderr.contains("ERROR: Could not resolve address: \(binary):0xa\n"), "\(address)")
    }

    func testProbesOnOneFunctionRunInScriptOrder() throws {
        let script = """
            uprobe:\(binary):sw_add { printf("first "); }
            uprobe:\(binary):sw_add { printf("second "); }
            uprobe:\(binary):sw_add { printf("third\\n"); }
            tracepoint:syscalls:sys_enter_exit_group /pid == cpid/ { printf("tp1 "); }
            tracepoint:syscalls:sys_enter_exit_group /pid == cpid/ { printf("tp2\\n"); }
            """
        let result = try runSwtrace(["-c", "\(binary) 2", "-e", script])
        XCTAssertEqual(result.status, 0, "\(result)")
        // Tracepoints keep script order too (they run oldest first, so attach in order).
        XCTAssertTrue(result.stdout.hasPrefix("first second third\nfirst second third\ntp1 tp2\n"), "\(result)")
    }
}
