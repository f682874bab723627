#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CBPF

/// What the running kernel offers probes (kprobes, uprobes, perf events, online CPUs), read from
/// sysfs and tracefs: the attach errors name what is missing.
public enum KernelFeatures {
    /// A kernel with kprobes has the kprobe PMU (perf-based attach) or tracefs `kprobe_events`.
    public static var hasKprobes: Bool {
        exists("/sys/bus/event_source/devices/kprobe") || TracefsCatalog.defaultSearchPaths.contains { exists($0 + "/kprobe_events") }
    }

    public static var hasUprobes: Bool {
        exists("/sys/bus/event_source/devices/uprobe") || TracefsCatalog.defaultSearchPaths.contains { exists($0 + "/uprobe_events") }
    }

    public static var perfEventParanoid: String? {
        readFile("/proc/sys/kernel/perf_event_paranoid").map { String(decoding: $0, as: UTF8.self).filter { !$0.isWhitespace } }
    }

    private static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// `/sys/devices/system/cpu/online` (`0-3,6`), or every possible CPU when unreadable.
    public static func onlineCPUs() -> [Int] {
        if let bytes = readFile("/sys/devices/system/cpu/online") {
            let cpus = parseCPUList(String(decoding: bytes, as: UTF8.self))
            if !cpus.isEmpty { return cpus }
        }
        return Array(0..<max(1, Int(libbpf_num_possible_cpus())))
    }

    /// The kernel's `nr_cpu_ids`: the highest CPU in `/sys/devices/system/cpu/possible`, plus one.
    public static func possibleCPUCount() -> Int? {
        guard let bytes = readFile("/sys/devices/system/cpu/possible"),
              let highest = parseCPUList(String(decoding: bytes, as: UTF8.self)).max() else { return nil }
        return highest + 1
    }

    /// `0-3,6\n` → [0, 1, 2, 3, 6].
    public static func parseCPUList(_ text: String) -> [Int] {
        var cpus: [Int] = []
        for range in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let bounds = range.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: " ")) }
            if bounds.count == 1 { cpus.append(bounds[0]) }
            if bounds.count == 2, bounds[0] <= bounds[1] { cpus += Array(bounds[0]...bounds[1]) }
        }
        return cpus
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
