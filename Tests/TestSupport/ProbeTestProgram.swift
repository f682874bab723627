import Foundation
import XCTest

/// A small C program with function symbols and USDT probes, compiled with `cc` once per test
/// run: what the uprobe and USDT tests list and trace.
public enum ProbeTestProgram {
    public static let source = #"""
        #include <sys/sdt.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <unistd.h>

        __attribute__((noinline)) long sw_add(long a, long b) { __asm__ volatile(""); return a + b; }
        __attribute__((noinline)) long sw_negate(long a) { __asm__ volatile(""); return -a; }

        int main(int argc, char **argv) {
            int n = argc > 1 ? atoi(argv[1]) : 1;
            int delay_ms = argc > 2 ? atoi(argv[2]) : 0;
            long total = 0;
            for (int i = 0; i < n; i++) {
                char label[32];
                snprintf(label, sizeof label, "iter-%d", i);
                DTRACE_PROBE3(swtest, tick, i, label, (long)i * -1000000000L);
                DTRACE_PROBE2(swtest, small, (short)-3, (unsigned char)200);
                DTRACE_PROBE(other, start);
                total += sw_add(i, 2) + sw_negate(i);
                if (delay_ms) usleep(delay_ms * 1000);
            }
            return total == 2L * n ? 0 : 1;
        }
        """#

    /// The compiled binary's path, or a skip when there is no compiler or `<sys/sdt.h>`.
    public static func path() throws -> String {
        try built.get()
    }

    private static let built: Result<String, Error> = {
        let dir = NSTemporaryDirectory() + "swtrace-probe-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let c = dir + "/probe_target.c", binary = dir + "/probe_target"
        do {
            try source.write(toFile: c, atomically: true, encoding: .utf8)
        } catch {
            return .failure(error)
        }
        guard FileManager.default.fileExists(atPath: "/usr/include/x86_64-linux-gnu/sys/sdt.h")
                || FileManager.default.fileExists(atPath: "/usr/include/sys/sdt.h") else {
            return .failure(XCTSkip("<sys/sdt.h> is missing (scripts/setup installs systemtap-sdt-dev)"))
        }
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        cc.arguments = ["-O1", "-o", binary, c]
        do {
            try cc.run()
        } catch {
            return .failure(XCTSkip("no C compiler at /usr/bin/cc: \(error)"))
        }
        cc.waitUntilExit()
        guard cc.terminationStatus == 0 else { return .failure(XCTSkip("cc failed to build the probe target")) }
        return .success(binary)
    }()
}
