import Foundation
import XCTest

/// `while` loops the checker does not keep plain run through the kernel's `bpf_loop` helper
/// (IRGen+WhileCallback.swift), in real probes: reading the probe's arguments, printing over
/// both transports, and reporting the runs the helper's cap cut short.
final class WhileThroughBPFLoopTests: XCTestCase {
    /// A walk over execve's argv whose bound (1,000, and a map read afresh) is past what stays a
    /// plain loop: the callback reads `args` through the context it is handed.
    func testArgvWalkInACallback() throws {
        try requireRoot()
        let script = #"""
            t:syscalls:sys_enter_execve /comm == "sh"/ {
              $i = 0;
              while ($i < 1000 && @stop == 0) {
                if (args->argv[$i] == 0) { break; }
                printf("%d:%s ", $i, str(args->argv[$i]));
                $i++;
              }
              printf("(%d)\n", $i);
            }
            """#
        for transport in ["ringbuf", "perf"] {
            let token = uniqueToken()
            let swtrace = try startSwtrace(["--transport=\(transport)", "-e", script])
            try runWorkload(["/bin/sh", "-c", #"/bin/true "$0" two; :"#, token])
            let expected = "0:/bin/true 1:\(token) 2:two (3)"
            swtrace.waitForOutput { $0.contains(expected) }
            let result = try swtrace.stop()
            XCTAssertEqual(result.status, 0, "\(result)")
            XCTAssertTrue(result.lines.contains(expected), "over \(transport): \(result)")
        }
    }

    /// A loop that never ends runs until `bpf_loop` stops it; each run it stops is counted and
    /// reported at exit, and the probe goes on after the loop.
    func testARunTheCapEndsIsReported() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", #"BEGIN { $i = 0; while ($i < 10) { $i++; if ($i-- % 2 == 0) { continue; } if ($i > 7) { break; } } printf("after %d\n", $i); exit(); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.contains("after 0\n"), "\(result)")
        XCTAssertTrue(result.stderr.contains("WARNING: a while loop was cut short 1 time: the kernel's bpf_loop, which runs it, stops after 8,388,608 iterations"),
                      result.stderr)
    }

    /// A loop that ends by itself is never reported, however long it runs.
    func testALoopThatEndsIsNotReported() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", #"BEGIN { @n = 2000000; $i = 0; while ($i < @n) { $i++; if ($i > 1000000) { break; } } printf("%d\n", $i); exit(); }"#])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.contains("1000001\n"), "\(result)")
        XCTAssertFalse(result.stderr.contains("cut short"), result.stderr)
    }
}
