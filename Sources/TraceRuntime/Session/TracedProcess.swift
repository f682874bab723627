import SystemCatalog
import TraceContract
import CBPF
import Glibc

/// The process `-p` or `-c` names.
public enum TracedProcess: Sendable, Equatable {
    case none
    /// `-p PID`: an existing process; tracing stops when it exits.
    case pid(Int32)
    /// `-c CMD`: a child started held before exec, released once every probe is attached;
    /// tracing stops when it exits.
    case command(String)
}

/// The traced process while a session runs: its pid, a pidfd that becomes readable when it
/// exits, and for `-c` the pipe that holds the child before `exec`.
///
/// The child is forked, blocks reading the pipe, and calls `execvp` once swtrace writes a byte
/// (after attaching): no event of even a very short command is missed. If swtrace fails before
/// releasing it, `deinit` kills it, so no stray process is left.
final class ProcessWatch {
    let pid: Int32
    let isChild: Bool
    private let pidfd: Int32
    private var releaseFD: Int32 = -1
    private var execErrorFD: Int32 = -1
    private var reaped = false

    private init(pid: Int32, pidfd: Int32, isChild: Bool) {
        self.pid = pid
        self.pidfd = pidfd
        self.isChild = isChild
    }

    deinit {
        if isChild, !reaped {
            // Never released, or still running when tracing stopped (Ctrl-C): do not leave it
            // behind. A running command gets SIGTERM and half a second before SIGKILL.
            if releaseFD < 0 {
                kill(pid, SIGTERM)
                var fds = [pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
                if poll(&fds, 1, 500) <= 0 { kill(pid, SIGKILL) }
            } else {
                kill(pid, SIGKILL)
            }
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
        if releaseFD >= 0 { close(releaseFD) }
        if execErrorFD >= 0 { close(execErrorFD) }
        close(pidfd)
    }

    /// Starts watching `target`; nil for `.none`.
    static func start(_ target: TracedProcess) throws -> ProcessWatch? {
        switch target {
        case .none:
            return nil
        case .pid(let pid):
            let fd = swtrace_pidfd_open(pid, 0)
            guard fd >= 0 else {
                throw RuntimeError("cannot trace process \(pid): \(String(cString: strerror(errno)))")
            }
            return ProcessWatch(pid: pid, pidfd: fd, isChild: false)
        case .command(let command):
            return try spawnHeld(command)
        }
    }

    /// Forks the child; it waits on a pipe before `execvp`.
    private static func spawnHeld(_ command: String) throws -> ProcessWatch {
        let words: [String]
        do {
            words = try CommandWords.split(command)
        } catch {
            throw RuntimeError("cannot run -c command '\(command)': \(error == .empty ? "it is empty" : "unterminated quote")")
        }
        guard let program = words.first, findExecutable(program) else {
            throw RuntimeError("cannot run -c command '\(command)': \(words.first ?? "") not found or not executable")
        }
        var hold: [Int32] = [-1, -1], execError: [Int32] = [-1, -1]
        guard makePipe(&hold) else { throw RuntimeError("cannot create a pipe: \(String(cString: strerror(errno)))") }
        guard makePipe(&execError) else {
            close(hold[0]); close(hold[1])
            throw RuntimeError("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        // Everything the child touches is built before fork: after it, only system calls.
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        guard let file = argv.first ?? nil else { throw RuntimeError("cannot run -c command: out of memory") }
        let pid = fork()
        if pid == 0 {
            close(hold[1])
            close(execError[0])
            var byte: UInt8 = 0
            var n = read(hold[0], &byte, 1)
            while n < 0, errno == EINTR { n = read(hold[0], &byte, 1) }
            // EOF: swtrace went away without releasing us.
            if n != 1 { _exit(126) }
            argv.withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress { _ = execvp(file, base) }
            }
            var code = errno
            _ = write(execError[1], &code, MemoryLayout<Int32>.size)
            _exit(127)
        }
        close(hold[0])
        close(execError[1])
        guard pid > 0 else {
            let code = errno
            close(hold[1]); close(execError[0])
            throw RuntimeError("cannot start -c command: \(String(cString: strerror(code)))")
        }
        let fd = swtrace_pidfd_open(pid, 0)
        guard fd >= 0 else {
            let code = errno
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            close(hold[1]); close(execError[0])
            throw RuntimeError("cannot watch the -c command: \(String(cString: strerror(code)))")
        }
        let watch = ProcessWatch(pid: pid, pidfd: fd, isChild: true)
        watch.releaseFD = hold[1]
        watch.execErrorFD = execError[0]
        return watch
    }

    /// A pipe whose ends close on exec (the child's copies must not reach the command).
    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return true
    }

    /// Whether `name` is an executable path, or one on `PATH` (what `execvp` will look for).
    private static func findExecutable(_ name: String) -> Bool {
        if name.contains("/") { return access(name, X_OK) == 0 }
        let path = BinaryResolver.currentEnvironment()["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(name)", X_OK) == 0 }
    }

    /// Stores the child's pid where `cpid` reads it.
    func storeChildPID(in object: LoadedObject) throws {
        guard isChild, let fd = object.manifest.childPIDMap.flatMap(object.mapFD) else { return }
        var key: UInt32 = 0
        var value = UInt64(pid)
        guard bpf_map_update_elem(fd, &key, &value, 0) == 0 else {
            throw RuntimeError("could not store the child's pid: \(String(cString: strerror(errno)))")
        }
    }

    /// Lets the held child `exec`; throws when the exec fails (the message names the command).
    func release() throws {
        guard isChild, releaseFD >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(releaseFD, &byte, 1)
        close(releaseFD)
        releaseFD = -1
        // The error pipe closes on a successful exec (CLOEXEC) or carries exec's errno.
        var code: Int32 = 0
        let n = read(execErrorFD, &code, MemoryLayout<Int32>.size)
        close(execErrorFD)
        execErrorFD = -1
        if n == MemoryLayout<Int32>.size {
            reap()
            throw RuntimeError("cannot run -c command: \(String(cString: strerror(code)))")
        }
    }

    /// Waits up to `timeoutMs` for records or the process's exit, consuming the records.
    /// False once the process has exited (the caller drains and stops).
    func pollEvents(_ events: EventChannel, timeoutMs: Int32) -> Bool {
        var fds = [pollfd(fd: events.pollFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
        let n = poll(&fds, 2, timeoutMs)
        if n < 0 { return errno == EINTR }
        if fds[0].revents != 0 { events.consume() }
        if fds[1].revents != 0 {
            reap()
            return false
        }
        return true
    }

    private func reap() {
        guard isChild, !reaped else { return }
        var status: Int32 = 0
        if waitpid(pid, &status, 0) == pid { reaped = true }
    }
}
