/// Where the session asks for map text. Stand-in until MapPrinter (bpftrace's exact format) lands.
enum MapRendering {
    static func text(_ m: MapSnapshot, top: Int?, divisor: UInt64?) -> String {
        m.entries.map { e in
            let key = e.keys.isEmpty ? "" : "[" + e.keys.map(EventFormatter.printedValue).joined(separator: ", ") + "]"
            return "\(m.name)\(key): \(e.value)\n"
        }.joined()
    }

    static func exitText(_ maps: [MapSnapshot]) -> String {
        maps.isEmpty ? "" : "\n" + maps.map { text($0, top: nil, divisor: nil) }.joined(separator: "\n")
    }
}
