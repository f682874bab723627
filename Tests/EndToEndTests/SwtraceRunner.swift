import Foundation
import Glibc
import XCTest

/// Runs the built `swtrace` binary and the workloads it traces, as child processes.
///
/// Children are started with `posix_spawn` in a process group of their own, with every signal
/// at its default disposition (so SIGINT reaches swtrace's handler even though XCTest may ignore
/// it) and stdout/stderr going to unlinked temporary files, which tests poll.
/// Every child is started through `setpriv --pdeathsig KILL`, so it dies with the test process
/// even if that crashes, and is killed in the test's teardown, pass or fail.
enum SwtraceRunner {
    /// The package root, three levels above this file (`Tests/EndToEndTests/SwtraceRunner.swift`).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$SWTRACE` if set, else `.build/debug/swtrace` in the package.
    static var binaryPath: String {
        if let path = ProcessInfo.processInfo.environment["SWTRACE"], !path.isEmpty { return path }
        return packageRoot.appendingPathComponent(".build/debug/swtrace").path
    }

    /// How long a child may take to get going when the machine is busy (a 2-core box building Swift).
    static let attachTimeout: TimeInterval = 30
    static let exitTimeout: TimeInterval = 15

    /// What bpftrace 0.17 prints on stdout when it stops, before any maps (even with none, and
    /// even with `-o FILE`): two newlines. swtrace follows it byte for byte.
    static let exitBlankLines = "\n\n"

    /// The temporary folder, without a trailing slash.
    static let temporaryFolder: String = {
        let path = NSTemporaryDirectory()
        return path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }()

    /// `text` without a leading `Attaching N probe(s)...` line.
    static func withoutAttachLine(_ text: String) -> String {
        guard text.hasPrefix("Attaching "), let newline = text.firstIndex(of: "\n") else { return text }
        let line = text[..<newline]
        guard line.hasSuffix(" probe...") || line.hasSuffix(" probes...") else { return text }
        return String(text[text.index(after: newline)...])
    }

    static let setprivPath: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { (path: String) in access(path, X_OK) == 0 }
}

/// A failure of the runner itself (the binary missing, a child that hangs), thrown into the test.
struct SwtraceRunnerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What a finished swtrace run printed, and how it ended.
struct SwtraceResult: CustomStringConvertible {
    let stdout: String
    let stderr: String
    /// The exit code, or 128 + N when a signal N ended the process (as a shell reports it).
    let status: Int32
    /// The stdout lines, without the empty string after a final newline.
    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast(stdout.hasSuffix("\n") ? 1 : 0).map(String.init) }
    var description: String {
        "exit status \(status)\n--- stdout:\n\(excerpt(stdout))--- stderr:\n\(excerpt(stderr))"
    }
}

/// The end of a possibly huge output, for failure messages.
func excerpt(_ text: String, limit: Int = 2000) -> String {
    text.count <= limit ? text : "[… \(text.count - limit) characters before this …]\n" + text.suffix(limit)
}

/// One spawned child: its pid and process group, and what it has printed so far.
final class ChildProcess {
    let pid: pid_t
    /// What to call the child in messages.
    let name: String
    private let stdoutCapture: OutputCapture
    private let stderrCapture: OutputCapture
    private var waitStatus: Int32?

