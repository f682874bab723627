import Foundation
import Glibc
import XCTest

/// Bad input on every channel swtrace reads (the script file, -e, positional parameters, the
/// environment): one clear message, located when it is about the script, exit status 1,
/// nothing loaded into the kernel, no trap.
final class BadInputTests: XCTestCase {
    /// Runs swtrace (through `env` when `environment` is set), expects status 1 and `stderr`
    /// to satisfy `expect`, and checks, with -v, that libbpf never ran.
    private func expectRefusal(_ arguments: [String], environment: [String] = [], timeout: TimeInterval = 60,
                               file: StaticString = #filePath, line: UInt = #line,
                               _ expect: (String) -> Bool) throws {
        for verbose in [false, true] {
            let args = (verbose ? ["-v"] : []) + arguments
            let argv = environment.isEmpty ? [SwtraceRunner.binaryPath] + args
                : ["/usr/bin/env"] + environment + [SwtraceRunner.binaryPath] + args
            let run = try runWorkload(argv, timeout: timeout)
            XCTAssertEqual(run.status, 1, "\(arguments.prefix(3))\n\(excerpt(run.stderr))", file: file, line: line)
            XCTAssertEqual(run.stdout, "", file: file, line: line)
            XCTAssertTrue(expect(run.stderr), "unexpected message: \(excerpt(run.stderr))", file: file, line: line)
            XCTAssertFalse(run.stderr.contains("libbpf:"), "bad input reached libbpf", file: file, line: line)
            XCTAssertFalse(run.stderr.contains("Fatal error"), file: file, line: line)
        }
    }

