import Foundation
import Glibc
import XCTest
import TestSupport
@testable import SystemCatalog

/// Every probe type this kernel supports, attached and fired, per attach-point form; `-c` and
/// `-p`; and the one-sentence failures for the types it does not (kprobes compiled out, fentry
/// refused). uprobe and USDT targets are a small C program built at test time.
final class ProbeTypesTests: XCTestCase {
    private var binary = ""

    override func setUpWithError() throws {
        try requireRoot()
        binary = try ProbeTestProgram.path()
    }

    /// Runs swtrace with `-c COMMAND` to completion: it must exit by itself when the command does.
    private func runWithChild(_ script: String, _ command: String, file: StaticString = #filePath,
                              line: UInt = #line) throws -> SwtraceResult {
        let result = try runSwtrace(["-c", command, "-e", script])
        XCTAssertEqual(result.status, 0, "\(result)", file: file, line: line)
        return result
    }

    /// stdout without the blank lines bpftrace (and swtrace) print when a script ends.
    private func traced(_ result: SwtraceResult) -> [String] {
        result.lines.filter { !$0.isEmpty }
    }

    // MARK: uprobe / uretprobe

    func testUprobeFunctionArgumentsAndNames() throws {
        let result = try runWithChild(#"uprobe:\#(binary):sw_add { printf("%s %s %d %d\n", probe, func, arg0, arg1); }"#, "\(binary) 3")
        XCTAssertEqual(traced(result), (0..<3).map { "uprobe:\(binary):sw_add sw_add \($0) 2" })
        XCTAssertEqual(result.stderr, "Attached 1 probe\n")
    }

    func testUretprobeReturnValueIsSigned() throws {
        let result = try runWithChild(#"ur:\#(binary):sw_negate { printf("%s %d\n", probe, retval); }"#, "\(binary) 3")
        XCTAssertEqual(traced(result), ["uretprobe:\(binary):sw_negate 0", "uretprobe:\(binary):sw_negate -1",
                                        "uretprobe:\(binary):sw_negate -2"])
    }

    func testUprobeAtAnOffsetAndAtAnAddress() throws {
        let offset = try runWithChild(#"uprobe:\#(binary):sw_add+4 { printf("%s %s\n", probe, func); }"#, "\(binary) 2")
        XCTAssertEqual(traced(offset), Array(repeating: "uprobe:\(binary):sw_add+4 sw_add", count: 2))
        let symbol = try XCTUnwrap(try ELFFile(path: binary).functionSymbols().first { $0.name == "sw_negate" })
        let hex = "0x" + String(symbol.address, radix: 16)
        let address = try runWithChild(#"uprobe:\#(binary):\#(hex) { printf("%s %s %d\n", probe, func, arg0); }"#, "\(binary) 2")
        XCTAssertEqual(traced(address), ["uprobe:\(binary):\(hex) sw_negate 0", "uprobe:\(binary):\(hex) sw_negate 1"])
    }

    func testLibraryNamedLikeTheDynamicLoaderFindsIt() throws {
        let result = try runWithChild(#"uprobe:libc:usleep /pid == cpid/ { printf("%s %d\n", probe, arg0); }"#, "\(binary) 2 5")
        let lines = traced(result)
        XCTAssertEqual(lines.count, 2, "\(result)")
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("uprobe:/") && $0.hasSuffix("/libc.so.6:usleep 5000") }, "\(lines)")
    }

    func testUprobeWildcardIsOneProgramThatTellsItsFunctionsApart() throws {
        let result = try runWithChild(#"uprobe:\#(binary):sw_* { printf("%s|%s\n", probe, func); }"#, "\(binary) 1")
        XCTAssertEqual(result.stderr, "Attached 2 probes\n")
        XCTAssertEqual(Set(traced(result)), ["uprobe:\(binary):sw_add|sw_add", "uprobe:\(binary):sw_negate|sw_negate"])
    }

    // MARK: usdt

    func testUSDTArgumentsTypedFromTheNote() throws {
        let script = #"""
            usdt:\#(binary):swtest:tick { printf("tick %d %s %d\n", arg0, str(arg1), arg2); }
            U:\#(binary):swtest:small { printf("small %d %d\n", arg0, arg1); }
            """#
        let result = try runWithChild(script, "\(binary) 2")
        XCTAssertEqual(traced(result), ["tick 0 iter-0 0", "small -3 200", "tick 1 iter-1 -1000000000", "small -3 200"])
    }

    func testUSDTWithoutProviderAndWithWildcards() throws {
        let bare = try runWithChild(#"usdt:\#(binary):start { printf("%s %s\n", probe, func); }"#, "\(binary) 1")
        XCTAssertEqual(traced(bare), ["usdt:\(binary):other:start start"])
        let wildcard = try runWithChild(#"usdt:\#(binary):swtest:* { printf("%s\n", probe); }"#, "\(binary) 1")
        XCTAssertEqual(wildcard.stderr, "Attached 2 probes\n")
        XCTAssertEqual(traced(wildcard), ["usdt:\(binary):swtest:tick", "usdt:\(binary):swtest:small"])
    }

    /// Python's probes are guarded by semaphores: they fire only if libbpf raised them.
    func testUSDTProbeBehindASemaphore() throws {
        let python = "/usr/bin/python3"
        try XCTSkipUnless(access(python, X_OK) == 0, "no \(python)")
        let result = try runWithChild(#"usdt:\#(python):python:gc__start /pid == cpid/ { printf("gc %d\n", arg0); }"#,
                                      #"\#(python) -c "import gc; gc.collect()""#)
        XCTAssertTrue(traced(result).contains("gc 2"), "\(result)")
    }

    // MARK: -c and -p

    func testShortLivedChildIsTracedFromItsExecToItsExit() throws {
        let script = #"""
            tracepoint:sched:sched_process_exec /pid == cpid/ { printf("exec %s\n", comm); }
            tracepoint:syscalls:sys_enter_exit_group /pid == cpid/ { printf("exit %d\n", args->error_code); }
            END { printf("end\n"); }
            """#
        let result = try runWithChild(script, "/bin/true")
        XCTAssertEqual(traced(result), ["exec true", "exit 0", "end"])
        XCTAssertTrue(result.stdout.hasSuffix(SwtraceRunner.exitBlankLines))
    }

    func testChildCommandErrors() throws {
        let missing = try runSwtrace(["-c", "/nonexistent/command", "-e", "BEGIN { }"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "ERROR: cannot run -c command '/nonexistent/command': /nonexistent/command not found or not executable\n")
        let noChild = try runSwtrace(["-e", #"BEGIN { printf("%d\n", cpid); }"#])
        XCTAssertEqual(noChild.status, 1)
        XCTAssertTrue(noChild.stderr.contains("ERROR: cpid cannot be used without child command (-c)"), noChild.stderr)
    }

    func testDashPFollowsOneProcessAndStopsWithIt() throws {
        let traced = try ChildProcess([binary, "15", "40"])
        let other = try ChildProcess([binary, "15", "40"])
        addTeardownBlock { traced.kill(); other.kill() }
        let script = #"""
            uprobe:\#(binary):sw_add { printf("uprobe %d\n", pid); }
            tracepoint:syscalls:sys_enter_clock_nanosleep { printf("tracepoint %d\n", pid); }
            """#
        let result = try runSwtrace(["-p", "\(traced.pid)", "-e", script], timeout: 30)
        XCTAssertEqual(result.status, 0, "\(result)")
        let lines = self.traced(result)
        XCTAssertTrue(lines.contains("uprobe \(traced.pid)"), "\(result)")
        XCTAssertTrue(lines.contains("tracepoint \(traced.pid)"), "\(result)")
        XCTAssertEqual(lines.filter { !$0.hasSuffix(" \(traced.pid)") }, [], "events of another process")
        XCTAssertNotNil(traced.waitForExit(timeout: 1), "swtrace stopped before its process exited")
    }

    func testDashPOfAMissingProcess() throws {
        let result = try runSwtrace(["-p", "999999", "-e", "BEGIN { }"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasSuffix("ERROR: cannot trace process 999999: No such process\n"), result.stderr)
    }

    // MARK: Kernel probe types that work here

    func testRawTracepointArgumentsFromBTF() throws {
        let result = try runSwtrace(["-e", #"rawtracepoint:sched_switch { printf("%s %d %d %d\n", probe, args.prev != 0, args->next != 0, arg1 == (uint64)args.prev); exit(); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        // Other CPUs may fire before exit() takes effect.
        XCTAssertFalse(traced(result).isEmpty)
        XCTAssertEqual(Set(traced(result)), ["rawtracepoint:sched_switch 1 1 1"])
        let syscalls = try runWithChild(#"rt:sys_enter /pid == cpid/ { printf("%d\n", args.id); }"#, "/bin/true")
        XCTAssertTrue(traced(syscalls).contains("231"), "exit_group(2) is syscall 231 on x86-64: \(syscalls)")
    }

    func testProfileFiresOnEveryCPUAndIntervalOnOne() throws {
        let cpus = Set(KernelFeatures.onlineCPUs())
        let swtrace = try startSwtrace(["-e", #"profile:hz:199 { printf("profile %d\n", cpu); } interval:ms:100 { printf("%s %d\n", probe, cpu); }"#])
        func seen(_ text: String) -> Set<Int> {
            Set(text.split(separator: "\n").filter { $0.hasPrefix("profile ") }.compactMap { Int($0.dropFirst(8)) })
        }
        // A CPU busy running other BPF programs skips samples, so wait until each has fired.
        swtrace.waitForOutput(timeout: 10) { seen($0) == cpus && $0.contains("interval:ms:100") }
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(seen(result.stdout), cpus, "profile fires on every CPU")
        let intervals = traced(result).filter { $0.hasPrefix("interval:ms:100 ") }
        XCTAssertFalse(intervals.isEmpty)
        XCTAssertEqual(Set(intervals).count, 1, "interval fires on one CPU: \(intervals)")
    }

    func testSoftwareEventsWithDefaultAndGivenCounts() throws {
        let result = try runWithChild(#"software:page-faults:1 /pid == cpid/ { printf("%s\n", probe); exit(); }"#, "\(binary) 1")
        XCTAssertFalse(traced(result).isEmpty)
        XCTAssertEqual(Set(traced(result)), ["software:page-faults:1"])
        let alias = try runSwtrace(["-e", #"s:cs { printf("%s\n", probe); exit(); }"#])
        XCTAssertEqual(alias.status, 0, "\(alias)")
        XCTAssertEqual(Set(traced(alias)), ["software:cs:1000"])
    }

    func testHardwareEventsFireOrSayWhyNot() throws {
        let result = try runSwtrace(["-e", #"hardware:cycles:100000 { printf("%s\n", probe); exit(); }"#])
        if result.status == 0 {
            XCTAssertEqual(Set(traced(result)), ["hardware:cycles:100000"])
        } else {
            XCTAssertEqual(result.stderr, "ERROR: hardware events are not available on this machine (no hardware performance counter for cycles): cannot attach hardware:cycles:100000\n")
        }
    }

    func testTracepointWildcardSharesOneProgram() throws {
        let result = try runWithChild(#"t:syscalls:sys_enter_exit* /pid == cpid/ { printf("%s\n", probe); }"#, "/bin/true")
        XCTAssertEqual(result.stderr, "Attached 2 probes\n")
        XCTAssertEqual(traced(result), ["tracepoint:syscalls:sys_enter_exit_group"])
    }

    // MARK: Kernel probe types this kernel refuses: built, verified where possible, one sentence

    func testKprobesLoadButCannotAttachWithoutKprobes() throws {
        try XCTSkipIf(KernelFeatures.hasKprobes, "this kernel has kprobes")
        for (script, probe) in [("kprobe:vfs_read { printf(\"%d\\n\", arg2); }", "kprobe:vfs_read"),
                                ("kretprobe:vfs_read { printf(\"%d\\n\", retval); }", "kretprobe:vfs_read"),
                                ("k:vfs_read+4 { }", "kprobe:vfs_read+4")] {
            let dryRun = try runSwtrace(["--dry-run", "-e", script])
            XCTAssertEqual(dryRun.status, 0, "\(script): \(dryRun)")
            XCTAssertEqual(dryRun.stderr, "")
            let attach = try runSwtrace(["-e", script])
            XCTAssertEqual(attach.status, 1, "\(script)")
            XCTAssertEqual(attach.stderr, "ERROR: kprobes are not available on this kernel (CONFIG_KPROBES is off): cannot attach \(probe)\n")
        }
        let wildcard = try runSwtrace(["--dry-run", "-e", #"kprobe:vfs_* { printf("%s %s\n", probe, func); }"#])
        XCTAssertEqual(wildcard.status, 0, "\(wildcard)")
    }

    func testFentryIsRefusedInOneSentence() throws {
        for (script, probe) in [("fentry:vfs_read { printf(\"%d\\n\", args.count); }", "kfunc:vmlinux:vfs_read"),
                                ("kretfunc:vfs_read { printf(\"%d\\n\", retval); }", "kretfunc:vmlinux:vfs_read")] {
            for arguments in [["--dry-run", "-e", script], ["-e", script]] {
                let result = try runSwtrace(arguments)
                if result.status == 0 { throw XCTSkip("this kernel loads fentry programs") }
                XCTAssertEqual(result.status, 1)
                XCTAssertEqual(result.stderr, "ERROR: fentry/fexit are not available on this kernel (it refuses to load programs bound to kernel functions: Operation not permitted): cannot load \(probe)\n")
            }
        }
    }

    // MARK: Errors that point at the attach point

    func testUnknownTargetsAreLocatedWithSuggestions() throws {
        let cases: [(String, String, Bool)] = [
            ("uprobe:\(binary):sw_ad { }", "ERROR: function 'sw_ad' not found in \(binary)", true),
            ("usdt:\(binary):swtest:tik { }", "ERROR: USDT probe 'swtest:tik' not found in \(binary)", true),
            ("uprobe:/nonexistent:f { }", "ERROR: uprobe target file '/nonexistent' does not exist or is not executable", false),
            ("rawtracepoint:sched_swich { }", "ERROR: raw tracepoint not found: sched_swich", true),
            ("kprobe:vfs_raed* { }", "ERROR: No probes matched: kprobe:vfs_raed*", true),
            ("fentry:vfs_raed { }", "ERROR: kernel function with BTF not found: vfs_raed", true),
            ("software:faultz { }", "ERROR: faultz is not a software probe", true),
        ]
        for (script, message, hasHint) in cases {
            let result = try runSwtrace(["-e", script])
            XCTAssertEqual(result.status, 1, script)
            let lines = result.stderr.split(separator: "\n").map(String.init)
            let attachPoint = String(script.prefix { $0 != " " })
            XCTAssertEqual(lines.first, "stdin:1:1-\(attachPoint.utf8.count + 1): \(message)", script)
            XCTAssertEqual(lines.count, hasHint ? 4 : 3, "\(script): \(result.stderr)")
            if hasHint { XCTAssertTrue(lines.last?.hasPrefix("HINT: did you mean") ?? false, result.stderr) }
        }
    }
}
