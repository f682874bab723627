import Foundation
import Glibc
import XCTest

/// End to end, as root: the builtins and functions of issue 6 (stacks, symbols, strings,
/// buffers, network addresses, signals) and issue 4's output functions (time, strftime, cat,
/// system, exit codes), run by the built swtrace against real processes.
///
/// `Scripts/functions/*.st` are deterministic scripts whose `.out` is bpftrace 0.17's output
/// (`scripts/compare-with-bpftrace --update Tests/EndToEndTests/Scripts/functions`); a
/// `// flags: ...` line gives options placed before the script.
final class FunctionsTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/functions")

    func testFunctionScriptsPrintWhatBpftracePrints() throws {
        try requireRoot()
        let scripts = try FileManager.default.contentsOfDirectory(at: Self.folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "st" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertGreaterThanOrEqual(scripts.count, 6)
        for script in scripts {
            let text = try String(contentsOf: script, encoding: .utf8)
            let flags = text.split(separator: "\n").first { $0.hasPrefix("// flags: ") }
                .map { $0.dropFirst(10).split(separator: " ").map(String.init) } ?? []
            let expected = try String(contentsOf: script.deletingPathExtension().appendingPathExtension("out"), encoding: .utf8)
            let result = try runSwtrace(["-q"] + flags + [script.path])
            XCTAssertEqual(result.status, 0, "\(script.lastPathComponent): \(result.stderr)")
            XCTAssertEqual(LanguageScriptTests.trimmed(result.stdout), LanguageScriptTests.trimmed(expected), script.lastPathComponent)
        }
    }

    // MARK: A C program to trace

    static let programSource = """
        #include <stdlib.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        int global_counter = 42;
        __attribute__((noinline)) int leaf_function(int x) { syscall(SYS_getpid); return x + global_counter; }
        __attribute__((noinline)) int middle_function(int x) { return leaf_function(x) * 2; }
        int main(int argc, char **argv) {
            int n = argc > 1 ? atoi(argv[1]) : 1;
            for (int i = 0; i < n; i++) { middle_function(i); usleep(20000); }
            return 0;
        }
        """

    /// Compiles the program (frame pointers kept, so the kernel can walk its stack) into a
    /// temporary folder; skips the test without a C compiler.
    func buildProgram() throws -> String {
        let candidates: [String] = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"]
        let compiler = candidates.first { (path: String) in access(path, X_OK) == 0 }
        let cc = try XCTUnwrap(compiler, "no C compiler")
        let source = temporaryPath(".c")
        let binary = temporaryPath("-prog")
        try Self.programSource.write(toFile: source, atomically: true, encoding: .utf8)
        let build = try runWorkload([cc, "-O1", "-g", "-fno-omit-frame-pointer", "-o", binary, source])
        XCTAssertEqual(build.status, 0, build.stderr)
        return binary
    }

    /// Starts the program looping for `seconds`, killed when the test ends.
    func startProgram(_ binary: String, seconds: Int = 20) throws -> ChildProcess {
        let child = try ChildProcess([binary, String(seconds * 50)])
        addTeardownBlock { child.kill() }
        return child
    }

    /// `@name[...]: count` entries of text output: each key's text (stack lines included).
    func mapKeys(_ output: String, map: String) -> [String] {
        var keys: [String] = []
        var current: String?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(map + "[") {
                let rest = String(line.dropFirst(map.count + 1))
                if let end = rest.range(of: "]: ") { keys.append(String(rest[..<end.lowerBound])) } else { current = rest }
            } else if var key = current {
                if line.hasPrefix("]: ") {
                    keys.append(key)
                    current = nil
                } else {
                    key += "\n" + line
                    current = key
                }
            }
        }
        return keys
    }

    // MARK: Stacks

    /// `ustack` on the getpid tracepoint: the program's own functions, resolved from its ELF
    /// symbols, in bpftrace's and perf's formats; and the same keys as bpftrace prints.
    func testUserStacksResolveTheProgramsFunctions() throws {
        try requireRoot()
        let binary = try buildProgram()
        let program = try startProgram(binary)
        let script = #"t:syscalls:sys_enter_getpid /pid == $1/ { @[ustack] = count(); @p[ustack(perf, 3)] = count(); }"#
        let swtrace = try startSwtrace(["-e", script, String(program.pid)])
        usleep(500_000)
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        let stacks = mapKeys(result.stdout, map: "@")
        XCTAssertEqual(stacks.count, 1, "one call path: \(result)")
        let frames = stacks.first?.split(separator: "\n").map(String.init) ?? []
        XCTAssertTrue(frames.contains { $0.hasPrefix("    middle_function+") }, "\(frames)")
        XCTAssertTrue(frames.contains { $0.hasPrefix("    main+") }, "\(frames)")
        XCTAssertTrue(frames.allSatisfy { $0.hasPrefix("    ") }, "4-space indent in map keys: \(frames)")
        let perf = mapKeys(result.stdout, map: "@p").first?.split(separator: "\n").map(String.init) ?? []
        XCTAssertEqual(perf.count, 3, "\(perf)")
        XCTAssertTrue(perf.contains { $0.range(of: #"^\t[0-9a-f]+ middle_function\+\d+ \("#, options: .regularExpression) != nil
                                      && $0.hasSuffix("(\(binary))") }, "\(perf)")

        // bpftrace 0.17 on the same process prints the same stacks (counts aside).
        guard access("/usr/bin/bpftrace", X_OK) == 0 else { return }
        let bpftrace = try ChildProcess(["/usr/bin/bpftrace", "-e", script, String(program.pid)], name: "bpftrace")
        addTeardownBlock { bpftrace.kill() }
        _ = bpftrace.poll(timeout: 30) { bpftrace.stdout.contains("Attaching") }
        usleep(1_500_000)
        bpftrace.send(SIGINT)
        _ = bpftrace.waitForExit(timeout: 15)
        XCTAssertEqual(mapKeys(bpftrace.stdout, map: "@"), stacks)
        XCTAssertEqual(mapKeys(bpftrace.stdout, map: "@p"), mapKeys(result.stdout, map: "@p"))
    }

    /// `kstack` on sched_switch: kernel frames resolved from /proc/kallsyms.
    func testKernelStacksOnSchedSwitchAreSymbolized() throws {
        try requireRoot()
        let swtrace = try startSwtrace(["-e", "t:sched:sched_switch { @[kstack(6)] = count(); printf(\"%s\", kstack(1)); }"])
        try runWorkload("sleep 0.2")
        swtrace.waitForOutput { $0.contains("+") }
        let result = try swtrace.stop()
        XCTAssertEqual(result.status, 0, "\(result)")
        let stacks = mapKeys(result.stdout, map: "@")
        XCTAssertFalse(stacks.isEmpty, "\(result)")
        let frame = try NSRegularExpression(pattern: #"^    [A-Za-z_][A-Za-z0-9_.]*\+\d+$"#)
        for stack in stacks {
            let lines = stack.split(separator: "\n").map(String.init)
            XCTAssertTrue((1...6).contains(lines.count), stack)
            for line in lines {
                XCTAssertEqual(frame.numberOfMatches(in: line, range: NSRange(line.startIndex..., in: line)), 1, "frame '\(line)'")
            }
        }
        XCTAssertTrue(stacks.contains { $0.contains("schedule") }, "switches come from the scheduler: \(stacks)")
        // printf and print indent by 8.
        XCTAssertTrue(result.stdout.contains("\n        "), result.stdout)
    }

    /// The stack formats of `printf`, `print`, map keys and values, and tuples, in BEGIN.
    func testStackFormatsMatchBpftraceLayout() throws {
        try requireRoot()
        let result = try runSwtrace(["-q", "-e", #"BEGIN { printf("<%s>\n", kstack(2)); print(kstack(perf, 2)); @k[kstack(2)] = count(); @v = kstack(1); @t = (kstack(1), 1); exit(); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        let symbol = #"[A-Za-z_][A-Za-z0-9_.]*\+\d+"#
        let pattern = [
            "<", "        \(symbol)", "        \(symbol)", ">",
            "", #"\t[0-9a-f]+ "# + symbol, #"\t[0-9a-f]+ "# + symbol, "", "", "",
            #"@k\["#, "    \(symbol)", "    \(symbol)", #"\]: 1"#,
            "@t: \\(", "        \(symbol)", ", 1\\)",
            "@v: ", "        \(symbol)", "",
        ].map { "^" + $0 + "$" }
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertGreaterThanOrEqual(lines.count, pattern.count, result.stdout)
        for (line, p) in zip(lines, pattern) {
            XCTAssertNotNil(line.range(of: p, options: .regularExpression), "'\(line)' does not match \(p) in:\n\(result.stdout)")
        }
    }

    // MARK: Symbols and registers

    func testUprobeSymbolsRegistersAndVariableAddresses() throws {
        try requireRoot()
        let binary = try buildProgram()
        let nm = try runWorkload(["/bin/sh", "-c", "nm \"$0\" | awk '$3 == \"global_counter\" { print $1 }'", binary])
        let address = try XCTUnwrap(UInt64(nm.stdout.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16), nm.stdout)
        let script = "uprobe:\(binary):leaf_function { printf(\"%s|%s|%d|%lx\\n\", usym(reg(\"ip\")), usym(reg(\"ip\") + 3), reg(\"di\") == arg0, uaddr(\"global_counter\")); exit(); }"
        let swtrace = try startSwtrace(["-e", script])
        _ = try startProgram(binary)
        let result = try swtrace.waitForExit()
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.lines.first, "leaf_function|leaf_function|1|\(String(address, radix: 16))", "\(result)")
    }

    func testKernelSymbolsAndAddresses() throws {
        try requireRoot()
        let result = try runSwtrace(["-q", "-e", #"t:timer:hrtimer_start { @[ksym(args->function)] = count(); printf("%s %s\n", ksym(kaddr("do_nanosleep")), ksym(kaddr("do_nanosleep") + 1)); exit(); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.lines.first, "do_nanosleep do_nanosleep")
        let names = mapKeys(result.stdout, map: "@")
        XCTAssertFalse(names.isEmpty)
        XCTAssertTrue(names.allSatisfy { !$0.hasPrefix("0x") }, "timer callbacks are kernel functions: \(names)")
        let missing = try runSwtrace(["-e", #"BEGIN { printf("%x\n", kaddr("no_such_kernel_symbol")); }"#])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("Failed to resolve kernel symbol: no_such_kernel_symbol"), missing.stderr)
    }

    // MARK: Strings longer than the BPF stack

    /// A path of several hundred bytes comes through whole: printf, map key, map value, and an
    /// equality test. bpftrace 0.17 cut strings at 64 bytes; the default is now 1024.
    func testStringsLongerThanTheStackComeThroughWhole() throws {
        try requireRoot()
        let token = uniqueToken()
        var path = NSTemporaryDirectory() + "/swtrace-e2e-" + token
        for i in 0..<6 { path += "/" + String(repeating: Character(UnicodeScalar(UInt8(97 + i))), count: 60) }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "/swtrace-e2e-" + token) }
        let file = path + "/file-" + token
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        XCTAssertGreaterThan(file.utf8.count, 400)
        let script = """
            t:syscalls:sys_enter_openat /strcontains(str(args->filename), "swtrace-e2e-\(token)")/ {
              $p = str(args->filename);
              printf("%s\\n", $p);
              @paths[$p] = count();
              @last = str(args->filename);
              printf("%d %d\\n", $p == str(args->filename), strncmp($p, "\(NSTemporaryDirectory())", 4));
            }
            """
        let swtrace = try startSwtrace(["-e", script])
        try runWorkload(["/bin/cat", file])
        swtrace.waitForOutput { $0.contains("1 0") }
        let result = try swtrace.stop()
        XCTAssertEqual(result.lines.first, file, "\(result)")
        XCTAssertEqual(result.lines.dropFirst().first, "1 0")
        XCTAssertTrue(result.stdout.contains("@paths[\(file)]: 1"), result.stdout)
        XCTAssertTrue(result.stdout.contains("@last: \(file)\n"), result.stdout)

        // config max_strlen still cuts strings: 64 bytes is 63 characters and the NUL.
        let short = try startSwtrace(["-e", "config = { max_strlen = 64 } " + script])
        try runWorkload(["/bin/cat", file])
        short.waitForOutput { !$0.isEmpty }
        let cut = try short.stop()
        XCTAssertEqual(cut.lines.first, String(file.prefix(63)), "\(cut)")
    }

    /// Forty 1 KiB strings alive at once (a map key) need more than the 32 KiB a per-CPU
    /// value may hold: they go through an array indexed by CPU and come through whole.
    func testMoreLongStringsAtOnceThanPerCPUDataHolds() throws {
        try requireRoot()
        let token = uniqueToken()
        let file = NSTemporaryDirectory() + "/swtrace-many-" + token
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: file) }
        let keys = (0..<40).map { _ in "str(args->filename)" }.joined(separator: ", ")
        let script = """
            t:syscalls:sys_enter_openat /strcontains(str(args->filename), "\(token)")/ {
              @[\(keys)] = count(); $t = (\(keys)); printf("%s %s\\n", $t.0, $t.39); exit();
            }
            """
        let swtrace = try startSwtrace(["-e", script])
        try runWorkload(["/bin/cat", file])
        let result = try swtrace.stop()
        XCTAssertEqual(result.lines.first, "\(file) \(file)", "\(result)")
        let key = Array(repeating: file, count: 40).joined(separator: ", ")
        XCTAssertTrue(result.stdout.contains("@[\(key)]: 1"), "\(result)")
    }

    // MARK: Output functions

    func testExitCodeIsSwtracesExitStatus() throws {
        try requireRoot()
        XCTAssertEqual(try runSwtrace(["-q", "-e", "BEGIN { exit(7); }"]).status, 7)
        XCTAssertEqual(try runSwtrace(["-q", "-e", "interval:ms:10 { exit(300); }"]).status, 300 & 0xff)
        XCTAssertEqual(try runSwtrace(["-q", "-e", "BEGIN { exit(); }"]).status, 0)
    }

    func testTimeAndStrftimeUseTheLocalWallClock() throws {
        try requireRoot()
        var now = time_t()
        time(&now)
        var parts = tm()
        localtime_r(&now, &parts)
        let today = String(format: "%04d-%02d-%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
        let result = try runSwtrace(["-q", "-e", #"BEGIN { time("%Y-%m-%d\n"); printf("%s|%s\n", strftime("%Y-%m-%d", nsecs), strftime("%f", 1500)); time(); exit(); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.lines.first, today)
        XCTAssertEqual(result.lines.dropFirst().first.map { String($0.prefix(11)) }, today + "|")
        XCTAssertNotNil(result.lines.dropFirst(2).first?.range(of: #"^\d\d:\d\d:\d\d$"#, options: .regularExpression), "time() is %H:%M:%S: \(result)")
    }

    func testCatSystemAndTimeInJSON() throws {
        try requireRoot()
        let result = try runSwtrace(["-q", "-f", "json", "--unsafe", "-e", #"BEGIN { cat("/proc/sys/kernel/ostype"); system("echo hi %d", 3); time("%%\n"); cat("/no/such/file"); exit(); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(Array(result.lines.filter { !$0.contains("attached_probes") }.prefix(3)), [
            #"{"type": "cat", "data": "Linux\n"}"#,
            #"{"type": "syscall", "data": "hi 3\n"}"#,
            #"{"type": "time", "data": "%\n"}"#,
        ])
        XCTAssertTrue(result.stderr.contains("failed to open file '/no/such/file'"), result.stderr)
    }

    func testSystemAndSignalNeedUnsafe() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", #"t:syscalls:sys_enter_getpid { system("true"); }"#])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("system() is an unsafe function being used in safe mode"), result.stderr)
        XCTAssertTrue(result.stderr.contains("--unsafe"), result.stderr)
    }

    /// `signal("KILL")` from a tracepoint kills the process that hit it.
    func testSignalKillsTheTracedProcess() throws {
        try requireRoot()
        let name = String(format: "swsig%06x", UInt32.random(in: 0...0xffffff))
        let dir = temporaryPath("-bin")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/" + name, withDestinationPath: "/bin/sleep")
        let swtrace = try startSwtrace(["--unsafe", "-e", "t:syscalls:sys_enter_clock_nanosleep /comm == \"\(name)\"/ { signal(\"KILL\"); }"])
        let sleeper = try runWorkload([dir + "/" + name, "10"], timeout: 20)
        XCTAssertEqual(sleeper.status, 128 + SIGKILL, "the sleeper was killed")
        _ = try swtrace.stop()
    }
}
