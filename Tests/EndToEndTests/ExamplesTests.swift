import Foundation
import Glibc
import XCTest

/// Runs every `examples/*.st` with a workload and checks it printed something sensible.
///
/// The folder is enumerated, so a new example is picked up by itself, and fails until it gets
/// an entry in `expectations`: what to run while it traces, and what its output must show.
final class ExamplesTests: XCTestCase {
    /// What to run while an example traces, and what its output must (and must not) contain.
    struct Expectation {
        /// A /bin/sh script; `$1` is a token unique to the run, short enough to be a comm (9 bytes).
        let workload: String
        /// Regular expressions, each matching at least one whole stdout line. `TOKEN` stands for the token.
        let lines: [String]
        /// Regular expressions no stdout line may match.
        var noLines: [String] = []
        /// Further checks on the stdout; returns a failure message, or nil.
        var check: ((_ stdout: String, _ token: String) -> String?)? = nil
    }

    /// Runs `program` through a symlink named after the token, so that the process's comm is the token.
    static func runAsToken(_ program: String, _ arguments: String = "") -> String {
        #"d=$(mktemp -d) && ln -s \#(program) "$d/$1" && "$d/$1" \#(arguments); rm -rf "$d""#
    }

    static let expectations: [String: Expectation] = [
        "bootstrap.st": Expectation(
            workload: runAsToken("/bin/sleep", "0.05"),
            lines: [#"TIME +EVENT COMM +PID +PPID +FILENAME/EXIT CODE"#,
                    #"\d\d:\d\d:\d\d EXEC  TOKEN +\d+ +\d+ +/tmp/.*/TOKEN"#,
                    #"\d\d:\d\d:\d\d EXIT  TOKEN +\d+ +\d+ +\[0\] \(\d+ms\)"#]),
        "execsnoop.st": Expectation(
            workload: #"/bin/echo "$1" one "two three" > /dev/null"#,
            lines: [#"PCOMM +PID +PPID +RET ARGS"#, #"echo +\d+ +\d+ +0 /bin/echo TOKEN one two three"#]),
        "exec-exporter.st": Expectation(
            workload: runAsToken("/bin/sleep", "0.05"),
            lines: [#"@execs\[TOKEN\]: 1"#, #"@lifetime_ms: ?"#, #"\[32, 64\) +\d+ \|@*\s*\|"#]),
        "exitsnoop.st": Expectation(
            workload: runAsToken("/bin/true"),
            lines: [#"PCOMM +PID +PPID +TID +AGE\(s\) +EXIT_CODE *"#, #"TOKEN +\d+ +\d+ +\d+ +\d+\.\d\d +0"#]),
        "opensnoop.st": Expectation(
            workload: #"cat "/tmp/$1-missing" 2> /dev/null; true"#,
            lines: [#"PID +COMM +FLAGS PATH"#, #"\d+ +cat +[0-7]{7} /tmp/TOKEN-missing"#]),
        "shortlived.st": Expectation(
            workload: runAsToken("/bin/sleep", "0.05"),
            lines: [#"TIME\(ms\) +EVENT PID +COMM +FILE"#,
                    #" *\d+\.\d{3} EXEC  \d+ +TOKEN +/tmp/.*/TOKEN"#,
                    #" *\d+\.\d{3} EXIT  \d+ +TOKEN *"#],
            check: { stdout, token in
                // The EXEC and EXIT lines of the 50 ms process: same pid, about 50 ms apart.
                func event(_ kind: String) -> (ms: Double, pid: String)? {
                    for line in stdout.split(separator: "\n") {
                        let f = line.split(separator: " ")
                        if f.count >= 4, f[1] == kind, f[3] == token { return (Double(f[0]) ?? -1, String(f[2])) }
                    }
                    return nil
                }
                guard let exec = event("EXEC"), let exit = event("EXIT") else { return "no EXEC/EXIT pair for \(token)" }
                if exec.pid != exit.pid { return "EXEC pid \(exec.pid) but EXIT pid \(exit.pid)" }
                let lifetime = exit.ms - exec.ms
                return (40...1000).contains(lifetime) ? nil : "a 50 ms process lived \(lifetime) ms by the timestamps"
            }),
        "syscall_filter.st": Expectation(
            workload: #"cat "/tmp/$1-cat" 2> /dev/null; head -c 0 "/tmp/$1-head" 2> /dev/null; true"#,
            lines: [#"cat \(pid \d+\) opens /tmp/TOKEN-cat"#],
            noLines: [#"(?!cat ).*"#, #".*TOKEN-head.*"#]),
    ]

    private var examplesFolder: URL { SwtraceRunner.packageRoot.appendingPathComponent("examples") }

    private func exampleFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: examplesFolder.path).filter { $0.hasSuffix(".st") }.sorted()
    }

    private func wholeLine(_ pattern: String, token: String) throws -> NSRegularExpression {
        let filled = pattern.replacingOccurrences(of: "TOKEN", with: NSRegularExpression.escapedPattern(for: token))
        return try NSRegularExpression(pattern: "^(?:" + filled + ")$", options: [.anchorsMatchLines])
    }

    private func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    func testEveryExampleHasAnExpectation() throws {
        let files = try exampleFiles()
        XCTAssertFalse(files.isEmpty, "no examples/*.st")
        for file in files where Self.expectations[file] == nil {
            XCTFail("examples/\(file) has no entry in ExamplesTests.expectations: add its workload and expected lines")
        }
        for name in Self.expectations.keys where !files.contains(name) {
            XCTFail("ExamplesTests.expectations has an entry for examples/\(name), which does not exist")
        }
    }

    /// Each example opens with a comment saying what it shows and how to run it.
    func testEveryExampleHasAHeaderComment() throws {
        for file in try exampleFiles() {
            let text = try String(contentsOf: examplesFolder.appendingPathComponent(file), encoding: .utf8)
            let body = text.hasPrefix("#!") ? String(text.drop { $0 != "\n" }.dropFirst()) : text
            XCTAssertTrue(body.hasPrefix("/*") || body.hasPrefix("//"), "examples/\(file) does not open with a comment")
            XCTAssertTrue(body.contains(" \(file): "), "examples/\(file): the header comment does not start with its name")
            XCTAssertTrue(body.contains("Usage: "), "examples/\(file): the header comment has no Usage line")
        }
    }

    /// Runs each example as root with its workload: attaches, prints its expected lines, stops
    /// on SIGINT with status 0 and nothing unexpected on stderr.
    func testEveryExampleTracesItsWorkload() throws {
        try requireRoot()
        // Each example through both transports (EventTransport): the same lines.
        for transport in ["ringbuf", "perf"] {
            try traceEveryExample(transport: transport)
        }
    }

    private func traceEveryExample(transport: String) throws {
        for file in try exampleFiles() {
            guard let expectation = Self.expectations[file] else { continue }   // reported by testEveryExampleHasAnExpectation
            let token = String(format: "swt%06x", UInt32.random(in: 0...0xffffff))
            let regexes = try expectation.lines.map { try wholeLine($0, token: token) }
            let swtrace = try startSwtrace(["--transport=\(transport)", examplesFolder.appendingPathComponent(file).path])
            let workload = try runWorkload(["/bin/sh", "-c", expectation.workload, "sh", token], timeout: 10)
            XCTAssertEqual(workload.status, 0, "\(file): the workload failed: \(workload.stderr)")
            swtrace.waitForOutput(timeout: 5) { out in regexes.allSatisfy { self.matches($0, out) } }
            let result = try swtrace.stop()
            XCTAssertEqual(result.status, 0, "\(file): \(result)")
            XCTAssertTrue(result.stderr.hasPrefix("Attached "), "\(file): stderr: \(result.stderr)")
            for (pattern, regex) in zip(expectation.lines, regexes) where !matches(regex, result.stdout) {
                XCTFail("\(file) over \(transport): no line matches /\(pattern)/ (TOKEN = \(token)); stdout:\n\(result.stdout.suffix(3000))")
            }
            for pattern in expectation.noLines {
                let regex = try wholeLine(pattern, token: token)
                let bad = result.lines.filter { !$0.isEmpty && matches(regex, $0) }
                XCTAssertEqual(bad, [], "\(file): lines matching /\(pattern)/ should not be there")
            }
            if let message = expectation.check?(result.stdout, token) { XCTFail("\(file): \(message)") }
        }
    }
}
