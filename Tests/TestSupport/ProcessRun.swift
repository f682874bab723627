import Foundation

/// A child process run to completion: its exit status (or 128 + signal) and what it printed.
public struct ProcessRun {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// Whether the process was killed by a signal (a crash, or our time-out).
    public let signalled: Bool

    /// Runs `executable` with `arguments`, killing it after `timeout` seconds.
    public static func run(_ executable: String, _ arguments: [String], stdin: String? = nil,
                           timeout: TimeInterval = 60) throws -> ProcessRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        let timer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()
        return ProcessRun(status: process.terminationStatus,
                          stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errData, as: UTF8.self),
                          signalled: process.terminationReason == .uncaughtSignal)
    }

    /// The repository's debug build of swtrace, which `swift test` builds first.
    public static var swtraceBinary: String {
        var dir = URL(fileURLWithPath: #filePath)
        while dir.path != "/" {
            dir = dir.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir.appendingPathComponent(".build/debug/swtrace").path
            }
        }
        return ".build/debug/swtrace"
    }
}
