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
}
