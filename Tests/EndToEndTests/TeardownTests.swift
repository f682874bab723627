import Foundation
import Glibc
import XCTest

/// Nothing swtrace loads outlives it, however it stops: every program, map and link it held
/// while tracing is gone afterwards, and nothing it created is left without an owner.
final class TeardownTests: XCTestCase {
    /// Two tracepoints (one kept busy by the test itself) and a timer: programs, maps, links.
    private let script = """
        t:syscalls:sys_enter_getppid { @calls = count(); }
        t:syscalls:sys_enter_getpid { @pids[pid] = count(); }
        interval:ms:50 { @ticks = count(); }
        """

    /// Starts swtrace, records what it holds, stops it with `stop`, then checks the kernel.
    @discardableResult
    private func traceThenCheck(_ arguments: [String], _ what: String,
                                stop: (SwtraceProcess) throws -> SwtraceResult) throws -> SwtraceResult {
        try requireRoot()
        let mark = try bpfHighWaterMark()
        let swtrace = try startSwtrace(arguments)
        let owned = KernelObjectLedger.held(by: swtrace.child.pid)
        XCTAssertFalse(owned.programs.isEmpty, "\(what): swtrace holds no programs while tracing")
        XCTAssertFalse(owned.maps.isEmpty, "\(what): swtrace holds no maps while tracing")
        XCTAssertFalse(owned.links.isEmpty, "\(what): swtrace holds no links while tracing")
        let result = try stop(swtrace)
        try assertNothingLeftBehind(owned: owned, since: mark, what)
        return result
    }

    /// For runs too short to look inside: no object created during the run may outlive it.
    private func runThenCheck(_ arguments: [String], _ what: String,
                              executable: String = SwtraceRunner.binaryPath) throws -> SwtraceResult {
        try requireRoot()
        let mark = try bpfHighWaterMark()
        let result = try runSwtrace(arguments, executable: executable)
        try assertNothingLeftBehind(owned: BPFObjectIDs(), since: mark, what)
        return result
    }

