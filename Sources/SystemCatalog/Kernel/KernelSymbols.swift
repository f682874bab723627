/// The kernel's symbols from `/proc/kallsyms`, for turning kernel addresses into names
/// (`ksym`, `kstack`) and names into addresses (`kaddr`).
///
/// Symbolizing follows bpftrace 0.17 (through bcc): code symbols only — data (`b d r` and
/// their global forms) is left out; modules' functions and JIT-compiled BPF programs
/// (`bpf_prog_TAG_NAME [bpf]`) count — and an address belongs to the nearest symbol at or
/// below it, whatever that symbol's size. Several names at one address
/// (`_text`, `_stext`) give the global one with the shortest name. The file is read once, on
/// first use; names stay bytes in the file's buffer until one is asked for.
public final class KernelSymbols: Sendable {
    /// One symbol: its address and where its name is in `text`.
    private struct Entry: Sendable {
        var address: UInt64
        var nameStart: Int32
        var nameLength: Int32
    }

    private let text: [UInt8]
    /// Sorted by address, one entry per address.
    private let entries: [Entry]

    /// The running kernel's symbols, read on first use (an empty table if kallsyms is unreadable).
    public static let shared = KernelSymbols(kallsyms: readFile("/proc/kallsyms") ?? [])

    init(kallsyms: [UInt8]) {
        text = kallsyms
        var parsed: [(entry: Entry, global: Bool)] = []
        parsed.reserveCapacity(kallsyms.count / 40)
        Self.forEachLine(kallsyms) { address, type, nameStart, nameEnd, module in
            switch type {
            case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "d"), UInt8(ascii: "D"),
                 UInt8(ascii: "r"), UInt8(ascii: "R"):
                return
            default: break
            }
            let global = type >= UInt8(ascii: "A") && type <= UInt8(ascii: "Z")
            parsed.append((Entry(address: address, nameStart: Int32(nameStart), nameLength: Int32(nameEnd - nameStart)), global))
        }
        // Best name first among equal addresses; then keep one entry per address.
        parsed.sort { a, b in
            if a.entry.address != b.entry.address { return a.entry.address < b.entry.address }
            if a.global != b.global { return a.global }
            if a.entry.nameLength != b.entry.nameLength { return a.entry.nameLength < b.entry.nameLength }
            return a.entry.nameStart < b.entry.nameStart
        }
        var unique: [Entry] = []
        unique.reserveCapacity(parsed.count)
        for p in parsed where unique.last?.address != p.entry.address { unique.append(p.entry) }
        entries = unique
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The symbol an address is in and the offset into it; nil below the first symbol.
    public func resolve(_ address: UInt64) -> (name: String, offset: UInt64)? {
        // The last entry at or below `address`.
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].address <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let e = entries[low - 1]
        let name = String(decoding: text[Int(e.nameStart)..<Int(e.nameStart + e.nameLength)], as: UTF8.self)
        return (name, address - e.address)
    }

    /// `kaddr("name")`: the address of the first symbol of that name, of any type.
    public static func address(of name: String, in kallsyms: [UInt8]) -> UInt64? {
        let wanted = Array(name.utf8)
        var found: UInt64?
        forEachLine(kallsyms) { address, _, start, end, _ in
            if found == nil, end - start == wanted.count, kallsyms[start..<end].elementsEqual(wanted) { found = address }
        }
        return found
    }

    /// Calls `body` for each `address type name [module]` line, with the name's and module's
    /// byte ranges in `bytes`. Lines that do not parse are skipped.
    private static func forEachLine(_ bytes: [UInt8],
                                    _ body: (UInt64, UInt8, Int, Int, Range<Int>?) -> Void) {
        let count = bytes.count
        var i = 0
        while i < count {
            var address: UInt64 = 0
            var digits = 0
            while i < count, let d = hexValue(bytes[i]) {
                address = address &<< 4 | UInt64(d)
                digits += 1
                i += 1
            }
            // " T name" or " T name\t[module]"
            guard digits > 0, i + 3 < count, bytes[i] == 0x20, bytes[i + 2] == 0x20 else {
                while i < count, bytes[i] != 0x0A { i += 1 }
                i += 1
                continue
            }
            let type = bytes[i + 1]
            i += 3
            let nameStart = i
            while i < count, bytes[i] != 0x0A, bytes[i] != 0x09, bytes[i] != 0x20 { i += 1 }
            let nameEnd = i
            var module: Range<Int>?
            while i < count, bytes[i] != 0x0A {
                if bytes[i] == UInt8(ascii: "[") {
                    let start = i + 1
                    while i < count, bytes[i] != UInt8(ascii: "]"), bytes[i] != 0x0A { i += 1 }
                    module = start..<i
                    continue
                }
                i += 1
            }
            i += 1
            if nameEnd > nameStart { body(address, type, nameStart, nameEnd, module) }
        }
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x61...0x66: return b - 0x61 + 10
        case 0x41...0x46: return b - 0x41 + 10
        default: return nil
        }
    }
}
