import Foundation
import XCTest

/// Runs every `Scripts/language/*.st` under swtrace and compares stdout with `NAME.out`: the
/// language as a set of examples. Expected outputs come from bpftrace 0.17
/// (`scripts/compare-with-bpftrace --update`), except where a script documents a difference.
final class LanguageScriptTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Scripts/language")
    static let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug/swtrace")

    func testLanguageScripts() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to load BPF programs")
        let scripts = try FileManager.default.contentsOfDirectory(at: Self.folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "st" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertGreaterThanOrEqual(scripts.count, 15)
        for script in scripts {
            let expectedURL = script.deletingPathExtension().appendingPathExtension("out")
            let expected = try String(contentsOf: expectedURL, encoding: .utf8)
            let text = try String(contentsOf: script, encoding: .utf8)
            let args = text.split(separator: "\n").first { $0.hasPrefix("// args: ") }
                .map { $0.dropFirst(9).split(separator: " ").map(String.init) } ?? []
            // Options placed before the script, as scripts/compare-with-bpftrace places them.
            let flags = text.split(separator: "\n").first { $0.hasPrefix("// flags: ") }
                .map { $0.dropFirst(10).split(separator: " ").map(String.init) } ?? []
            // The same output through either transport (EventTransport).
            for transport in ["ringbuf", "perf"] {
                let (status, stdout, stderr) = try run(["-q", "--transport=\(transport)"] + flags + [script.path] + args)
                XCTAssertEqual(status, 0, "\(script.lastPathComponent) over \(transport): \(stderr)")
                // The compare script stores output with its trailing newlines folded to one.
                XCTAssertEqual(Self.trimmed(stdout), Self.trimmed(expected), "\(script.lastPathComponent) over \(transport)")
            }
        }
    }

    static func trimmed(_ s: String) -> String {
        var out = Substring(s)
        while out.last == "\n" { out = out.dropLast() }
        return String(out)
    }

    func run(_ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
