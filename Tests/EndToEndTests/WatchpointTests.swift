import Foundation
import Glibc
import XCTest

/// watchpoint/asyncwatchpoint probes against a real process: hardware breakpoints at a fixed
/// address and at a function's argument, several at once, and `unwatch()`.
final class WatchpointTests: XCTestCase {
    /// `fixed`: writes a byte at 0x20000000 forever. `counter N`: N times, bumps a fresh
    /// counter through `bump_N(int *)` (one function per counter), then bumps the first
    /// counter again after a pause, for unwatch.
    static let source = #"""
        #include <stdlib.h>
        #include <string.h>
        #include <sys/mman.h>
        #include <unistd.h>

        #define BUMP(n) __attribute__((noinline)) void bump_##n(int *i) { (*i)++; }
        BUMP(0) BUMP(1) BUMP(2) BUMP(3) BUMP(4) BUMP(5)
        static void (*bumps[])(int *) = { bump_0, bump_1, bump_2, bump_3, bump_4, bump_5 };

        int main(int argc, char **argv) {
            if (argc > 1 && strcmp(argv[1], "fixed") == 0) {
                volatile unsigned char *p = mmap((void *)0x20000000, 4096, PROT_READ | PROT_WRITE,
                                                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
                for (unsigned char i = 0;; i++) { *p = i; usleep(1000); }
            }
            int n = argc > 2 ? atoi(argv[2]) : 1;
            int *first = 0;
            for (int i = 0; i < n && i < 6; i++) {
                int *c = calloc(1, sizeof(int));
                if (!first) first = c;
                bumps[i](c);
            }
            usleep(500000);
            for (int i = 0; i < 3; i++) (*first)++;
            return 0;
        }
        """#

    static let program: Result<String, Error> = {
        let dir = NSTemporaryDirectory() + "swtrace-e2e-watchpoints-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let c = dir + "/watched.c", binary = dir + "/watched"
        do {
            try source.write(toFile: c, atomically: true, encoding: .utf8)
            let cc = Process()
            cc.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
            cc.arguments = ["-O0", "-g", "-o", binary, c]
            try cc.run()
            cc.waitUntilExit()
            guard cc.terminationStatus == 0 else { return .failure(SwtraceRunnerError("cc could not build \(c)")) }
        } catch {
            return .failure(error)
        }
        return .success(binary)
    }()

    func testWatchpointOnAFixedAddressInTheChild() throws {
        try requireRoot()
        let binary = try Self.program.get()
        let result = try runSwtrace(["-e", "watchpoint:0x20000000:1:w { printf(\"%s hit\\n\", probe); exit(); }",
                                     "-c", "\(binary) fixed"])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.hasPrefix("watchpoint:0x20000000:1:w hit\n"), "\(result)")
    }

    func testWatchpointOnAFunctionArgumentStopsTheProcessUntilItIsSet() throws {
        try requireRoot()
        let binary = try Self.program.get()
        for type in ["watchpoint", "asyncwatchpoint"] {
            let result = try runSwtrace(["-e", "\(type):bump_0+arg0:4:w { printf(\"%s\\n\", probe); exit(); }",
                                         "-c", "\(binary) counter 1"])
            XCTAssertEqual(result.status, 0, "\(type): \(result)")
            XCTAssertTrue(result.stderr.hasPrefix("Attached 1 probe\n"), "\(type): \(result)")
            if type == "watchpoint" {
                // Held in SIGSTOP until the breakpoint was set: the write inside bump_0 is seen.
                XCTAssertTrue(result.stdout.hasPrefix("watchpoint:\(binary):bump_0:4:w\n"), "\(result)")
            } else {
                XCTAssertTrue(result.stdout.isEmpty || result.stdout.hasPrefix("asyncwatchpoint:\(binary):bump_0:4:w\n"), "\(result)")
            }
        }
    }

    func testWildcardedFunctionsEachGetTheirBreakpointUntilRegistersRunOut() throws {
        try requireRoot()
        let binary = try Self.program.get()
        let result = try runSwtrace(["-e", "watchpoint:bump_*+arg0:4:w { @[probe] = count(); }", "-c", "\(binary) counter 6"])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stderr.hasPrefix("Attached 6 probes\n"), "\(result)")
        // x86-64 has four debug registers: four counters are watched, the other two refused.
        let refusals = result.stderr.components(separatedBy: "Failed to attach watchpoint probe. You are out of watchpoint registers.\n").count - 1
        XCTAssertEqual(refusals, 2, "\(result)")
        for n in 0..<4 {
            XCTAssertTrue(result.stdout.contains("@[watchpoint:\(binary):bump_\(n):4:w]: "), "bump_\(n) not watched: \(result)")
        }
        XCTAssertFalse(result.stdout.contains("bump_4"), "\(result)")
    }

    func testUnwatchRemovesTheBreakpoint() throws {
        try requireRoot()
        let binary = try Self.program.get()
        // Without unwatch the first counter would be hit four times (once in bump_0, three after).
        let script = "uprobe:\(binary):bump_0 { @addr = arg0; } watchpoint:bump_0+arg0:4:w { @hits++; unwatch(@addr); }"
        let result = try runSwtrace(["-e", script, "-c", "\(binary) counter 1"])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.contains("@hits: 1\n"), "\(result)")
        let kept = try runSwtrace(["-e", "watchpoint:bump_0+arg0:4:w { @hits++; }", "-c", "\(binary) counter 1"])
        XCTAssertTrue(kept.stdout.contains("@hits: 4\n"), "\(kept)")
    }

    func testFunctionWatchpointsNeedAProcess() throws {
        let result = try runSwtrace(["--dry-run", "-e", "watchpoint:bump_0+arg0:4:w { exit(); }"])
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertTrue(result.stderr.contains("watchpoint on a function needs the process to trace: -p PID or -c CMD"), "\(result)")
        let badMode = try runSwtrace(["--dry-run", "-e", "watchpoint:0x1000:4:q { exit(); }"])
        XCTAssertTrue(badMode.stderr.contains("watchpoint mode must be r, w, rw or x, not 'q'"), "\(badMode)")
    }
}
