import Foundation
import Glibc
import XCTest

/// The tools in examples/ that stand in for bcc's execsnoop and exitsnoop and libbpf-bootstrap's
/// bootstrap: run on a real workload (scripts/flaky-service, or commands started here), with
/// their options, and every line rebuilt from its fields with the original tool's printf format
/// (from the tools' sources) must equal the line printed: the columns are the same, byte for byte.
final class ToolsTests: XCTestCase {
    var examples: URL { SwtraceRunner.packageRoot.appendingPathComponent("examples") }
    var flakyService: String { SwtraceRunner.packageRoot.appendingPathComponent("scripts/flaky-service").path }

    /// The pid of the last workload `trace` ran (scripts/flaky-service: the parent of its rounds).
    var workloadPID: Int = 0

    /// Traces with `tool` and `options` (after `--`) while `workload` runs, then stops it.
    func trace(_ tool: String, _ options: [String] = [], workload: [String]) throws -> SwtraceResult {
        let swtrace = try startSwtrace([examples.appendingPathComponent(tool).path] + (options.isEmpty ? [] : ["--"] + options))
        let run = try runWorkload(workload, timeout: 30)
        XCTAssertEqual(run.status, 0, "workload \(workload): \(run.stderr)")
        workloadPID = Int(run.pid)
        usleep(300_000)   // the last exit events
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stderr.split(separator: "\n").filter { !$0.hasPrefix("Attached") }, [], "stderr: \(result.stderr)")
        return result
    }

    func sh(_ script: String) -> [String] { ["/bin/sh", "-c", script] }

    // MARK: execsnoop

    /// bcc execsnoop: `%-16s %-7d %-7s %3d %s` (PCOMM PID PPID RET ARGS), after the optional
    /// `%-9s` TIME (-T), `%-8.3f` TIME(s) (-t) and `%-6d` UID (-U) columns.
    struct ExecLine {
        var comm: String, pid: Int, ppid: Int, ret: Int, args: String
        var prefix = ""
        let text: String

        init?(_ line: String, prefixColumns: Int = 0) {
            text = line
            var rest = Substring(line)
            for _ in 0..<prefixColumns {
                guard let space = rest.firstIndex(of: " ") else { return nil }
                rest = rest[space...].drop { $0 == " " }
            }
            prefix = String(line.prefix(line.count - rest.count))
            let f = rest.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: true)
            guard f.count == 5, let pid = Int(f[1]), let ppid = Int(f[2]), let ret = Int(f[3]) else { return nil }
            comm = String(f[0]); self.pid = pid; self.ppid = ppid; self.ret = ret; args = String(f[4])
        }

        var asBccPrintsIt: String {
            prefix + left(comm, 16) + " " + left(String(pid), 7) + " " + left(String(ppid), 7) + " "
                + right(String(ret), 3) + " " + args
        }
    }

    func execLines(_ result: SwtraceResult, prefixColumns: Int = 0) -> [ExecLine] {
        result.lines.dropFirst().compactMap { ExecLine($0, prefixColumns: prefixColumns) }
    }

    func testExecsnoopColumnsOnTheFlakyService() throws {
        try requireRoot()
        let result = try trace("execsnoop.st", workload: [flakyService, "2", "0.2"])
        XCTAssertEqual(result.lines.first, left("PCOMM", 16) + " " + left("PID", 7) + " " + left("PPID", 7) + " RET ARGS")
        // Only the workload's lines: other processes on the machine may have spaces in their names.
        let lines = execLines(result).filter { Self.workloadNames.contains($0.comm) }
        for line in lines { XCTAssertEqual(line.asBccPrintsIt, line.text) }
        // Each round: timeout starts sh, which starts dd and bzip2 (PPID = that sh).
        let rounds = lines.filter { $0.comm == "timeout" && $0.ppid == workloadPID }
        XCTAssertEqual(rounds.count, 2, "\(result)")
        for round in rounds {
            guard let shell = lines.first(where: { $0.comm == "sh" && $0.ppid == round.pid }) else {
                XCTFail("no sh started by timeout \(round.pid): \(result)"); continue
            }
            XCTAssertTrue(lines.contains { $0.comm == "dd" && $0.ppid == shell.pid && $0.args.hasSuffix("dd if=/dev/urandom bs=1M count=1000") }, "\(result)")
            XCTAssertTrue(lines.contains { $0.comm == "bzip2" && $0.ppid == shell.pid && $0.args.hasSuffix("bzip2 -9") }, "\(result)")
        }
        XCTAssertTrue(lines.allSatisfy { $0.ret == 0 }, "failed execs only with --fails: \(result)")
    }

    func testExecsnoopOptions() throws {
        try requireRoot()
        let token = uniqueToken()
        // --fails: the failed exec shows execve's -ENOENT; --max-args=3: argv[0] as the file, two more, "...".
        let result = try trace("execsnoop.st", ["--fails", "--max-args=3", "--time", "--timestamp", "--print-uid", "--line=\(token)"],
                               workload: sh("/nonexistent/\(token) x 2> /dev/null; /bin/echo \(token) a b c > /dev/null; /bin/echo other > /dev/null; true"))
        XCTAssertEqual(result.lines.first, "TIME     TIME(s) UID   " + left("PCOMM", 16) + " " + left("PID", 7) + " " + left("PPID", 7) + " RET ARGS")
        // The workload's own /bin/sh -c SCRIPT mentions the token too.
        let lines = execLines(result, prefixColumns: 3).filter { !$0.args.hasPrefix("/bin/sh -c ") }
        XCTAssertEqual(lines.map(\.args), ["/nonexistent/\(token) x", "/bin/echo \(token) a ..."], "\(result)")
        XCTAssertEqual(lines.map(\.ret), [-2, 0])
        for line in lines {
            XCTAssertEqual(line.asBccPrintsIt, line.text)
            // "%-9s" HH:MM:SS, "%-8.3f" seconds, "%-6d" uid 0.
            XCTAssertNotNil(line.prefix.range(of: #"^\d\d:\d\d:\d\d \d+\.\d{3} +0 +$"#, options: .regularExpression), line.prefix)
            XCTAssertEqual(line.prefix.count, 9 + 8 + 6)
        }
        let seconds = lines.compactMap { Double($0.prefix.split(separator: " ")[1]) }
        XCTAssertTrue(seconds.allSatisfy { (0..<60).contains($0) }, "seconds since start: \(seconds)")

        // --name (a substring of the new program's name) and --uid: only what matches.
        let named = try trace("execsnoop.st", ["--name=ech", "--uid=0"],
                              workload: sh("/bin/echo \(token) > /dev/null; /bin/true \(token)"))
        let namedArgs = execLines(named).map(\.args).filter { $0.contains(token) }
        XCTAssertEqual(namedArgs, ["/bin/echo \(token)"], "\(named)")
        let otherUser = try trace("execsnoop.st", ["--uid=54321"], workload: sh("/bin/echo \(token) > /dev/null"))
        XCTAssertEqual(execLines(otherUser).filter { $0.args.contains(token) }.count, 0, "\(otherUser)")
    }

    // MARK: exitsnoop

    /// bcc exitsnoop: `%-16s %-6d %-6d %-6d %-7.2f ` then `0`, `code N` or
    /// `signal N (NAME)[, core dumped]`; `%-13s` HH:MM:SS.mmm before it with -t.
    struct ExitLine {
        var comm: String, pid: Int, ppid: Int, tid: Int, age: String, code: String, prefix: String
        let text: String

        init?(_ line: String, timestamp: Bool = false) {
            text = line
            prefix = timestamp ? String(line.prefix(13)) : ""
            let body = timestamp ? String(line.dropFirst(13)) : line
            let f = body.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard f.count == 6, let pid = Int(f[1]), let ppid = Int(f[2]), let tid = Int(f[3]) else { return nil }
            comm = String(f[0]); self.pid = pid; self.ppid = ppid; self.tid = tid; age = String(f[4])
            code = String(f[5].drop { $0 == " " })
        }

        var asBccPrintsIt: String {
            prefix + left(comm, 16) + " " + left(String(pid), 6) + " " + left(String(ppid), 6) + " " + left(String(tid), 6)
                + " " + left(age, 7) + " " + code
        }
    }

    func testExitsnoopOnTheFlakyService() throws {
        try requireRoot()
        let result = try trace("exitsnoop.st", ["--timestamp"], workload: [flakyService, "2", "0.2"])
        XCTAssertEqual(result.lines.first, "TIME-" + left(Self.timeZone, 8) + left("PCOMM", 16) + " " + left("PID", 6) + " "
                       + left("PPID", 6) + " " + left("TID", 6) + " " + left("AGE(s)", 7) + " " + left("EXIT_CODE", 10))
        let lines = result.lines.dropFirst().compactMap { ExitLine($0, timestamp: true) }.filter { Self.workloadNames.contains($0.comm) }
        for line in lines {
            XCTAssertEqual(line.asBccPrintsIt, line.text)
            XCTAssertNotNil(line.prefix.range(of: #"^\d\d:\d\d:\d\d\.\d{3} $"#, options: .regularExpression), line.prefix)
            XCTAssertNotNil(line.age.range(of: #"^\d+\.\d\d$"#, options: .regularExpression), line.age)
            XCTAssertNotNil(line.code.range(of: #"^(0|code \d+|signal \d+ \(SIG[A-Z0-9+]+\)(, core dumped)?)$"#, options: .regularExpression), line.code)
            XCTAssertEqual(line.pid, line.tid, "thread exits only with --per-thread")
        }
        // timeout 0.9 ends each burst: SIGTERM to its process group (sh, dd, bzip2), then exits 124.
        let timeouts = lines.filter { $0.comm == "timeout" && $0.ppid == workloadPID }
        XCTAssertEqual(timeouts.map(\.code), ["code 124", "code 124"], "\(result)")
        for t in timeouts {
            XCTAssertTrue(lines.contains { $0.ppid == t.pid && $0.code == "signal 15 (SIGTERM)" }, "no child of timeout \(t.pid) killed by SIGTERM: \(result)")
            let age = Double(t.age) ?? 0
            XCTAssertTrue((0.85...5).contains(age), "timeout 0.9 lived \(age) s")
        }
    }

    func testExitsnoopOptions() throws {
        try requireRoot()
        let failed = try trace("exitsnoop.st", ["--failed"], workload: sh("sh -c 'exit 7'; sh -c 'exit 0'; sh -c 'kill -KILL $$'; true"))
        let lines = failed.lines.dropFirst().compactMap { ExitLine($0) }
        XCTAssertTrue(lines.contains { $0.code == "code 7" }, "\(failed)")
        XCTAssertTrue(lines.contains { $0.code == "signal 9 (SIGKILL)" }, "\(failed)")
        XCTAssertFalse(lines.contains { $0.code == "0" }, "--failed prints no exit 0: \(failed)")

        // --pid: that process alone (its sleeps are processes of their own), held until tracing
        // has started by a file the workload creates.
        let go = temporaryPath(".go")
        let child = try ChildProcess(["/bin/sh", "-c", "while [ ! -e \(go) ]; do sleep 0.05; done; exit 5"])
        addTeardownBlock { child.kill() }
        let one = try trace("exitsnoop.st", ["--pid=\(child.pid)", "--per-thread"], workload: sh("touch \(go); sleep 0.5"))
        let oneLines = one.lines.dropFirst().compactMap { ExitLine($0) }
        XCTAssertEqual(oneLines.map(\.pid), [Int(child.pid)], "\(one)")
        XCTAssertEqual(oneLines.map(\.code), ["code 5"])
    }

    // MARK: bootstrap

    /// libbpf-bootstrap: `%-8s %-5s %-16s %-7d %-7d %s` for EXEC, `... [%u]` and ` (%llums)` for EXIT.
    func testBootstrapOnTheFlakyService() throws {
        try requireRoot()
        let result = try trace("bootstrap.st", workload: [flakyService, "1", "0.2"])
        XCTAssertEqual(result.lines.first, "TIME     EVENT COMM             PID     PPID    FILENAME/EXIT CODE")
        var sawExec = false, sawExit = false
        for line in result.lines.dropFirst() where line.contains(" bzip2 ") || line.contains(" dd ") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard f.count >= 6, let pid = Int(f[3]), let ppid = Int(f[4]) else { XCTFail(line); continue }
            let columns = left(f[0], 8) + " " + left(f[1], 5) + " " + left(f[2], 16) + " " + left(String(pid), 7) + " " + left(String(ppid), 7) + " "
            XCTAssertTrue(line.hasPrefix(columns), "\(line) vs \(columns)")
            if f[1] == "EXEC" {
                sawExec = true
                XCTAssertTrue(f[5].hasSuffix("/" + f[2]), line)
            } else {
                sawExit = true
                XCTAssertNotNil(line.dropFirst(columns.count).range(of: #"^\[\d+\]( \(\d+ms\))?$"#, options: .regularExpression), line)
            }
        }
        XCTAssertTrue(sawExec && sawExit, "\(result)")
    }

    func testBootstrapMinimumDuration() throws {
        try requireRoot()
        let token = uniqueToken()
        let script = #"d=$(mktemp -d) && ln -s /bin/sleep "$d/$1" && "$d/$1" 0.4 && "$d/$1" 0.01; rm -rf "$d""#
        let swtrace = try startSwtrace([examples.appendingPathComponent("bootstrap.st").path, "--", "--d=200"])
        let run = try runWorkload(["/bin/sh", "-c", script, "sh", String(token.prefix(15))], timeout: 10)
        XCTAssertEqual(run.status, 0)
        usleep(300_000)
        let result = try swtrace.stop()
        let mine = result.lines.filter { $0.contains(" \(token.prefix(15)) ") }
        XCTAssertEqual(mine.count, 1, "only the 400 ms sleep lived 200 ms, and no EXEC lines: \(result)")
        let ms = mine.first.flatMap { line in
            line.range(of: #"\(\d+ms\)$"#, options: .regularExpression).flatMap { Int(line[$0].dropFirst().dropLast(3)) }
        }
        XCTAssertTrue((390...3000).contains(ms ?? 0), "\(mine)")
        XCTAssertTrue(mine.first?.contains(" EXIT  ") ?? false)
    }

    /// What scripts/flaky-service runs.
    static let workloadNames: Set<String> = ["flaky-service", "timeout", "sh", "dd", "bzip2", "sleep"]

    static var timeZone: String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        return parts.tm_zone.map { String(cString: $0) } ?? "UTC"
    }
}

/// `%-Ns`.
func left(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
/// `%Ns`.
func right(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }
