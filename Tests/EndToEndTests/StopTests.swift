import CBPF
import Foundation
import Glibc
import XCTest

/// Stopping: the probes' effects stop at once (a flag), the maps are printed final, swtrace
/// exits without waiting for the kernel to detach each probe, and the probes are released
/// after it has exited (ProbeRelease).
final class StopTests: XCTestCase {
    /// The BPF program IDs a process holds, from its fdinfo.
    private func programIDs(of pid: Int32) -> Set<UInt32> {
        var ids: Set<UInt32> = []
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        for fd in fds {
            guard (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) == "anon_inode:bpf-prog",
                  let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8) else { continue }
            for line in info.split(separator: "\n") where line.hasPrefix("prog_id:") {
                if let id = UInt32(line.dropFirst("prog_id:".count).trimmingCharacters(in: .whitespaces)) { ids.insert(id) }
            }
        }
        return ids
    }

    private func programExists(_ id: UInt32) -> Bool {
        let fd = bpf_prog_get_fd_by_id(id)
        if fd >= 0 { close(fd) }
        return fd >= 0
    }

    func testSigintPrintsFinalMapsExitsAtOnceAndReleasesProbesAfterwards() throws {
        try requireRoot()
        let swtrace = try startSwtrace(["-e", "tracepoint:syscalls:sys_enter_get* /pid == \(getpid())/ { @[probe] = count(); }"])
        let ids = programIDs(of: swtrace.child.pid)
        XCTAssertFalse(ids.isEmpty, "no BPF programs found in swtrace's descriptors")
        for _ in 0..<7 { _ = getppid() }
        let start = Date()
        let result = try swtrace.stop(signal: SIGINT)
        let stopTime = Date().timeIntervalSince(start)
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.contains("@[tracepoint:syscalls:sys_enter_getppid]: 7\n"), "\(result)")
        // Detaching ~20 tracepoints one by one takes over a second here; swtrace does not wait.
        XCTAssertLessThan(stopTime, 5, "stopping took \(stopTime) s")
        // Released once swtrace has gone: the programs disappear from the kernel.
        let deadline = Date().addingTimeInterval(120)
        var remaining = ids
        while !remaining.isEmpty, Date() < deadline {
            remaining = remaining.filter(programExists)
            if !remaining.isEmpty { usleep(50_000) }
        }
        XCTAssertTrue(remaining.isEmpty, "programs \(remaining.sorted()) still loaded 120 s after swtrace exited")
    }
}
