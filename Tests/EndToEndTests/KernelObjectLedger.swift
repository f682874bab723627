import Foundation
import Glibc
import XCTest

/// IDs of BPF programs, maps, links and BTF objects.
struct BPFObjectIDs: Equatable, CustomStringConvertible {
    var programs = Set<UInt32>()
    var maps = Set<UInt32>()
    var links = Set<UInt32>()
    var btf = Set<UInt32>()

    var isEmpty: Bool { programs.isEmpty && maps.isEmpty && links.isEmpty && btf.isEmpty }
    var count: Int { programs.count + maps.count + links.count + btf.count }

    func intersection(_ other: BPFObjectIDs) -> BPFObjectIDs {
        BPFObjectIDs(programs: programs.intersection(other.programs), maps: maps.intersection(other.maps),
                     links: links.intersection(other.links), btf: btf.intersection(other.btf))
    }

    func subtracting(_ other: BPFObjectIDs) -> BPFObjectIDs {
        BPFObjectIDs(programs: programs.subtracting(other.programs), maps: maps.subtracting(other.maps),
                     links: links.subtracting(other.links), btf: btf.subtracting(other.btf))
    }

    var description: String {
        "programs \(programs.sorted()), maps \(maps.sorted()), links \(links.sorted()), btf \(btf.sorted())"
    }
}

/// What the kernel holds, read with bpftool and /proc/PID/fdinfo. Other tests and other people
/// load programs on this machine at the same time, so nothing here counts machine-wide totals:
/// a test records the IDs its own swtrace holds, or the new IDs that appeared during its run
/// and that no process holds.
enum KernelObjectLedger {
    static let bpftool: String? = ["/usr/sbin/bpftool", "/usr/bin/bpftool", "/sbin/bpftool"].first { (path: String) in access(path, X_OK) == 0 }

    /// The BPF objects a process has file descriptors for.
    static func held(by pid: pid_t) -> BPFObjectIDs {
        var ids = BPFObjectIDs()
        let folder = "/proc/\(pid)/fdinfo"
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return ids }
        for fd in fds {
            guard let text = try? String(contentsOfFile: "\(folder)/\(fd)", encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let id = UInt32(parts[1].trimmingCharacters(in: .whitespaces)) else { continue }
                switch parts[0] {
                case "prog_id": ids.programs.insert(id)
                case "map_id": ids.maps.insert(id)
                case "link_id": ids.links.insert(id)
                case "btf_id": ids.btf.insert(id)
                default: break
                }
            }
        }
        return ids
    }

    /// Every BPF object some process holds a descriptor for.
    static func heldByAnyProcess() -> BPFObjectIDs {
        var ids = BPFObjectIDs()
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { pid_t($0) } ?? []
        for pid in pids {
            let h = held(by: pid)
            ids.programs.formUnion(h.programs)
            ids.maps.formUnion(h.maps)
            ids.links.formUnion(h.links)
            ids.btf.formUnion(h.btf)
        }
        return ids
    }

    /// Every program, map and link the kernel has now (bpftool), and BTF objects.
    static func existing() throws -> BPFObjectIDs {
        guard let bpftool else { throw SwtraceRunnerError("bpftool is not installed (scripts/setup installs it)") }
        func ids(_ kind: String) throws -> Set<UInt32> {
            let pipe = Pipe()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: bpftool)
            process.arguments = [kind, "show", "-j"]
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
                throw SwtraceRunnerError("bpftool \(kind) show -j printed no JSON list")
            }
            return Set(list.compactMap { ($0["id"] as? NSNumber)?.uint32Value })
        }
        return BPFObjectIDs(programs: try ids("prog"), maps: try ids("map"), links: try ids("link"), btf: try ids("btf"))
    }
}

extension XCTestCase {
    /// The largest ID of each kind now: objects created later have larger IDs (the kernel
    /// allocates them cyclically upward, and they are far from wrapping).
    func bpfHighWaterMark() throws -> BPFObjectIDs {
        let all = try KernelObjectLedger.existing()
        return BPFObjectIDs(programs: [all.programs.max() ?? 0], maps: [all.maps.max() ?? 0], links: [all.links.max() ?? 0],
                            btf: [all.btf.max() ?? 0])
    }

    /// Fails unless, within a few seconds (the kernel frees programs after an RCU grace period),
    /// none of `owned` exists any more and no program, map or link created since `mark` exists
    /// without a process holding it.
    func assertNothingLeftBehind(owned: BPFObjectIDs, since mark: BPFObjectIDs, _ what: String,
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        var leftOwned = BPFObjectIDs(), orphans = BPFObjectIDs()
        let deadline = Date().addingTimeInterval(10)
        repeat {
            let now = try KernelObjectLedger.existing()
            leftOwned = owned.intersection(now)
            var fresh = BPFObjectIDs()
            fresh.programs = now.programs.filter { $0 > (mark.programs.first ?? 0) }
            fresh.maps = now.maps.filter { $0 > (mark.maps.first ?? 0) }
            fresh.links = now.links.filter { $0 > (mark.links.first ?? 0) }
            orphans = fresh.subtracting(KernelObjectLedger.heldByAnyProcess())
            if leftOwned.isEmpty && orphans.isEmpty { return }
            usleep(200_000)
        } while Date() < deadline
        XCTFail("\(what): still in the kernel: \(leftOwned.isEmpty ? "" : "owned by swtrace: \(leftOwned); ")\(orphans.isEmpty ? "" : "held by no process: \(orphans)")",
                file: file, line: line)
    }
}