    /// Spawns `argv[0]` (a path) with `argv`, in a new process group, stdout and stderr captured.
    init(_ argv: [String], name: String? = nil, stdin: String = "/dev/null") throws {
        self.name = name ?? (argv.first.map { ($0 as NSString).lastPathComponent } ?? "child")
        stdoutCapture = try OutputCapture()
        stderrCapture = try OutputCapture()

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutCapture.fd, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrCapture.fd, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        sigdelset(&allSignals, SIGKILL)
        sigdelset(&allSignals, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let env = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        // Through setpriv, the child gets SIGKILL if the test process dies (crash, kill -9) before
        // its teardown runs. (A uid change clears that signal: runs as another user lack it.)
        var argv = argv
        if let setpriv = SwtraceRunner.setprivPath {
            argv = [setpriv, "--pdeathsig", "KILL", "--"] + argv
        }
        var spawned: pid_t = 0
        // ETXTBSY: someone sharing this .build folder is linking the program right now; wait for
        // them. (Through setpriv, that shows as setpriv's exit status 126: see SwtraceProcess.)
        let deadline = Date().addingTimeInterval(120)
        var rc: Int32
        repeat {
            rc = Self.withCStrings(argv) { cArgv in
                Self.withCStrings(env) { cEnv in
                    posix_spawn(&spawned, argv[0], &actions, &attributes, cArgv, cEnv)
                }
            }
            if rc == ETXTBSY { usleep(500_000) }
        } while rc == ETXTBSY && Date() < deadline
        guard rc == 0 else {
            throw SwtraceRunnerError("could not start \(argv.joined(separator: " ")): \(String(cString: strerror(rc)))")
        }
        pid = spawned
    }

    deinit {
        kill()
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return body(pointers)
    }

    /// Everything the child has written to stdout so far.
    var stdout: String { stdoutCapture.text }
    /// Everything the child has written to stderr so far.
    var stderr: String { stderrCapture.text }

    /// Whether the child is still running (reaps it, without blocking, once it has exited).
    var isRunning: Bool {
        if waitStatus != nil { return false }
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        if rc == pid { waitStatus = status; return false }
        if rc < 0 { waitStatus = -1; return false }
        return true
    }

    /// The exit code once the child has exited (128 + signal if a signal ended it), else nil.
    var exitStatus: Int32? {
        guard !isRunning, let status = waitStatus else { return nil }
        if status == -1 { return -1 }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    func send(_ signal: Int32) {
        if isRunning { Glibc.kill(pid, signal) }
    }

    /// Polls `condition` every 20 ms until it holds (true), the child exits (false, after one
    /// last look), or `timeout` passes (false).
    func poll(timeout: TimeInterval, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if condition() { return true }
            if !isRunning { return condition() }
            if Date() >= deadline { return false }
            usleep(20_000)
        }
    }

    /// Waits up to `timeout` for the child to exit; returns its exit status, or nil if it is still running.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        _ = poll(timeout: timeout) { false }
        return exitStatus
    }

    /// SIGKILLs the child's whole process group and reaps the child. Safe to call twice.
    func kill() {
        guard isRunning else { return }
        Glibc.kill(-pid, SIGKILL)
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        if waitpid(pid, &status, 0) == pid { waitStatus = status } else { waitStatus = -1 }
    }
}

/// A child's stdout or stderr: an unlinked temporary file the child writes to and the test
/// reads back, so a chatty child never blocks on a full pipe and nothing is left in /tmp.
final class OutputCapture {
    let fd: Int32
    private var bytes: [UInt8] = []

    init() throws {
        var template = Array((SwtraceRunner.temporaryFolder + "/swtrace-e2e-XXXXXX").utf8CString)
        fd = mkstemp(&template)
        guard fd >= 0 else { throw SwtraceRunnerError("mkstemp failed: \(String(cString: strerror(errno)))") }
        unlink(template)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)   // children get it only as their stdout/stderr (dup2)
    }

    deinit { close(fd) }

    /// All that was written so far (reads only what is new since the last call).
    var text: String {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(bytes.count)) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A running swtrace: wait for it to attach, read what it printed so far, stop it.
final class SwtraceProcess {
    private(set) var child: ChildProcess
    let arguments: [String]
    private let argv: [String]
    /// Until when a start that failed because the binary was being linked is retried.
    private let busyDeadline = Date().addingTimeInterval(120)

    /// `executable` is swtrace, or an AOT executable it wrote (same flags, same output).
    init(arguments: [String], user: String? = nil, executable: String = SwtraceRunner.binaryPath) throws {
        self.arguments = arguments
        var argv = [executable] + arguments
        if let user {
            guard let setpriv = SwtraceRunner.setprivPath else {
                throw SwtraceRunnerError("setpriv (util-linux) is needed to run swtrace as another user")
            }
            argv = [setpriv, "--reuid=\(user)", "--regid=nogroup", "--clear-groups", "--"] + argv
        }
        self.argv = argv
        child = try ChildProcess(argv, name: "swtrace")
    }

    /// Whoever shares this .build folder may be linking swtrace right now; exec then fails with
    /// ETXTBSY, which setpriv reports as exit status 126. Starts swtrace again (after a pause)
    /// when that is what happened; returns whether it did.
    private func restartIfBinaryWasBusy() throws -> Bool {
        guard child.exitStatus == 126, child.stderr.contains("Text file busy"), Date() < busyDeadline else { return false }
        usleep(500_000)
        child = try ChildProcess(argv, name: "swtrace")
        return true
    }

    /// What the program printed, after bpftrace's `Attaching N probes...` line (which
    /// `AttachLineTests` checks on its own).
    var stdout: String { SwtraceRunner.withoutAttachLine(child.stdout) }
    var stderr: String { child.stderr }
    var isRunning: Bool { child.isRunning }

