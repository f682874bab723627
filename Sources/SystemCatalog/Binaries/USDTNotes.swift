import ScriptParser

/// The USDT probes of a binary, from its `.note.stapsdt` section (what `<sys/sdt.h>` emits).
///
/// Each site of a probe is one note of type 3 owned by `stapsdt`; its descriptor is three
/// addresses (the site, the `.stapsdt.base` it was linked against, the semaphore), then
/// `provider\0name\0arguments\0`. Only the names and argument widths are read here, for
/// listing and typing `argN`; libbpf reads the notes again to attach, which is where the
/// address arithmetic belongs.
enum USDTNotes {
    static let section = ".note.stapsdt"
    static let noteType: UInt32 = 3

    /// One entry per `provider:name`, in file order (a probe inlined at several sites is listed
    /// once, with the first site's arguments and the number of its sites).
    static func probes(in file: ELFFile) -> [USDTProbeInfo] {
        let addressSize = file.is64Bit ? 8 : 4
        var seen: [String: Int] = [:]
        var probes: [USDTProbeInfo] = []
        for note in file.notes(inSection: section) where note.name == "stapsdt" && note.type == noteType {
            let strings = note.descriptor.dropFirst(3 * addressSize)
                .split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            guard strings.count >= 2, !strings[0].isEmpty, !strings[1].isEmpty else { continue }
            if let index = seen["\(strings[0]):\(strings[1])"] {
                probes[index].sites += 1
                continue
            }
            seen["\(strings[0]):\(strings[1])"] = probes.count
            let argumentText = strings.count > 2 ? strings[2].prefix { $0 != "\0" } : ""
            let arguments = argumentText.split(separator: " ").compactMap { USDTArgument.parse(String($0)) }
            probes.append(USDTProbeInfo(provider: strings[0], name: strings[1], arguments: arguments))
        }
        return probes
    }
}
