import Foundation
import Glibc
import XCTest

/// End to end, as root: swtrace attached to the kernel's exec and exit tracepoints while real
/// processes run, and the command-line options around a run (`-o`, `-q`, `--dry-run`, `--emit-*`).
///
/// Other processes run on the machine while these tests do, so every assertion is about the
/// test's own processes, told apart by pid or by a token unique to the test run.
final class ExecTracingTests: XCTestCase {
    /// The README's one-liner: one line per exec, `[pid] argv...`.
    static let execOneLiner = #"t:syscalls:sys_enter_execve { printf("[%d] ", pid); join(args->argv) }"#

    /// `[pid] rest` lines, grouped by pid, in order.
    private func execLines(_ stdout: String) -> [Int32: [String]] {
        var byPid: [Int32: [String]] = [:]
        for line in stdout.split(separator: "\n") {
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]"),
                  let pid = Int32(line[line.index(after: line.startIndex)..<close]) else { continue }
            let rest = line[line.index(after: close)...].drop { $0 == " " }
            byPid[pid, default: []].append(String(rest))
        }
        return byPid
    }

    /// A symlink to /bin/true with a short unique name (a valid comm: under 16 bytes), in a
    /// temporary folder removed at the end of the test.
    private func uniqueTrue() throws -> (path: String, name: String) {
        let name = String(format: "swt%06x", UInt32.random(in: 0...0xffffff))
        let dir = SwtraceRunner.temporaryFolder + "/swtrace-e2e-\(uniqueToken())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + name
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/bin/true")
        return (path, name)
    }

    /// Runs `path` in the background from sh and returns its pid.
    private func runInBackground(_ path: String) throws -> Int32 {
        let result = try runWorkload(["/bin/sh", "-c", #""$0" & echo $!; wait"#, path])
        return try XCTUnwrap(Int32(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "no pid in \(result.stdout)")
    }

    // MARK: The seed one-liner

    func testOneLinerPrintsPidAndArgv() throws {
        try requireRoot()
        let token = uniqueToken()
        let swtrace = try startSwtrace(["-e", Self.execOneLiner])
        let workload = try runWorkload(["/bin/sh", "-c", #"/bin/echo "$0" two "three four" >/dev/null & echo $!; wait"#, token])
        let pid = try XCTUnwrap(Int32(workload.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), workload.stdout)
        let expected = "[\(pid)] /bin/echo \(token) two three four"
        swtrace.waitForOutput { $0.contains(expected) }
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.lines.contains(expected), "no line '\(expected)' in:\n\(result)")
        XCTAssertTrue(result.stderr.hasPrefix("Attached 1 probe\n"), result.stderr)
    }

    /// The project's motivating workload: scripts/flaky-service starts bursts of processes that
    /// live under a second. Every one of them must show up, with its pid and its full argv.
    func testFlakyServiceEveryExecAppearsWithPidAndArgv() throws {
        try requireRoot()
        let rounds = 3
        let script = "dd if=/dev/urandom bs=1M count=1000 2>/dev/null | bzip2 -9 > /dev/null"
        let argvByComm = [
            "timeout": "timeout 0.9 sh -c \(script)",
            "sh": "sh -c \(script)",
            "dd": "dd if=/dev/urandom bs=1M count=1000",
            "bzip2": "bzip2 -9",
        ]
        let swtrace = try startSwtrace(["-e", Self.execOneLiner])
        let service = try runWorkload([SwtraceRunner.packageRoot.path + "/scripts/flaky-service", "-v", "\(rounds)", "0.2"])
        XCTAssertEqual(service.status, 0, service.stderr)

        // "round 1: timeout=123 sh=124 dd=125 bzip2=126"
        var started: [(comm: String, pid: Int32)] = []
        for line in service.stdout.split(separator: "\n") where line.hasPrefix("round ") {
            for word in line.split(separator: " ").dropFirst(2) {
                let parts = word.split(separator: "=")
                if parts.count == 2, let pid = Int32(parts[1]) { started.append((String(parts[0]), pid)) }
            }
        }
        XCTAssertGreaterThanOrEqual(started.filter { $0.comm == "timeout" }.count, rounds, "flaky-service -v said:\n\(service.stdout)")

        let lastPid = started.last?.pid ?? 0
        swtrace.waitForOutput { self.execLines($0)[lastPid] != nil && $0.components(separatedBy: "] sleep 0.2\n").count > rounds }
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        let seen = execLines(result.stdout)

        for (comm, pid) in started {
            guard let argv = argvByComm[comm] else { continue }   // the tree may include what -v itself ran
            let lines = seen[pid] ?? []
            XCTAssertTrue(lines.contains(argv), "\(comm) (pid \(pid)): expected '[\(pid)] \(argv)', swtrace printed for that pid: \(lines)")
        }
        // Whatever -v managed to see, every round execs each command once, as a new pid.
        for (comm, argv) in argvByComm.sorted(by: { $0.key < $1.key }) {
            let pids = seen.filter { $0.value.contains(argv) }.keys
            XCTAssertGreaterThanOrEqual(pids.count, rounds, "\(comm): '\(argv)' seen for \(pids.count) pid(s) over \(rounds) rounds")
        }
        for argv in ["sleep 0.2", "sleep 0.1"] {
            let pids = seen.filter { $0.value.contains(argv) }.keys
            XCTAssertGreaterThanOrEqual(pids.count, rounds, "'\(argv)' seen for \(pids.count) pid(s) over \(rounds) rounds")
        }
    }

    /// 50 runs of /bin/true, each gone within a millisecond: all 50 are seen.
    func testEveryShortLivedProcessIsSeen() throws {
        try requireRoot()
        let token = uniqueToken()
        let swtrace = try startSwtrace(["-e", Self.execOneLiner])
        try runWorkload(["/bin/sh", "-c", #"i=0; while [ $i -lt 50 ]; do /bin/true "$0" $i; i=$((i+1)); done"#, token])
        let wanted = (0..<50).map { "/bin/true \(token) \($0)" }
        swtrace.waitForOutput { out in wanted.allSatisfy { out.contains($0 + "\n") } }
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        let seen = execLines(result.stdout).filter { $0.value.contains { $0.hasPrefix("/bin/true \(token) ") } }
        let missing = wanted.filter { w in !seen.values.contains { $0.contains(w) } }
        XCTAssertEqual(missing, [], "missed \(missing.count) of 50 execs")
        XCTAssertEqual(seen.count, 50, "expected 50 distinct pids, got \(seen.keys.sorted())")
    }

    // MARK: Predicates, strings and tracepoint fields

    func testPredicateOnComm() throws {
        try requireRoot()
        let token = uniqueToken()
        let swtrace = try startSwtrace(["-e", #"t:syscalls:sys_enter_execve /comm == "sh"/ { printf("%s|", comm); join(args->argv) }"#])
        // sh execs the first /bin/true (comm "sh" at sys_enter_execve); env execs the second (comm "env").
        try runWorkload(["/bin/sh", "-c", #"/bin/true "$0" a; /usr/bin/env /bin/true "$0" b; :"#, token])
        swtrace.waitForOutput { $0.contains("sh|/usr/bin/env /bin/true \(token) b\n") }
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.lines.contains("sh|/bin/true \(token) a"), "\(result)")
        XCTAssertTrue(result.lines.contains("sh|/usr/bin/env /bin/true \(token) b"), "\(result)")
        XCTAssertFalse(result.stdout.contains("|/bin/true \(token) b"), "env's exec passed the predicate:\n\(result)")
        for line in result.lines where !line.isEmpty { XCTAssertTrue(line.hasPrefix("sh|"), "line from a process other than sh: \(line)") }
    }

    func testStrOfSyscallFilename() throws {
        try requireRoot()
        let target = try uniqueTrue()
        let swtrace = try startSwtrace(["-e", #"t:syscalls:sys_enter_execve { printf("%d %s\n", pid, str(args->filename)); }"#])
        let pid = try runInBackground(target.path)
        let expected = "\(pid) \(target.path)"
        swtrace.waitForOutput { $0.contains(expected + "\n") }
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.lines.contains(expected), "no line '\(expected)' in:\n\(result)")
    }

    /// `sched_process_exec`'s filename is a `__data_loc char[]`: read both directly and with str().
    func testSchedProcessExecDataLocFilename() throws {
        try requireRoot()
        let target = try uniqueTrue()
        let swtrace = try startSwtrace(["-e", #"t:sched:sched_process_exec { printf("%d %d %s %s %s\n", pid, args->old_pid, comm, args->filename, str(args->filename)); }"#])
        let pid = try runInBackground(target.path)
        let expected = "\(pid) \(pid) \(target.name) \(target.path) \(target.path)"
        swtrace.waitForOutput { $0.contains(expected + "\n") }
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.lines.contains(expected), "no line '\(expected)' in:\n\(result)")
    }

    /// `sched_process_exit`'s comm is a `char[16]`, its pid an int field.
    func testSchedProcessExitCommAndPid() throws {
        try requireRoot()
        let target = try uniqueTrue()
        let swtrace = try startSwtrace(["-e", #"t:sched:sched_process_exit { printf("exit %d %s %s\n", args->pid, args->comm, comm); }"#])
        let pid = try runInBackground(target.path)
        let expected = "exit \(pid) \(target.name) \(target.name)"
        swtrace.waitForOutput { $0.contains(expected + "\n") }
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.lines.contains(expected), "no line '\(expected)' in:\n\(result)")
    }

    func testBuiltinsInATracepoint() throws {
        try requireRoot()
        let target = try uniqueTrue()
        let swtrace = try startSwtrace(["-e", #"t:sched:sched_process_exec { printf("%s pid=%d tid=%d uid=%d gid=%d cpu=%d nsecs=%llu elapsed=%llu\n", comm, pid, tid, uid, gid, cpu, nsecs, elapsed); }"#])
        let pid = try runInBackground(target.path)
        swtrace.waitForOutput { $0.contains("\(target.name) pid=\(pid) ") }
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        let line = try XCTUnwrap(result.lines.first { $0.hasPrefix("\(target.name) pid=\(pid) ") }, "\(result)")
        let fields = Dictionary(uniqueKeysWithValues: line.split(separator: " ").dropFirst().map { f -> (String, Int64) in
            let kv = f.split(separator: "=")
            return (String(kv[0]), Int64(kv[1]) ?? -1)
        })
        XCTAssertEqual(fields["tid"], Int64(pid), line)   // a single-threaded process: tid == pid
        XCTAssertEqual(fields["uid"], Int64(getuid()), line)
        XCTAssertEqual(fields["gid"], Int64(getgid()), line)
        XCTAssertTrue((0..<Int64(sysconf(Int32(_SC_NPROCESSORS_CONF)))).contains(fields["cpu"] ?? -1), line)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nowNs = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        let nsecs = fields["nsecs"] ?? -1
        XCTAssertTrue(nsecs > 0 && nsecs <= nowNs && nowNs - nsecs < 60_000_000_000, "nsecs \(nsecs) is not CLOCK_MONOTONIC around \(nowNs)")
        let elapsed = fields["elapsed"] ?? -1
        XCTAssertTrue(elapsed > 0 && elapsed < 60_000_000_000, "elapsed \(elapsed) ns is not the time since start")
    }

    // MARK: printf

    func testPrintfConversionsFlagsWidthPrecision() throws {
        try requireRoot()
        let program = #"BEGIN { printf("%d|%5d|%-5d|%05d|%+d|%x|%X|%#x|%o|%s|%-6s|%6s|%.2s|%8.3s|%c|%p|%%|%i\n", 42, 42, 42, 42, 42, 255, 255, 255, 8, "str", "ab", "ab", "abcdef", "abcdef", 65, 4096, -7); exit(); }"#
        let result = try runSwtrace(["-q", "-e", program])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, "42|   42|42   |00042|+42|ff|FF|0xff|10|str|ab    |    ab|ab|     abc|A|0x1000|%|-7\n" + SwtraceRunner.exitBlankLines)
    }

    func testPrintfSixtyFourBitValues() throws {
        try requireRoot()
        let program = #"BEGIN { $x = -1; printf("%ld %lld %lu %lx %ld %lu\n", -5, -5, $x, $x, 5000000000, 5000000000); exit(); }"#
        let result = try runSwtrace(["-q", "-e", program])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, "-5 -5 18446744073709551615 ffffffffffffffff 5000000000 5000000000\n" + SwtraceRunner.exitBlankLines)
    }

    /// `h` and `hh` narrow the value as C's printf does: bpftrace 0.17 prints `4464|44|65535|-1`.
    func testPrintfShortLengthModifiers() throws {
        try requireRoot()
        let result = try runSwtrace(["-q", "-e", #"BEGIN { printf("%hd|%hhd|%hu|%hd\n", 70000, 300, -1, -1); exit(); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, "4464|44|65535|-1\n" + SwtraceRunner.exitBlankLines)
    }

    /// Without `l`, bpftrace 0.17 prints %d/%u/%x of a 64-bit value as C's printf prints an int:
    /// the low 32 bits. DESIGN.md asks for bpftrace's output byte for byte.
    func testPrintfIntConversionsWithoutLengthMatchBpftrace() throws {
        try requireRoot()
        let result = try runSwtrace(["-q", "-e", #"BEGIN { printf("%u|%x|%d\n", -1, -1, 5000000000); exit(); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, "4294967295|ffffffff|705032704\n" + SwtraceRunner.exitBlankLines)
    }

    // MARK: Probes that fire on their own, exit() and signals

    func testIntervalFiresThenExits() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", #"interval:ms:100 { printf("tick %d\n", elapsed / 1000000); if (elapsed > 350000000) { exit(); } }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stderr, "Attached 1 probe\n")
        XCTAssertTrue(result.stdout.hasSuffix("\n" + SwtraceRunner.exitBlankLines), "\(result)")
        let lines = result.lines.filter { !$0.isEmpty }
        let ticks = lines.compactMap { $0.hasPrefix("tick ") ? Int($0.dropFirst(5)) : nil }
        XCTAssertEqual(ticks.count, lines.count, "\(result)")
        XCTAssertTrue((3...6).contains(ticks.count), "expected 3 to 6 ticks, got \(ticks)")
        XCTAssertEqual(ticks, ticks.sorted(), "ticks out of order")
        XCTAssertTrue((50...250).contains(ticks.first ?? 0), "first tick at \(ticks.first ?? 0) ms; expected about 100")
        XCTAssertGreaterThan(ticks.last ?? 0, 350)
    }

    func testBeginThenProbesThenEnd() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", #"END { printf("end\n"); } interval:ms:100 { printf("tick\n"); exit(); } BEGIN { printf("begin\n"); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, "begin\ntick\nend\n" + SwtraceRunner.exitBlankLines)
    }

    /// BEGIN's output comes before any other probe's, as in bpftrace 0.17 (which runs BEGIN before
    /// it attaches the other probes): scripts print their column headers in BEGIN. sys_enter_bpf
    /// makes the order deterministic, as running BEGIN is itself a bpf() call.
    func testBeginOutputComesBeforeAnyProbeOutput() throws {
        try requireRoot()
        let swtrace = try startSwtrace(["-e", #"BEGIN { printf("begin\n"); } t:syscalls:sys_enter_bpf { printf("bpf by %s\n", comm); }"#])
        swtrace.waitForOutput { $0.contains("begin\n") }
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result.stderr)")
        XCTAssertEqual(result.lines.first, "begin", "first lines: \(result.lines.prefix(5))")
    }

    /// A probe that fires on swtrace's own output (every write of a line is a write(2)) must not
    /// keep it from stopping: bpftrace 0.17 stops within a second of SIGINT here.
    func testSigintStopsEvenWhenTheOutputFeedsTheProbe() throws {
        try requireRoot()
        let swtrace = try startSwtrace(["-e", #"t:syscalls:sys_enter_write { printf("write by %d\n", pid); }"#])
        swtrace.waitForOutput(timeout: 2) { $0.count > 10_000 }
        let result = try swtrace.stop(signal: SIGINT, timeout: 5)
        XCTAssertEqual(result.status, 0, "\(result.stderr)")
    }

    func testExitStopsWithStatusZeroAndRunsEnd() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", #"BEGIN { printf("begin\n"); exit(); } END { printf("end\n"); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, "begin\nend\n" + SwtraceRunner.exitBlankLines)
        XCTAssertEqual(result.stderr, "Attached 2 probes\n")
    }

    func testSigintStopsWithStatusZeroAndRunsEnd() throws {
        try requireRoot()
        let swtrace = try startSwtrace(["-e", #"t:syscalls:sys_enter_execve /pid == 1/ { printf("init exec\n"); } END { printf("end\n"); }"#])
        let result = try swtrace.stop(signal: SIGINT)
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, "end\n" + SwtraceRunner.exitBlankLines)
    }

    func testSigtermStopsWithStatusZeroAndRunsEnd() throws {
        try requireRoot()
        let swtrace = try startSwtrace(["-e", #"t:syscalls:sys_enter_execve /pid == 1/ { printf("init exec\n"); } END { printf("end\n"); }"#])
        let result = try swtrace.stop(signal: SIGTERM)
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, "end\n" + SwtraceRunner.exitBlankLines)
    }

    // MARK: Options

    func testOutputFileTakesTheOutput() throws {
        try requireRoot()
        let path = temporaryPath(".out")
        let result = try runSwtrace(["-o", path, "-e", #"BEGIN { printf("to the file\n"); exit(); } END { printf("end\n"); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, SwtraceRunner.exitBlankLines)   // bpftrace 0.17 too
        XCTAssertEqual(result.stderr, "Attached 2 probes\n")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "Attaching 2 probes...\nto the file\nend\n")
    }

    func testQuietPrintsNoAttachedLine() throws {
        try requireRoot()
        let result = try runSwtrace(["-q", "-e", #"BEGIN { printf("quiet\n"); exit(); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, "quiet\n" + SwtraceRunner.exitBlankLines)
        XCTAssertEqual(result.stderr, "")
    }

    func testDryRunLoadsAndPrintsNothing() throws {
        try requireRoot()
        let result = try runSwtrace(["--dry-run", "-e", Self.execOneLiner + #" BEGIN { printf("begin\n"); } END { printf("end\n"); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "")
    }

    func testEmitElfWritesABPFObject() throws {
        try requireRoot()
        let path = temporaryPath(".o")
        let result = try runSwtrace(["--emit-elf", path, "-e", Self.execOneLiner])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertFalse(result.stderr.contains("Attached"), "--emit-elf attached probes: \(result.stderr)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertGreaterThan(bytes.count, 64)
        XCTAssertEqual(Array(bytes.prefix(4)), [0x7f, 0x45, 0x4c, 0x46], "no ELF magic")
        XCTAssertEqual(bytes.count > 5 ? bytes[4] : 0, 2, "not ELFCLASS64")
        XCTAssertEqual(bytes.count > 5 ? bytes[5] : 0, 1, "not little-endian")
        let machine = bytes.count > 19 ? UInt16(bytes[18]) | UInt16(bytes[19]) << 8 : 0
        XCTAssertEqual(machine, 247, "e_machine is not EM_BPF")
    }

    func testEmitLLVMWritesIR() throws {
        try requireRoot()
        for option in ["--emit-llvm"] {
            let path = temporaryPath(".ll")
            let result = try runSwtrace([option, path, "-e", Self.execOneLiner])
            XCTAssertEqual(result.status, 0, "\(option): \(result)")
            let ir = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertTrue(ir.contains("define "), "\(option): no function definition in:\n\(ir.prefix(2000))")
            XCTAssertTrue(ir.contains("tracepoint/syscalls/sys_enter_execve"), "\(option): no program section in the IR")
        }
    }
}
