import Foundation
import Glibc
import XCTest

/// bpftrace's command line: the flags its users type, and its messages when they mistype.
final class CommandLineTests: XCTestCase {
    func testVersionNamesSwtraceAndTheBpftraceItFollows() throws {
        for flag in ["-V", "--version"] {
            let result = try runSwtrace([flag])
            XCTAssertEqual(result.status, 0, "\(flag): \(result)")
            XCTAssertTrue(result.stdout.hasPrefix("swtrace v"), "\(flag): \(result)")
            XCTAssertTrue(result.stdout.contains("bpftrace v0.17"), "\(flag): \(result)")
        }
    }

    func testHelpDocumentsEveryFlag() throws {
        let result = try runSwtrace(["--help"])
        XCTAssertEqual(result.status, 0, "\(result)")
        for flag in ["-e", "-l", "-v", "-q", "-p", "-c", "-o", "-B", "-f", "-d", "-k", "-I", "-V", "--version",
                     "--info", "--include", "--usdt-file-activation", "--dry-run", "--emit-llvm", "--emit-elf",
                     "--no-warnings", "--unsafe", "--help"] {
            XCTAssertTrue(result.stdout.contains(flag), "--help does not mention \(flag):\n\(result.stdout)")
        }
    }

    func testBadFlagNamesItAndPrintsTheUsage() throws {
        let result = try runSwtrace(["-idonotexist"])
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertTrue(result.stderr.hasPrefix("swtrace: "), "\(result)")
        XCTAssertTrue(result.stderr.contains("-idonotexist"), "\(result)")
        XCTAssertTrue(result.stderr.contains("USAGE"), "\(result)")
        XCTAssertFalse(result.stderr.contains("\n   or: "), "only the first reading of the bad word: \(result)")
    }

    func testBadPIDsAreRefusedBeforeTheScriptIsRead() throws {
        let missing = temporaryPath(".bt")
        let cases = [
            ("a1111", "ERROR: pid 'a1111' is not a valid decimal number"),
            ("111a1", "ERROR: pid '111a1' is not a valid decimal number"),
            ("not_a_pid", "ERROR: pid 'not_a_pid' is not a valid decimal number"),
            ("5000000", "ERROR: pid '5000000' out of valid pid range [1,4194304]"),
            ("0", "ERROR: pid '0' out of valid pid range [1,4194304]"),
            ("-3", "ERROR: pid '-3' out of valid pid range [1,4194304]"),
            ("99999999999999999999", "ERROR: pid '99999999999999999999' out of valid pid range [1,4194304]"),
        ]
        for (pid, message) in cases {
            let result = try runSwtrace(["-p", pid, missing])
            XCTAssertEqual(result.status, 1, "-p \(pid): \(result)")
            XCTAssertEqual(result.stderr, message + "\n", "-p \(pid)")
        }
    }

