import Foundation
import XCTest

/// End to end, as root: how values are printed where bpftrace's output depends on more than
/// the script (environment limits), so the file-driven scripts cannot express it.
final class ValueFormatTests: XCTestCase {
    /// BPFTRACE_CAT_BYTES_MAX limits what cat() prints of a file, as in bpftrace.
    func testCatPrintsAtMostCatBytesMax() throws {
        try requireRoot()
        let file = temporaryPath(".txt")
        try "hello world\n".write(toFile: file, atomically: true, encoding: .utf8)
        let script = "BEGIN { cat(\"\(file)\"); printf(\"|\\n\"); exit(); }"
        let limited = try runWorkload(["/usr/bin/env", "BPFTRACE_CAT_BYTES_MAX=5", SwtraceRunner.binaryPath, "-q", "-e", script])
        XCTAssertEqual(limited.status, 0, limited.stderr)
        XCTAssertEqual(limited.stdout.split(separator: "\n").first, "hello|")
        let whole = try runSwtrace(["-q", "-e", script])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertEqual(Array(whole.lines.prefix(2)), ["hello world", "|"])
    }

    /// A tracepoint field that points to a struct is typed through BTF: `args->rqtp->tv_sec`
    /// reads the `struct __kernel_timespec` the sleeping process passed.
    func testTracepointPointerFieldsAreTypedThroughBTF() throws {
        try requireRoot()
        let script = "t:syscalls:sys_enter_clock_nanosleep /pid == cpid/ { printf(\"%d %d\\n\", args->rqtp->tv_sec, args->rqtp->tv_nsec); exit(); }"
        let result = try runSwtrace(["-q", "-c", "/bin/sleep 1.25", "-e", script])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.lines.first, "1 250000000")
    }

    /// cgroup_path(cgroup) names swtrace's own cgroup (BEGIN runs in its process, which is in
    /// this test's cgroup): the cgroup2 path first, as `unified:/PATH`.
    func testCgroupPathNamesTheCurrentCgroup() throws {
        try requireRoot()
        let own = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
        let path = try XCTUnwrap(own, "no cgroup2 line in /proc/self/cgroup")
        let result = try runSwtrace(["-q", "-e", "BEGIN { print(cgroup_path(cgroup)); exit(); }"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let first = try XCTUnwrap(result.lines.first)
        XCTAssertTrue(first.hasPrefix("unified:\(path)"), first)
    }

    /// sarg0, sarg1: the arguments an x86-64 call passes on the stack (the 7th and 8th).
    func testStackArgumentsAreReadAboveTheReturnAddress() throws {
        try requireRoot()
        #if arch(x86_64)
        let source = temporaryPath(".c"), binary = temporaryPath("-stackargs")
        try """
            __attribute__((noinline)) long many(long a, long b, long c, long d, long e, long f, long g, long h) {
                __asm__ volatile("");
                return a + b + c + d + e + f + g + h;
            }
            int main(void) { return many(1, 2, 3, 4, 5, 6, 32, 64) == 117 ? 0 : 1; }
            """.write(toFile: source, atomically: true, encoding: .utf8)
        let build = try runWorkload(["/usr/bin/cc", "-O1", "-o", binary, source])
        XCTAssertEqual(build.status, 0, build.stderr)
        let result = try runSwtrace(["-q", "-c", binary, "-e", "uprobe:\(binary):many { printf(\"%d %d\\n\", sarg0, sarg1); exit(); }"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.lines.first, "32 64")
        #else
        throw XCTSkip("stack arguments are read as x86-64 passes them")
        #endif
    }
}
