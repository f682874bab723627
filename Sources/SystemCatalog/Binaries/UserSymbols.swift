import Glibc
import ScriptParser

/// The function symbols of one binary or library, by address, with what maps a file offset to
/// the address the symbols use. The separate debug file (Debian's `*-dbg` packages, found by
/// build id) adds the local symbols a stripped library lacks (libc's `__libc_start_call_main`).
public final class BinarySymbols {
    private let symbols: [UserSymbol]
    private let segments: [ELFFile.LoadSegment]

    /// nil when `path` is not a readable ELF file.
    public init?(path: String) {
        guard let elf = try? ELFFile(path: path) else { return nil }
        segments = elf.loadSegments()
        var all = elf.symbols(types: ELFFile.functionTypes)
        if let debugPath = elf.debugFilePath(), let debug = try? ELFFile(path: debugPath) {
            all += debug.symbols(types: ELFFile.functionTypes)
        }
        // By address; at one address the larger symbol first, then the name, so duplicates
        // (a symbol in both tables) collapse and the choice does not depend on table order.
        all.sort { ($0.address, $1.size, $0.name) < ($1.address, $0.size, $1.name) }
        var unique: [UserSymbol] = []
        for s in all where unique.last.map({ $0.address != s.address || $0.name != s.name }) ?? true { unique.append(s) }
        symbols = unique
    }

    /// The virtual address (as the symbol table has it) of a byte at `offset` in the file.
    public func address(ofFileOffset offset: UInt64) -> UInt64? {
        for s in segments where offset >= s.offset && offset < s.offset + max(s.fileSize, 1) {
            return offset - s.offset + s.address
        }
        return nil
    }

    /// The function holding `address`, and the offset into it. A symbol holds the addresses
    /// its size covers; the nearest symbols below are tried, since functions can nest (a
    /// `.cold` part inside a larger range).
    public func resolve(_ address: UInt64) -> (name: String, offset: UInt64)? {
        var low = 0, high = symbols.count
        while low < high {
            let mid = (low + high) / 2
            if symbols[mid].address <= address { low = mid + 1 } else { high = mid }
        }
        var i = low - 1
        var tried = 0
        while i >= 0, tried < 16 {
            let s = symbols[i]
            if address < s.address + max(s.size, 1) { return (s.name, address - s.address) }
            i -= 1
            tried += 1
        }
        return nil
    }
}

/// A process's executable mappings (`/proc/PID/maps`), to find which file an address is in.
public struct ProcessMappings {
    public struct Mapping {
        public var start: UInt64
        public var end: UInt64
        public var fileOffset: UInt64
        /// As the maps file names it: what perf-style stacks print.
        public var path: String
    }

    public let pid: Int32
    public let mappings: [Mapping]

    /// nil once the process is gone.
    public init?(pid: Int32) {
        guard let bytes = readFile("/proc/\(pid)/maps") else { return nil }
        self.pid = pid
        mappings = Self.parse(bytes)
    }

    public init(pid: Int32, mappings: [Mapping]) {
        self.pid = pid
        self.mappings = mappings
    }

    /// `start-end perms offset dev inode path`, executable file mappings only.
    public static func parse(_ bytes: [UInt8]) -> [Mapping] {
        var out: [Mapping] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[1].contains(UInt8(ascii: "x")) else { continue }
            var path = String(decoding: fields[5].drop { $0 == UInt8(ascii: " ") }, as: UTF8.self)
            guard path.hasPrefix("/") else { continue }
            if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
            let range = fields[0].split(separator: UInt8(ascii: "-"))
            guard range.count == 2, let start = hex(range[0]), let end = hex(range[1]),
                  let offset = hex(fields[2]) else { continue }
            out.append(Mapping(start: start, end: end, fileOffset: offset, path: path))
        }
        return out
    }

    public func mapping(containing address: UInt64) -> Mapping? {
        mappings.first { address >= $0.start && address < $0.end }
    }

    /// The file to read a mapping's symbols from: through `/proc/PID/root`, so a process in
    /// another mount namespace (a container) gets its own files.
    public func fileToRead(_ m: Mapping) -> String {
        let viaRoot = "/proc/\(pid)/root" + m.path
        return access(viaRoot, R_OK) == 0 ? viaRoot : m.path
    }

    private static func hex<S: Sequence>(_ digits: S) -> UInt64? where S.Element == UInt8 {
        var v: UInt64 = 0
        var any = false
        for d in digits {
            guard let x = UInt8(exactly: d), let n = Int(String(UnicodeScalar(x)), radix: 16) else { return nil }
            v = v << 4 | UInt64(n)
            any = true
        }
        return any ? v : nil
    }
}
