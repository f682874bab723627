import Foundation
import Glibc
import XCTest

/// End to end, as root: kernel struct fields read through BTF and CO-RE while real processes
/// run, checked against what the test knows about those processes (their parent, exit code,
/// run time, CPU affinity, scheduling flags) or against the tracepoint's own fields.
///
/// Each test names its processes with a unique symlink (`swk` + hex: a valid 15-byte comm), so
/// the probes' predicates pick them out of everything else running on the machine.
final class KernelTypesTests: XCTestCase {
    /// A symlink to `target` with a short unique name, in a folder removed when the test ends.
    private func uniqueLink(to target: String) throws -> (path: String, name: String) {
        let name = String(format: "swk%06x", UInt32.random(in: 0...0xffffff))
        let dir = NSTemporaryDirectory() + "/swtrace-e2e-\(uniqueToken())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + name
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
        return (path, name)
    }

    /// Lines of stdout that start with `tag `, without the tag.
    private func tagged(_ tag: String, _ stdout: String) -> [[String]] {
        stdout.split(separator: "\n").filter { $0.hasPrefix(tag + " ") }.map { $0.split(separator: " ").dropFirst().map(String.init) }
    }

    /// `curtask->real_parent->tgid` at exec and at exit is the pid of the shell that started the
    /// process, and `curtask->comm` (a char[16] member) is the process's name.
    func testParentPidAndCommFromTaskStruct() throws {
        try requireRoot()
        let child = try uniqueLink(to: "/bin/true")
        let script = """
        t:sched:sched_process_exec /comm == "\(child.name)"/ { printf("exec %d %d %s\\n", pid, curtask->real_parent->tgid, curtask->comm); }
        t:sched:sched_process_exit /comm == "\(child.name)"/ { printf("exit %d %d %s\\n", pid, curtask->real_parent->tgid, curtask->comm); }
        """
        let swtrace = try startSwtrace(["-e", script])
        // sh prints its own pid, then the child's.
        let run = try runWorkload(["/bin/sh", "-c", #"echo $$; "$0" & echo $!; wait"#, child.path])
        let pids = run.stdout.split(separator: "\n").compactMap { Int32($0) }
        XCTAssertEqual(pids.count, 2, run.stdout)
        let (shell, pid) = (pids.first ?? -1, pids.last ?? -1)
        swtrace.waitForOutput { $0.contains("exit \(pid) ") }
        let result = try swtrace.stop()
        XCTAssertEqual(tagged("exec", result.stdout), [["\(pid)", "\(shell)", child.name]], "\(result)")
        XCTAssertEqual(tagged("exit", result.stdout), [["\(pid)", "\(shell)", child.name]], "\(result)")
    }

    /// `(curtask->exit_code >> 8) & 0xff` at sched_process_exit is the status the process exits with.
    func testExitCodeFromTaskStruct() throws {
        try requireRoot()
        let shell = try uniqueLink(to: "/bin/sh")
        let script = #"t:sched:sched_process_exit /comm == "\#(shell.name)"/ { printf("code %d %d\n", pid, (curtask->exit_code >> 8) & 0xff); }"#
        let swtrace = try startSwtrace(["-e", script])
        let run = try runWorkload([shell.path, "-c", "exit 42"])
        XCTAssertEqual(run.status, 42)
        swtrace.waitForOutput { $0.contains("code \(run.pid) ") }
        let result = try swtrace.stop()
        XCTAssertEqual(tagged("code", result.stdout), [["\(run.pid)", "42"]], "\(result)")
    }

    /// `(nsecs - curtask->start_time) / 1000000` at exit is how long the process lived.
    func testRunTimeFromStartTime() throws {
        try requireRoot()
        let sleeper = try uniqueLink(to: "/bin/sleep")
        let script = #"t:sched:sched_process_exit /comm == "\#(sleeper.name)"/ { printf("ms %d\n", (nsecs - curtask->start_time) / 1000000); }"#
        let swtrace = try startSwtrace(["-e", script])
        let started = Date()
        let run = try runWorkload([sleeper.path, "0.4"])
        let wall = Date().timeIntervalSince(started) * 1000
        XCTAssertEqual(run.status, 0)
        swtrace.waitForOutput { $0.contains("ms ") }
        let result = try swtrace.stop()
        let ms = try XCTUnwrap(tagged("ms", result.stdout).first.flatMap { Int($0.first ?? "") }, "\(result)")
        XCTAssertGreaterThanOrEqual(ms, 400, "slept 0.4 s")
        XCTAssertLessThanOrEqual(Double(ms), wall + 50, "no longer than the test saw it run")
    }

    /// A bitfield (`sched_reset_on_fork:1`, set by `chrt --reset-on-fork`) and an array member
    /// (`cpus_mask.bits[0]`, set by `taskset`), both under the test's control.
    func testBitfieldAndArrayMember() throws {
        try requireRoot()
        guard access("/usr/bin/chrt", X_OK) == 0, access("/usr/bin/taskset", X_OK) == 0 else {
            throw XCTSkip("needs chrt and taskset (util-linux)")
        }
        let sleeper = try uniqueLink(to: "/bin/sleep")
        let script = #"t:sched:sched_process_exit /comm == "\#(sleeper.name)"/ { printf("task %d %d %d\n", pid, curtask->sched_reset_on_fork, curtask->cpus_mask.bits[0]); }"#
        let swtrace = try startSwtrace(["-e", script])
        let flagged = try runWorkload(["/usr/bin/taskset", "0x1", "/usr/bin/chrt", "--reset-on-fork", "--other", "0", sleeper.path, "0.01"])
        let plain = try runWorkload(["/usr/bin/taskset", "0x1", sleeper.path, "0.01"])
        XCTAssertEqual(flagged.status, 0, flagged.stderr)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        // taskset and chrt exec the sleeper: same pid.
        swtrace.waitForOutput { $0.components(separatedBy: "task ").count > 2 }
        let result = try swtrace.stop()
        XCTAssertEqual(tagged("task", result.stdout), [["\(flagged.pid)", "1", "1"], ["\(plain.pid)", "0", "1"]], "\(result)")
    }

    /// A tracepoint's `void *skbaddr` cast to `struct sk_buff *`: its `len` is the tracepoint's
    /// own `len`, and `dev` (two anonymous unions down) leads to the device the tracepoint names.
    func testTracepointPointerCastToKernelStruct() throws {
        try requireRoot()
        let port = Int.random(in: 20000...60000)
        let script = #"t:net:net_dev_queue /args->len > 40/ { $skb = (struct sk_buff *)args->skbaddr; printf("skb %d %d %s %s\n", args->len, $skb->len, $skb->dev->name, args->name); }"#
        let swtrace = try startSwtrace(["-e", script])
        try runWorkload(["/bin/bash", "-c", "for i in 1 2 3; do echo swtrace-kernel-types > /dev/udp/127.0.0.1/\(port); done; true"])
        swtrace.waitForOutput { $0.contains("skb ") }
        let result = try swtrace.stop()
        let lines = tagged("skb", result.stdout)
        XCTAssertFalse(lines.isEmpty, "\(result)")
        for line in lines {
            XCTAssertEqual(line.count, 4, "\(line)")
            guard line.count == 4 else { continue }
            XCTAssertEqual(line[1], line[0], "skb->len is the tracepoint's len")
            XCTAssertEqual(line[2], line[3], "skb->dev->name is the tracepoint's device")
        }
    }

    /// A uprobe argument points into the process: a struct of the script's own preamble and a
    /// kernel (BTF) struct cast over it are both read from user memory, and agree.
    func testStructsOverUserMemory() throws {
        try requireRoot()
        let libc = "/lib/x86_64-linux-gnu/libc.so.6"
        guard access(libc, R_OK) == 0 else { throw XCTSkip("no \(libc)") }
        let sleeper = try uniqueLink(to: "/bin/sleep")
        // sleep(1) → nanosleep(3) → clock_nanosleep(clock, flags, request, remain).
        let script = """
        struct ts { long sec; long nsec; };
        uprobe:\(libc):clock_nanosleep /comm == "\(sleeper.name)"/ {
            $t = (struct ts *)arg2; $k = (struct __kernel_timespec *)arg2;
            printf("ts %d %d %d %d\\n", $t->sec, $t->nsec, $k->tv_sec, $k->tv_nsec);
        }
        """
        let swtrace = try startSwtrace(["-e", script])
        let run = try runWorkload([sleeper.path, "1.25"])
        XCTAssertEqual(run.status, 0, run.stderr)
        swtrace.waitForOutput { $0.contains("ts ") }
        let result = try swtrace.stop()
        XCTAssertEqual(tagged("ts", result.stdout), [["1", "250000000", "1", "250000000"]], "\(result)")
    }

    /// `--emit-elf` writes an object whose field reads are CO-RE relocations, and swtrace's own
    /// run of the same script, relocated by libbpf at load, reads the right values.
    func testEmittedObjectCarriesRelocations() throws {
        try requireRoot()
        let path = temporaryPath(".o")
        let result = try runSwtrace(["--emit-elf", path, "-e", #"BEGIN { printf("%d\n", curtask->real_parent->tgid); exit(); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        let object = try XCTUnwrap(FileManager.default.contents(atPath: path), "\(result)")
        XCTAssertTrue(String(decoding: object, as: UTF8.self).contains(".BTF.ext"))
        let run = try runSwtrace(["-e", #"BEGIN { printf("%d %d\n", pid, curtask->real_parent->tgid); exit(); }"#])
        XCTAssertEqual(run.status, 0, "\(run)")
        // BEGIN runs in swtrace itself, whose parent is setpriv (or the test runner).
        let fields = run.lines.first?.split(separator: " ").compactMap { Int32($0) } ?? []
        XCTAssertEqual(fields.count, 2, "\(run)")
        XCTAssertEqual(fields.last.map { $0 > 1 }, true, "\(run)")
    }
}