    /// Waits for `Attached N probe(s)` on stderr. Throws, with everything swtrace said, if it exits
    /// first or takes longer than `timeout`.
    func waitForAttached(timeout: TimeInterval = SwtraceRunner.attachTimeout) throws {
        var attached: Bool
        repeat {
            attached = child.poll(timeout: timeout) { stderr.contains("Attached") }
        } while try !attached && restartIfBinaryWasBusy()
        if attached { return }
        if let status = child.exitStatus {
            throw SwtraceRunnerError("swtrace \(quoted) exited with status \(status) before attaching:\n\(excerpt(stderr))\(excerpt(stdout))")
        }
        throw SwtraceRunnerError("swtrace \(quoted) printed no 'Attached' line within \(Int(timeout)) s; stderr so far:\n\(excerpt(stderr))")
    }

    /// Waits until stdout satisfies `condition`; false on timeout or if swtrace exits first.
    @discardableResult
    func waitForOutput(timeout: TimeInterval = 10, until condition: (String) -> Bool) -> Bool {
        child.poll(timeout: timeout) { condition(stdout) }
    }

    /// Sends `signal` (SIGINT by default) and collects the result. If swtrace does not exit
    /// within `timeout` it is killed and the runner throws.
    func stop(signal: Int32 = SIGINT, timeout: TimeInterval = SwtraceRunner.exitTimeout) throws -> SwtraceResult {
        child.send(signal)
        return try waitForExit(timeout: timeout)
    }

    /// Waits for swtrace to exit on its own (after `exit()`, or an error).
    func waitForExit(timeout: TimeInterval = SwtraceRunner.exitTimeout) throws -> SwtraceResult {
        var status: Int32?
        repeat {
            status = child.waitForExit(timeout: timeout)
        } while try status != nil && restartIfBinaryWasBusy()
        guard let status else {
            child.kill()
            throw SwtraceRunnerError("swtrace \(quoted) did not exit within \(Int(timeout)) s; killed it. stderr:\n\(excerpt(stderr))\nstdout:\n\(excerpt(stdout))")
        }
        return SwtraceResult(stdout: stdout, stderr: stderr, status: status)
    }

    func kill() { child.kill() }

    private var quoted: String { arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ") }
}

/// What a finished workload printed.
struct WorkloadResult {
    let pid: pid_t
    let stdout: String
    let stderr: String
    let status: Int32
}

extension XCTestCase {
    /// Skips the test, with a visible reason, unless it runs as root.
    func requireRoot() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to load BPF programs")
    }

    /// Starts swtrace with `arguments` and, unless told not to, waits until it has attached.
    /// The process is killed when the test ends, whatever the outcome.
    func startSwtrace(_ arguments: [String], waitForAttached: Bool = true, executable: String = SwtraceRunner.binaryPath,
                      timeout: TimeInterval = SwtraceRunner.attachTimeout) throws -> SwtraceProcess {
        let process = try SwtraceProcess(arguments: arguments, executable: executable)
        addTeardownBlock { process.kill() }
        if waitForAttached { try process.waitForAttached(timeout: timeout) }
        return process
    }

    /// Runs swtrace to completion (for runs that end by themselves: errors, listings, `exit()`,
    /// `--dry-run`). `user` runs it as that user (e.g. "nobody") through setpriv.
    func runSwtrace(_ arguments: [String], user: String? = nil, executable: String = SwtraceRunner.binaryPath,
                    timeout: TimeInterval = SwtraceRunner.attachTimeout) throws -> SwtraceResult {
        let process = try SwtraceProcess(arguments: arguments, user: user, executable: executable)
        addTeardownBlock { process.kill() }
        return try process.waitForExit(timeout: timeout)
    }

    /// Runs `script` with /bin/sh in its own process group and waits for it; kills the group and
    /// throws if it runs past `timeout`.
    @discardableResult
    func runWorkload(_ script: String, timeout: TimeInterval = 30) throws -> WorkloadResult {
        try runWorkload(["/bin/sh", "-c", script], timeout: timeout)
    }

    /// Runs `argv` (argv[0] a path) in its own process group and waits for it.
    @discardableResult
    func runWorkload(_ argv: [String], timeout: TimeInterval = 30) throws -> WorkloadResult {
        let child = try ChildProcess(argv)
        addTeardownBlock { child.kill() }
        guard let status = child.waitForExit(timeout: timeout) else {
            child.kill()
            throw SwtraceRunnerError("workload \(argv.joined(separator: " ")) ran past \(Int(timeout)) s; killed it")
        }
        return WorkloadResult(pid: child.pid, stdout: child.stdout, stderr: child.stderr, status: status)
    }

    /// A token unique to this run, to tell a test's own processes from everything else on the machine.
    func uniqueToken() -> String {
        "e2e\(getpid())x\(UInt32.random(in: 0...UInt32.max))"
    }

    /// A fresh temporary file path (not created), removed when the test ends.
    func temporaryPath(_ suffix: String) -> String {
        let path = SwtraceRunner.temporaryFolder + "/swtrace-e2e-\(uniqueToken())\(suffix)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}
