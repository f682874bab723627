import ScriptParser
import TraceContract

/// How a program shared by many attach points tells them apart. Codegen assigns every attach
/// point a cookie (its position when all programs' attach points are numbered in order) and
/// records it in the manifest; the runtime attaches with it (`bpf_cookie`, or `usdt_cookie`
/// for USDT), and the program reads it back with `bpf_get_attach_cookie()` to find the attach
/// point's `probe` and `func` strings in `Manifest.probeStrings`.
enum AttachCookies {
    static let probeStringsMap = "probe_strings"
    static let childPIDMap = "child_pid"

    /// The cookies of a program about to be appended to `programs`.
    static func cookies(for attachPoints: [ResolvedAttachPoint], after programs: [ProgramDescriptor]) -> [UInt64] {
        let first = UInt64(programs.reduce(0) { $0 + $1.attachPoints.count })
        return attachPoints.indices.map { first + UInt64($0) }
    }

    /// The table the runtime stores in `probeStringsMap`: key `2 * cookie` → `probe`,
    /// `2 * cookie + 1` → `func`.
    static func probeStrings(_ programs: [ProgramDescriptor], slotSize: Int) -> ProbeStringTable {
        var entries: [ProbeStringTable.Entry] = []
        for program in programs {
            for (ap, cookie) in zip(program.attachPoints, program.cookies) {
                entries.append(.init(key: UInt32(cookie * 2), text: ap.description))
                entries.append(.init(key: UInt32(cookie * 2 + 1), text: ap.functionName ?? ""))
            }
        }
        return ProbeStringTable(map: probeStringsMap, slotSize: slotSize, entries: entries)
    }

    /// Bytes per string in `probeStringsMap`: the longest, NUL included, rounded up to 8.
    static func stringSlotSize(_ attachPoints: [ResolvedAttachPoint]) -> Int {
        let longest = attachPoints.map { max($0.description.utf8.count, $0.functionName?.utf8.count ?? 0) }.max() ?? 0
        return (longest + 1 + 7) & ~7
    }
}
