import Foundation
import Glibc

/// How a child process ended.
enum ProcessStatus: Equatable {
    case exited(Int32)
    case signaled(Int32)
    case timedOut
}

/// Runs the built `swtrace` on one script file, with a time limit; stdout and stderr go to
/// files (a pipe could fill up and stall a program that prints a lot).
struct SwtraceProcess {
    let executable: String
    let timeout: Double

    /// Runs `swtrace ARGS`, killing its process group after `timeout` seconds.
    func run(_ arguments: [String], workDirectory: String) -> (ProcessStatus, stderr: String, seconds: Double) {
        let errPath = workDirectory + "/stderr"
        let outPath = workDirectory + "/stdout"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // A process group of its own, so a hang is killed with whatever it started.
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = Date()
        let rc = posix_spawn(&pid, executable, &actions, &attr, argv, environ)
        guard rc == 0 else {
            return (.exited(127), "could not start \(executable): \(String(cString: strerror(rc)))", 0)
        }
        var status: Int32 = 0
        var result = ProcessStatus.timedOut
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                result = Self.decode(status)
                break
            }
            if r < 0, errno != EINTR { break }
            if Date().timeIntervalSince(start) > timeout {
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                result = .timedOut
                break
            }
            usleep(2_000)
        }
        let seconds = Date().timeIntervalSince(start)
        let err = (try? Data(contentsOf: URL(fileURLWithPath: errPath))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (result, err, seconds)
    }

    static func decode(_ status: Int32) -> ProcessStatus {
        let low = status & 0x7f
        if low == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(low)
    }
}

/// Checks one program: writes it to a file in its own directory, runs swtrace on it either
/// compile-only (`--emit-elf /dev/null`: parser, checker and codegen) or loaded with
/// `--dry-run` (the verifier too), and classifies what happened.
struct ProgramChecker {
    let process: SwtraceProcess
    let workDirectory: String

    enum Depth { case compile, load }

    func check(_ script: [UInt8], depth: Depth) -> FuzzResult {
        let path = workDirectory + "/fuzz.st"
        guard FileManager.default.createFile(atPath: path, contents: Data(script)) else {
            return FuzzResult(outcome: .otherError, signature: "could not write \(path)", stderr: "", seconds: 0)
        }
        let args = depth == .load ? ["--dry-run", "-q", path] : ["--emit-elf", "/dev/null", path]
        var (status, stderr, seconds) = process.run(args, workDirectory: workDirectory)
        if status == .timedOut {
            // The machine is shared: a slow run is retried once with more time before it
            // counts as a hang.
            let longer = SwtraceProcess(executable: process.executable, timeout: process.timeout * 3)
            (status, stderr, seconds) = longer.run(args, workDirectory: workDirectory)
        }
        return FuzzResult.classify(status: status, stderr: stderr, seconds: seconds)
    }
}