    func testMissingScriptFileIsNamed() throws {
        let result = try runSwtrace(["non_existent_file.bt"])
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.stderr, "ERROR: failed to open file 'non_existent_file.bt': No such file or directory\n")
    }

    func testDashReadsTheScriptFromStandardInput() throws {
        try requireRoot()
        let script = temporaryPath(".bt")
        try "BEGIN { printf(\"from stdin %d\\n\", 41 + 1); exit(); }\n".write(toFile: script, atomically: true, encoding: .utf8)
        let run = try runWorkload(["/bin/sh", "-c", "exec \"$0\" - < \"$1\"", SwtraceRunner.binaryPath, script])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertTrue(run.stdout.hasPrefix("Attaching 1 probe...\nfrom stdin 42\n"), "\(run)")

        // Errors in a piped script are located in "stdin", as with -e.
        try "BEGIN { nosuch(); }\n".write(toFile: script, atomically: true, encoding: .utf8)
        let bad = try runWorkload(["/bin/sh", "-c", "exec \"$0\" - < \"$1\"", SwtraceRunner.binaryPath, script])
        XCTAssertEqual(bad.status, 1, "\(bad)")
        XCTAssertTrue(bad.stderr.hasPrefix("stdin:1:9-15: ERROR: Unknown function: nosuch"), "\(bad)")
    }

    func testInfoMeasuresTheKernel() throws {
        try requireRoot()
        let result = try runSwtrace(["--info"])
        XCTAssertEqual(result.status, 0, "\(result)")
        for line in ["System", "Build", "Kernel helpers", "Kernel features", "Map types", "Probe types",
                     "  perf_event_array: yes", "  hash: yes", "  tracepoint: yes", "  Loop support: yes"] {
            XCTAssertTrue(result.stdout.contains(line + "\n"), "no '\(line)' in:\n\(result.stdout)")
        }
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        XCTAssertTrue(result.stdout.contains("  OS: Linux \(release) "), "\(result.stdout)")
        // kprobes are compiled out on the project's kernel: --info says so, like attaching does.
        let kprobes = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0
        XCTAssertTrue(result.stdout.contains("  kprobe: \(kprobes ? "yes" : "no")\n"), "\(result.stdout)")
    }

    func testIncludeDirectoriesAndForcedIncludesGiveConstants() throws {
        try requireRoot()
        let dir = temporaryPath("-include")
        try FileManager.default.createDirectory(atPath: dir + "/proj", withIntermediateDirectories: true)
        try """
            #ifndef PROJ_LIMITS_H
            #define PROJ_LIMITS_H
            #include "more.h"
            #define PROJ_LIMIT 0x40UL /* a comment */
            #define PROJ_TWICE(x) ((x) * 2)
            #endif
            """.write(toFile: dir + "/proj/limits.h", atomically: true, encoding: .utf8)
        try "#define PROJ_MORE (-7)\n".write(toFile: dir + "/proj/more.h", atomically: true, encoding: .utf8)
        let script = "#include <proj/limits.h>\nBEGIN { printf(\"%d %d\\n\", PROJ_LIMIT, PROJ_MORE); exit(); }"
        let found = try runSwtrace(["-I", dir, "-e", script])
        XCTAssertEqual(found.status, 0, "\(found)")
        XCTAssertTrue(found.stdout.hasPrefix("64 -7\n"), "\(found)")

        let forced = try runSwtrace(["--include", "errno.h", "-e", "BEGIN { printf(\"%d %d\\n\", EPERM, ENOENT); exit(); }"])
        XCTAssertEqual(forced.status, 0, "\(forced)")
        XCTAssertTrue(forced.stdout.hasPrefix("1 2\n"), "\(forced)")

        let missing = try runSwtrace(["-e", "#include <lol/no.h>\nBEGIN { exit(); }"])
        XCTAssertEqual(missing.status, 1, "\(missing)")
        XCTAssertTrue(missing.stderr.hasPrefix("stdin:1:10-20: ERROR: 'lol/no.h' file not found\n"), "\(missing)")
        let withoutDir = try runSwtrace(["-e", script])
        XCTAssertTrue(withoutDir.stderr.contains("'proj/limits.h' file not found"), "\(withoutDir)")
    }

    func testDebugPrintsTheIRWithoutTracing() throws {
        try requireRoot()
        let once = try runSwtrace(["-d", "-e", "BEGIN { printf(\"ran\\n\"); exit(); }"])
        XCTAssertEqual(once.status, 0, "\(once)")
        XCTAssertTrue(once.stdout.contains("define "), "\(once)")
        XCTAssertFalse(once.stdout.contains("ran\n"), "-d ran the program: \(once)")
        let twice = try runSwtrace(["-dd", "-e", "BEGIN { printf(\"ran\\n\"); exit(); }"])
        XCTAssertEqual(twice.status, 0, "\(twice)")
        XCTAssertTrue(twice.stdout.contains("define "), "\(twice)")
        XCTAssertTrue(twice.stderr.contains("libbpf: "), "-dd shows no loading log: \(twice)")
        XCTAssertFalse(twice.stdout.contains("ran\n"), "-dd ran the program: \(twice)")
    }

    func testListingRefusesCharactersNoProbeHas() throws {
        let result = try runSwtrace(["-l", "\\n"])
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertTrue(result.stderr.hasPrefix("stdin:1:1-2: ERROR: invalid character '\\'\n"), "\(result)")
    }

    func testSIGUSR1PrintsEveryMapAndTracingGoesOn() throws {
        try requireRoot()
        let process = try startSwtrace(["-e", "BEGIN { @scalar = 5; @keyed[1] = 2; } interval:ms:100 { @ticks = count(); }"])
        process.child.send(SIGUSR1)
        XCTAssertTrue(process.waitForOutput(timeout: 10) { $0.contains("@scalar: 5\n") }, "no maps after SIGUSR1")
        process.child.send(SIGUSR1)
        XCTAssertTrue(process.waitForOutput(timeout: 10) { $0.components(separatedBy: "@scalar: 5\n").count == 3 },
                      "a second SIGUSR1 printed nothing more")
        let result = try process.stop()
        XCTAssertEqual(result.status, 0, "SIGUSR1 must not end swtrace: \(result)")
        // Printed twice while running, then once more at exit.
        XCTAssertEqual(result.stdout.components(separatedBy: "@scalar: 5\n").count, 4, "\(result)")
        XCTAssertTrue(result.stdout.hasPrefix("@keyed[1]: 2\n@scalar: 5\n"), "maps in name order: \(result)")
    }
}