    private func scriptFile(_ bytes: [UInt8]) -> String {
        let path = temporaryPath(".st")
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func testBinaryScriptFile() throws {
        let elf = try XCTUnwrap(FileManager.default.contents(atPath: "/bin/true"))
        let path = scriptFile(Array(elf.prefix(4096)))
        try expectRefusal(["--dry-run", path]) {
            $0 == "\(path):1:8: ERROR: not a script: the file holds a NUL byte (a binary file?)\n"
        }
    }

    func testScriptThatIsNotUTF8() throws {
        // Latin-1 "é" inside a string literal on line 2.
        let path = scriptFile(Array("BEGIN {\n  printf(\"caf".utf8) + [0xE9] + Array("\\n\"); }\n".utf8))
        try expectRefusal(["--dry-run", path]) {
            $0 == "\(path):2:14: ERROR: the script is not valid UTF-8 (byte 0xe9); save it as UTF-8\n"
        }
    }

    func testTenMegabyteScript() throws {
        var text = "BEGIN { @x = 1; }\n"
        let line = "// " + String(repeating: "padding ", count: 12) + "\n"
        text += String(repeating: line, count: (10 << 20) / line.utf8.count)
        let path = scriptFile(Array(text.utf8))
        try expectRefusal(["--dry-run", path]) {
            $0 == "ERROR: \(path): the script is 10.0 MiB; swtrace reads scripts of up to 1 MiB\n"
        }
        try expectRefusal(["--dry-run", "/dev/zero"], timeout: 20) {
            $0 == "ERROR: /dev/zero: the script is over 1 MiB; swtrace reads scripts of up to 1 MiB\n"
        }
    }

    /// A wildcard over swtrace's own symbols (LLVM is linked in: tens of thousands of functions).
    func testTenThousandProbeWildcard() throws {
        try requireRoot()
        let attachPoint = "uprobe:\(SwtraceRunner.binaryPath):*"
        let script = attachPoint + " { @[probe] = count(); }"
        try expectRefusal(["--dry-run", "-e", script]) { stderr in
            guard let count = stderr.split(separator: " ").firstIndex(of: "attaches").map({ stderr.split(separator: " ")[$0 + 1] }),
                  let n = Int(count) else { return false }
            return n >= 10_000 && stderr.hasPrefix("stdin:1:1-\(attachPoint.utf8.count + 1): ERROR: the program attaches")
                && stderr.contains("more than the limit of 512; narrow the wildcard, or raise the limit with BPFTRACE_MAX_PROBES")
        }
        // The limit is the environment's to raise.
        try expectRefusal(["--dry-run", "-e", "BEGIN { } END { }"], environment: ["BPFTRACE_MAX_PROBES=1"]) {
            $0.hasPrefix("stdin:1:11-14: ERROR: the program attaches 2 probes, more than the limit of 1;")
        }
    }

    func testThousandNestedParentheses() throws {
        for script in ["BEGIN { $x = " + String(repeating: "(", count: 1000) + "1" + String(repeating: ")", count: 1000) + "; }",
                       "BEGIN { " + String(repeating: "if (1) { ", count: 1000) + String(repeating: "}", count: 1000) + " }",
                       "BEGIN { $x = " + String(repeating: "-", count: 5000) + "1; }"] {
            try expectRefusal(["--dry-run", "-e", script]) {
                $0.hasPrefix("stdin:1:") && $0.contains(": ERROR: nesting is too deep\n")
            }
        }
        // Too long for a command-line argument: from a file.
        let path = scriptFile(Array(("BEGIN { @x[" + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + "] = 1; }").utf8))
        try expectRefusal(["--dry-run", path]) {
            $0.hasPrefix("\(path):1:") && $0.contains(": ERROR: nesting is too deep\n")
        }
    }

    func testHugeLiterals() throws {
        try expectRefusal(["--dry-run", "-e", "BEGIN { @x = 99999999999999999999999999; }"]) {
            $0.hasPrefix("stdin:1:14-40: ERROR: integer literal is too large\n")
        }
        try expectRefusal(["--dry-run", "-e", "BEGIN { @x = 0x1ffffffffffffffff; }"]) {
            $0.hasPrefix("stdin:1:14-33: ERROR: ")
        }
    }

    func testPositionalParameterThatIsNotANumber() throws {
        try expectRefusal(["--dry-run", "-e", "BEGIN { @x = $1 + 1; }", "ten"]) {
            $0.hasPrefix("stdin:1:14-16: ERROR: $1 used numerically but given \"ten\". Try using str($1).\n")
        }
        try expectRefusal(["--dry-run", "-e", "BEGIN { @x = $1; }", "99999999999999999999999"]) {
            $0.hasPrefix("stdin:1:14-16: ERROR: $1 used numerically but given \"99999999999999999999999\"")
        }
    }

    func testGarbageInBPFTRACEVariables() throws {
        let cases: [(String, String)] = [
            ("BPFTRACE_STRLEN=abc", "ERROR: BPFTRACE_STRLEN='abc': expected a whole number from 1 to 16384\n"),
            ("BPFTRACE_STRLEN=0", "ERROR: BPFTRACE_STRLEN='0': expected a whole number from 1 to 16384\n"),
            ("BPFTRACE_MAX_STRLEN=99999999999999999999", "ERROR: BPFTRACE_MAX_STRLEN='99999999999999999999': expected a whole number from 1 to 16384\n"),
            ("BPFTRACE_MAP_KEYS_MAX=-5", "ERROR: BPFTRACE_MAP_KEYS_MAX='-5': expected a whole number from 1 to 2147483647\n"),
            ("BPFTRACE_PERF_RB_PAGES=64k", "ERROR: BPFTRACE_PERF_RB_PAGES='64k': expected a whole number from 1 to 262144\n"),
            ("BPFTRACE_MAX_PROBES=\u{1B}[31m", "ERROR: BPFTRACE_MAX_PROBES='\\x1b[31m': expected a whole number from 1 to 1000000\n"),
            ("BPFTRACE_NO_USER_SYMBOLS=yes", "ERROR: BPFTRACE_NO_USER_SYMBOLS='yes': expected 0 or 1\n"),
            ("SWTRACE_PLAIN_LOOPS=true", "ERROR: SWTRACE_PLAIN_LOOPS='true': expected 0 or 1\n"),
        ]
        for (variable, message) in cases {
            try expectRefusal(["--dry-run", "-e", "BEGIN { @x = 1; }"], environment: [variable]) { $0 == message }
        }
    }
}
