import ScriptParser

/// How a program shared by many attach points tells them apart, and the maps the runtime fills
/// for probe builtins. Codegen and the runtime both derive everything here from the manifest,
/// so it is the one place the convention lives.
///
/// Every attach point gets a cookie: its position when the manifest's programs' attach points
/// are numbered in order. The runtime passes it at attach (`bpf_cookie`, or `usdt_cookie` for
/// USDT); the program reads it back with `bpf_get_attach_cookie()` and looks up the attach
/// point's `probe` and `func` strings in `probeStringsMap`.
public enum AttachCookies {
    /// Array map: key `2 * cookie` is the attach point's `probe` string, `2 * cookie + 1` its `func`.
    public static let probeStringsMap = "probe_strings"
    /// Array map of one u64: the `-c` child's pid, for `cpid`.
    public static let childPIDMap = "child_pid"

    /// The cookie of each attach point of each program, in manifest order.
    public static func cookies(_ manifest: Manifest) -> [[UInt64]] {
        var next: UInt64 = 0
        return manifest.programs.map { program in
            program.attachPoints.map { _ in defer { next += 1 }; return next }
        }
    }

    /// The cookie of the first attach point of a program about to be appended to `programs`.
    static func firstCookie(after programs: [ProgramDescriptor]) -> UInt64 {
        UInt64(programs.reduce(0) { $0 + $1.attachPoints.count })
    }

    /// The strings `probeStringsMap` holds: key → bytes (NUL not included).
    public static func probeStrings(_ manifest: Manifest) -> [(key: UInt32, value: String)] {
        var out: [(UInt32, String)] = []
        var cookie: UInt32 = 0
        for program in manifest.programs {
            for ap in program.attachPoints {
                out.append((cookie * 2, ap.description))
                out.append((cookie * 2 + 1, ap.functionName ?? ""))
                cookie += 1
            }
        }
        return out
    }

    /// Bytes per string in `probeStringsMap`: the longest, NUL included, rounded up to 8.
    static func stringSlotSize(_ attachPoints: [ResolvedAttachPoint]) -> Int {
        let longest = attachPoints.map { max($0.description.utf8.count, $0.functionName?.utf8.count ?? 0) }.max() ?? 0
        return (longest + 1 + 7) & ~7
    }
}
