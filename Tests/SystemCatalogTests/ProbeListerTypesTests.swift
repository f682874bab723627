import Foundation
import XCTest
import TestSupport
import ScriptParser
@testable import SystemCatalog

/// `swtrace -l` / `-lv` for every probe type besides tracepoints (ProbeListerTests has those):
/// against bpftrace 0.17 where it lists the type (uprobes, USDT, errors), against BTF, kallsyms
/// and the perf event tables where it cannot here (bpftrace 0.17 gives up on kprobes when
/// available_filter_functions is unreadable, refuses kfuncs on this kernel, has no raw
/// tracepoints and echoes software/hardware patterns).
final class ProbeListerTypesTests: XCTestCase {
    private func list(_ pattern: String?, verbose: Bool = false) throws -> String {
        try ProbeLister(catalog: TracefsCatalog()).list(pattern: pattern, verbose: verbose)
    }

    private func requireRoot() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to read kernel BTF, kallsyms addresses and tracefs")
    }

    private var bpftracePath: String? {
        ["/usr/bin/bpftrace", "/usr/sbin/bpftrace"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// bpftrace's stdout, stderr and status.
    private func bpftrace(_ arguments: [String]) throws -> (stdout: String, stderr: String, status: Int32) {
        let path = try XCTUnwrap(bpftracePath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self), process.terminationStatus)
    }

    // MARK: uprobe and usdt, byte for byte against bpftrace

    func testUserProbeListingsSameAsBpftrace() throws {
        try requireRoot()
        try XCTSkipIf(bpftracePath == nil, "bpftrace is not installed")
        let binary = try ProbeTestProgram.path()
        // The test program has no DWARF, so -lv adds nothing (and says so on stderr). libc's
        // debug file has DWARF, from which bpftrace prints parameters; swtrace reads no DWARF,
        // so libc is compared without -v.
        let noDWARF = [
            "uprobe:\(binary):*", "u:\(binary):sw_*", "uretprobe:\(binary):sw_add", "uprobe:\(binary):sw_add+4",
            "uprobe:\(binary):nosuch", "usdt:\(binary):*", "usdt:\(binary):swtest:*", "U:\(binary):*:t*",
            "usdt:\(binary):start", "usdt:\(binary):nosuch:*", "uprobe:/bin/bash:read*",
            "uprobe:\(binary):sw_add,usdt:\(binary):tick",
        ]
        let patterns = noDWARF.map { ($0, [false, true]) }
            + ["u:libc:mall*", "uretprobe:libc:free", "uprobe:libc:*"].map { ($0, [false]) }
        for (pattern, modes) in patterns {
            for verbose in modes {
                let reference = try bpftrace([verbose ? "-lv" : "-l", pattern])
                XCTAssertEqual(reference.status, 0, "bpftrace -l \(pattern): \(reference.stderr)")
                XCTAssertEqual(try list(pattern, verbose: verbose), reference.stdout, "\(verbose ? "-lv" : "-l") '\(pattern)'")
            }
        }
    }

    func testPatternErrorsSameAsBpftrace() throws {
        try requireRoot()
        try XCTSkipIf(bpftracePath == nil, "bpftrace is not installed")
        for pattern in ["uprobe:/nonexistent:*", "uprobe:/bin/bash", "usdt:/bin/bash", "uretprobe:libnosuch:x"] {
            let reference = try bpftrace(["-l", pattern])
            XCTAssertNotEqual(reference.status, 0, pattern)
            XCTAssertThrowsError(try list(pattern), pattern) { error in
                XCTAssertEqual("\(error)", reference.stderr, pattern)
            }
        }
    }

    func testUSDTListingOfTheTestProgram() throws {
        let binary = try ProbeTestProgram.path()
        XCTAssertEqual(try list("usdt:\(binary):*"),
                       "usdt:\(binary):other:start\nusdt:\(binary):swtest:small\nusdt:\(binary):swtest:tick\n")
    }

    // MARK: kernel functions

    func testKprobeListingFromTheKernelFunctionList() throws {
        try requireRoot()
        let listing = try KernelFunctions.load(tracefs: TracefsCatalog().tracefsPath).get()
        XCTAssertGreaterThan(listing.functions.count, 10_000, listing.source)
        XCTAssertEqual(try list("kprobe:vfs_read"), "kprobe:vfs_read\n")
        XCTAssertEqual(try list("k:vfs_read"), "kprobe:vfs_read\n")
        XCTAssertEqual(try list("kretprobe:vfs_read"), "kretprobe:vfs_read\n")
        XCTAssertEqual(try list("kprobe:nonexistent_function_xyz"), "")
        let expected = Set(listing.functions.map(\.name).filter { $0.hasPrefix("vfs_") })
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { "kprobe:\($0)\n" }.joined()
        XCTAssertEqual(try list("kprobe:vfs_*"), expected)
        XCTAssertTrue(expected.contains("kprobe:vfs_write\n"))
    }

    func testKfuncListingFromBTF() throws {
        try requireRoot()
        let vfsRead = """
            vmlinux:vfs_read
                struct file * file
                char * buf
                size_t count
                loff_t * pos
                ssize_t retval

            """
        XCTAssertEqual(try list("kfunc:vfs_read", verbose: true), "kfunc:" + vfsRead)
        XCTAssertEqual(try list("fentry:vmlinux:vfs_read", verbose: true), "kfunc:" + vfsRead)
        XCTAssertEqual(try list("kretfunc:vfs_read", verbose: true), "kretfunc:" + vfsRead)
        XCTAssertEqual(try list("f:vfs_read"), "kfunc:vmlinux:vfs_read\n")
        let btf = try TracefsCatalog().kernelBTF().get()
        let all = try list("kfunc:*").split(separator: "\n")
        XCTAssertEqual(all.count, btf.functionNames().count)
        XCTAssertEqual(try list("kfunc:nomodule:vfs_read"), "")
    }

    func testRawTracepointListingFromBTF() throws {
        try requireRoot()
        XCTAssertEqual(try list("rawtracepoint:sched_switch", verbose: true), """
            rawtracepoint:sched_switch
                bool preempt
                struct task_struct * prev
                struct task_struct * next
                unsigned int prev_state

            """)
        XCTAssertEqual(try list("rt:sys_enter", verbose: true), "rawtracepoint:sys_enter\n    struct pt_regs * regs\n    long int id\n")
        let sched = try list("rt:sched_*").split(separator: "\n")
        XCTAssertTrue(sched.contains("rawtracepoint:sched_switch"))
        XCTAssertTrue(sched.allSatisfy { $0.hasPrefix("rawtracepoint:sched_") })
        XCTAssertEqual(try list("rawtracepoint:nosuch_tracepoint"), "")
    }

    // MARK: perf events and timers

    func testSoftwareHardwareAndTimerListing() throws {
        let software = ["alignment-faults", "bpf-output", "context-switches", "cpu-clock", "cpu-migrations", "dummy",
                        "emulation-faults", "major-faults", "minor-faults", "page-faults", "task-clock"]
        XCTAssertEqual(try list("software:*"), software.map { "software:\($0):\n" }.joined())
        XCTAssertEqual(try list("s:faults"), "software:page-faults:\n")
        XCTAssertEqual(try list("software:cs:10"), "software:context-switches:\n")
        XCTAssertEqual(try list("hardware:*cycles"), "hardware:bus-cycles:\nhardware:cpu-cycles:\nhardware:ref-cycles:\n")
        XCTAssertEqual(try list("h:*").split(separator: "\n").count, PerfEventName.hardware.count)
        XCTAssertEqual(try list("profile:hz:99"), "profile:hz:99\n")
        XCTAssertEqual(try list("i:s:1"), "interval:s:1\n")
        XCTAssertThrowsError(try list("profile:*")) { error in
            XCTAssertEqual("\(error)", "stdin:1:1-10: ERROR: profile probe type requires 2 arguments\nprofile:*\n~~~~~~~~~\n")
        }
    }

    // MARK: several providers at once

    func testWildcardProviderListsEveryKindSortedTogether() throws {
        try requireRoot()
        let lines = try list("*sched_switch*").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        for expected in ["tracepoint:sched:sched_switch", "rawtracepoint:sched_switch", "kfunc:vmlinux:__bpf_trace_sched_switch"] {
            XCTAssertTrue(lines.contains(expected), "missing \(expected)")
        }
        // Return probes would repeat their entry probes; they list only when named.
        XCTAssertFalse(lines.contains { $0.hasPrefix("kretprobe:") || $0.hasPrefix("kretfunc:") })
    }

    func testNoPatternListsEveryKindThatNeedsNoBinary() throws {
        try requireRoot()
        let lines = try list(nil).split(separator: "\n").map(String.init)
        for expected in ["tracepoint:sched:sched_switch", "kprobe:vfs_read", "kfunc:vmlinux:vfs_read",
                         "rawtracepoint:sched_switch", "software:cpu-clock:", "hardware:cpu-cycles:"] {
            XCTAssertTrue(lines.contains(expected), "missing \(expected)")
        }
        XCTAssertEqual(lines, lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }
}