    func testExitFromTheScript() throws {
        let result = try traceThenCheck(["-e", script + "\ninterval:ms:700 { exit(); }"], "exit()") { try $0.waitForExit() }
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.contains("@ticks: "), "maps are printed after exit(): \(result)")
    }

    func testStopSignals() throws {
        for (signal, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")] {
            let result = try traceThenCheck(["-e", script], name) { swtrace in
                getppid()
                _ = swtrace.waitForOutput(timeout: 1) { _ in false }
                return try swtrace.stop(signal: signal)
            }
            XCTAssertEqual(result.status, 0, "\(name): \(result)")
            XCTAssertTrue(result.stdout.contains("@ticks: "), "\(name): maps are printed: \(result)")
        }
    }

    /// Ctrl-C with a backlog of system() records queued: the backlog is printed for half a
    /// second at most (the rest counted as lost), END still runs and prints, and swtrace stops
    /// quickly (bpftrace's "sigint under heavy load").
    func testSIGINTUnderHeavyLoadRunsEND() throws {
        let result = try traceThenCheck(["--unsafe", "-e", "tracepoint:sched:sched_switch { system(\"echo foo\"); } END { printf(\"end\\n\"); }"],
                                        "SIGINT under heavy load") { swtrace in
            _ = swtrace.waitForOutput(timeout: 1.5) { _ in false }
            let start = Date()
            let result = try swtrace.stop()
            XCTAssertLessThan(Date().timeIntervalSince(start), 3, "stopping took too long")
            return result
        }
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.contains("foo\n"), "\(result)")
        XCTAssertTrue(result.stdout.contains("end\n"), "END's output is printed: \(result)")
    }

    /// SIGUSR1 never ends a trace.
    func testSIGUSR1DoesNotStopTracing() throws {
        try traceThenCheck(["-e", script], "SIGUSR1 then SIGINT") { swtrace in
            swtrace.child.send(SIGUSR1)
            usleep(300_000)
            XCTAssertTrue(swtrace.isRunning, "SIGUSR1 ended swtrace: \(swtrace.stderr)")
            let result = try swtrace.stop()
            XCTAssertEqual(result.status, 0, "\(result)")
            return result
        }
    }

    func testChildCommandExiting() throws {
        let result = try traceThenCheck(["-c", "/bin/sleep 1", "-e", script], "-c command exiting") { try $0.waitForExit() }
        XCTAssertEqual(result.status, 0, "\(result)")
    }

    func testTargetProcessExiting() throws {
        // Long enough to outlive attaching on a busy machine; tracing stops when it exits.
        let target = try ChildProcess(["/bin/sleep", "4"])
        addTeardownBlock { target.kill() }
        let result = try traceThenCheck(["-p", "\(target.pid)", "-e", script], "-p target exiting") { try $0.waitForExit() }
        XCTAssertEqual(result.status, 0, "\(result)")
    }

    /// The third of five probes cannot attach (kprobes are off here; a kernel with kprobes
    /// gets a function that does not exist at attach time instead): the two attached before
    /// it are released too.
    func testThirdOfFiveProbesFailingToAttach() throws {
        let kprobesWork = access("/sys/kernel/tracing/kprobe_events", F_OK) == 0
        let third = kprobesWork ? "uprobe:/bin/bash:0x7fffffff" : "kprobe:vfs_read"
        let result = try runThenCheck(["-e", """
            t:syscalls:sys_enter_getppid { @a = 1; }
            t:syscalls:sys_enter_getpid { @b = 1; }
            \(third) { @c = 1; }
            t:syscalls:sys_enter_gettid { @d = 1; }
            interval:s:1 { @e = 1; }
            """], "third probe failing to attach")
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertTrue(result.stderr.hasPrefix("ERROR: "), "\(result)")
        XCTAssertFalse(result.stderr.contains("Attached"), "\(result)")
    }

    func testVerifierFailure() throws {
        // Too many iterations for the verifier to follow, as a plain loop (SWTRACE_PLAIN_LOOPS=1;
        // swtrace itself would run it through bpf_loop).
        let result = try runThenCheck(["SWTRACE_PLAIN_LOOPS=1", SwtraceRunner.binaryPath,
                                       "-e", "t:syscalls:sys_enter_getppid { $i = 0; while ($i < 400000) { if ($i >= 0) { $i++; } } }"],
                                      "verifier failure", executable: "/usr/bin/env")
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertTrue(result.stderr.contains("verifier rejected probe t:syscalls:sys_enter_getppid"), "\(result)")
    }

    /// `swtrace … | head -1`: the reader goes away; swtrace notices at its next write and stops
    /// at once, quietly and cleanly, rather than dying of SIGPIPE.
    func testStdoutClosedByTheReader() throws {
        try requireRoot()
        let mark = try bpfHighWaterMark()
        let start = Date()
        let run = try runWorkload(["/bin/bash", "-c", #"set -o pipefail; "$0" -e 'interval:ms:10 { printf("tick\n"); }' | head -1"#,
                                   SwtraceRunner.binaryPath], timeout: 20)
        XCTAssertEqual(run.status, 0, "swtrace's status in the pipeline; stderr: \(run.stderr)")
        XCTAssertEqual(run.stdout, "Attaching 1 probe...\n")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        try assertNothingLeftBehind(owned: BPFObjectIDs(), since: mark, "stdout closed")
    }

    func testOutputToAFullDisk() throws {
        let result = try runThenCheck(["-o", "/dev/full", "-e", "interval:ms:10 { printf(\"tick\\n\"); }"], "-o /dev/full")
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertTrue(result.stderr.contains("ERROR: could not write the output to /dev/full: No space left on device"), "\(result)")
    }

    func testOutputToAnUnwritablePath() throws {
        let result = try runThenCheck(["-o", "/proc/swtrace-no-such-dir/out", "-e", "interval:ms:10 { printf(\"tick\\n\"); }"],
                                      "-o unwritable")
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.stderr, "ERROR: could not open /proc/swtrace-no-such-dir/out for writing: No such file or directory\n")
    }
}
