import TraceContract
import CBPF
import Glibc
import SystemCatalog

/// Turns rendered values (ScriptParser's `Rendering`) from their raw bytes into the text
/// bpftrace 0.17 prints: stacks and symbols resolved, timestamps formatted, buffers escaped.
///
/// Stacks are printed as they are when they are printed: kernel frames from /proc/kallsyms,
/// user frames through the process's mappings and each file's symbols. A process that has
/// exited by then can only show addresses (as in bpftrace). Symbol tables are read once per
/// file and kept for the renderer's life.
final class ValueRenderer {
    /// Where a value is printed: stacks are indented by 4 in map keys, by 8 elsewhere.
    enum Place { case mapKey, value }

    /// Reads stack frames by id; nil in tests that render without a kernel.
    private let object: LoadedObject?
    private var binaries: [String: BinarySymbols?] = [:]
    private var processes: [Int32: (mappings: ProcessMappings?, readAt: timespec)] = [:]
    /// Boot time on the wall clock, for strftime (bpftrace's `nsecs` timestamps count from boot).
    private lazy var bootTime: (seconds: Int, nanoseconds: Int) = Self.wallClockAtBoot()

    init(object: LoadedObject?) { self.object = object }

    /// The text of the value at `slot.offset` in `raw`.
    func text(_ r: Rendering, _ raw: UnsafeRawBufferPointer, at offset: Int, place: Place) -> String {
        guard offset >= 0, offset + r.size <= raw.count else { return "" }
        func u64(_ at: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: offset + at, as: UInt64.self) }
        switch r {
        case .stack(let stack):
            return stackText(stack, id: Int64(bitPattern: u64(0)), pid: Int32(truncatingIfNeeded: u64(8)),
                             indent: place == .mapKey ? 4 : 8)
        case .kernelSymbol:
            let address = u64(0)
            return KernelSymbols.shared.resolve(address)?.name ?? Self.pointerText(address)
        case .userSymbol:
            let address = u64(0)
            return userSymbol(address, pid: Int32(truncatingIfNeeded: u64(8)))?.name ?? Self.pointerText(address)
        case .timestamp(let format):
            return timestampText(format, nanosecondsSinceBoot: u64(0))
        case .buffer(let capacity):
            let length = Int(min(u64(0), UInt64(capacity)))
            return Self.escaped(UnsafeRawBufferPointer(rebasing: raw[(offset + 8)..<(offset + 8 + length)]))
        case .inetAddress:
            return Self.inetText(family: Int32(truncatingIfNeeded: u64(0)),
                                 UnsafeRawBufferPointer(rebasing: raw[(offset + 8)..<(offset + 24)]))
        case .macAddress:
            return raw[offset..<(offset + 6)].map { Self.hexByte($0, uppercase: true) }.joined(separator: ":")
        case .byteArray(let count):
            return "[" + raw[offset..<(offset + count)].map { String($0) }.joined(separator: ",") + "]"
        case .username:
            return Self.userName(uid: UInt32(truncatingIfNeeded: u64(0)))
        case .errorText:
            return String(cString: strerror(Int32(truncatingIfNeeded: u64(0))))
        case .memoryCopy(let layout):
            return Self.copyText(layout, raw, at: offset, compact: place == .mapKey)
        case .cgroupPath:
            return CgroupPaths.shared.text(forID: u64(0))
        case .signalName:
            return SignalNames.name(of: Int64(bitPattern: u64(0)))
        }
    }

    // MARK: Stacks

    /// bpftrace's stack text: a newline, then one line per frame, innermost first.
    func stackText(_ stack: StackType, id: Int64, pid: Int32, indent: Int) -> String {
        let frames = stackFrames(limit: stack.limit, id: id)
        var out = "\n"
        let pad = String(repeating: " ", count: indent)
        for address in frames {
            let resolved = stack.user ? userSymbol(address, pid: pid) : KernelSymbols.shared.resolve(address)
            let symbol = resolved.map { "\($0.name)+\($0.offset)" } ?? Self.pointerText(address)
            switch stack.mode {
            case .bpftrace:
                out += pad + symbol + "\n"
            case .perf:
                out += "\t" + String(address, radix: 16) + " " + symbol
                if stack.user {
                    let module = resolved == nil ? nil : userModule(address, pid: pid)
                    out += " (" + (module ?? "[unknown]") + ")"
                }
                out += "\n"
            }
        }
        return out
    }

    /// The instruction pointers stored under `id`, up to the first zero.
    func stackFrames(limit: Int, id: Int64) -> [UInt64] {
        guard id >= 0, id <= Int64(UInt32.max), let object,
              let name = object.manifest.stackMap(limit: limit), let fd = object.mapFD(name) else { return [] }
        var key = UInt32(id)
        var frames = [UInt64](repeating: 0, count: limit)
        guard bpf_map_lookup_elem(fd, &key, &frames) == 0 else { return [] }
        return Array(frames.prefix { $0 != 0 })
    }

    // MARK: User symbols

    func userSymbol(_ address: UInt64, pid: Int32) -> (name: String, offset: UInt64)? {
        guard let (mappings, mapping) = mapping(of: address, pid: pid),
              let binary = binarySymbols(mappings.fileToRead(mapping)),
              let fileAddress = binary.address(ofFileOffset: address - mapping.start + mapping.fileOffset) else { return nil }
        return binary.resolve(fileAddress)
    }

    private func userModule(_ address: UInt64, pid: Int32) -> String? {
        mapping(of: address, pid: pid)?.1.path
    }

    /// The mapping holding `address` in process `pid`. The maps file is read again when an
    /// address is in none of the known mappings (a library loaded since), at most once a second.
    private func mapping(of address: UInt64, pid: Int32) -> (ProcessMappings, ProcessMappings.Mapping)? {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        if let cached = processes[pid] {
            if let m = cached.mappings, let found = m.mapping(containing: address) { return (m, found) }
            if now.tv_sec - cached.readAt.tv_sec < 1 { return nil }
        }
        let fresh = ProcessMappings(pid: pid)
        // A process that is gone keeps the mappings last seen.
        let kept = fresh ?? processes[pid]?.mappings
        processes[pid] = (kept, now)
        guard let m = kept, let found = m.mapping(containing: address) else { return nil }
        return (m, found)
    }

    private func binarySymbols(_ path: String) -> BinarySymbols? {
        if let cached = binaries[path] { return cached }
        let loaded = BinarySymbols(path: path)
        binaries[path] = loaded
        return loaded
    }

    // MARK: Other renderings

    /// bpftrace prints an unresolved address as C++ streams print a pointer: `0x7f12…`, and
    /// a null one as `0`.
    static func pointerText(_ address: UInt64) -> String {
        address == 0 ? "0" : "0x" + String(address, radix: 16)
    }

    /// `%r`: printable ASCII as it is, every other byte as `\xNN`.
    static func escaped(_ bytes: UnsafeRawBufferPointer) -> String {
        var out = ""
        for b in bytes {
            if b >= 0x20, b < 0x7f { out.unicodeScalars.append(UnicodeScalar(b)) } else { out += "\\x" + hexByte(b, uppercase: false) }
        }
        return out
    }

    /// `%rx`: every byte of a buffer as `\xNN`; `%rh`: as `NN` separated by spaces.
    static func bufferText(_ raw: UnsafeRawBufferPointer, at offset: Int, capacity: Int, hexWithSpaces: Bool) -> String {
        guard offset >= 0, offset + 8 <= raw.count else { return "" }
        let length = Int(min(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self), UInt64(capacity)))
        let end = min(raw.count, offset + 8 + length)
        let bytes = raw[(offset + 8)..<end].map { hexByte($0, uppercase: false) }
        return hexWithSpaces ? bytes.joined(separator: " ") : bytes.map { "\\x" + $0 }.joined()
    }

    static func hexByte(_ b: UInt8, uppercase: Bool) -> String {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 0xF)]], as: UTF8.self)
    }

    static func inetText(family: Int32, _ bytes: UnsafeRawBufferPointer) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok = inet_ntop(family, bytes.baseAddress, &buffer, socklen_t(buffer.count))
        return ok == nil ? "" : String(cString: buffer)
    }

    static func userName(uid: UInt32) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return String(uid) }
        return String(cString: name)
    }

    /// `strftime(fmt, ns)` of a time since boot, on the local wall clock; `%f` is microseconds.
    func timestampText(_ format: String, nanosecondsSinceBoot ns: UInt64) -> String {
        let total = bootTime.nanoseconds + Int(ns % 1_000_000_000)
        var seconds = time_t(bootTime.seconds + Int(ns / 1_000_000_000) + total / 1_000_000_000)
        let micros = (total % 1_000_000_000) / 1000
        var micro = String(micros)
        micro = String(repeating: "0", count: max(0, 6 - micro.count)) + micro
        return Self.strftimeText(Self.expandingMicroseconds(format, micro), seconds: &seconds)
    }

    /// `%f` replaced by the microseconds; `%%` stays for strftime to turn into `%`.
    static func expandingMicroseconds(_ format: String, _ micro: String) -> String {
        var out = ""
        var percent = false
        for c in format {
            if percent {
                out += c == "f" ? micro : "%" + String(c)
                percent = false
            } else if c == "%" {
                percent = true
            } else {
                out.append(c)
            }
        }
        if percent { out += "%" }
        return out
    }

    /// C's `strftime` in local time, growing the buffer for long results.
    static func strftimeText(_ format: String, seconds: inout time_t) -> String {
        var parts = tm()
        localtime_r(&seconds, &parts)
        guard !format.isEmpty else { return "" }
        var size = 256
        while size <= 1 << 16 {
            var buffer = [CChar](repeating: 0, count: size)
            let n = strftime(&buffer, size, format, &parts)
            if n > 0 { return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            size *= 4
        }
        return ""
    }

    /// The wall-clock time at boot: now on CLOCK_REALTIME minus now on CLOCK_BOOTTIME.
    static func wallClockAtBoot() -> (seconds: Int, nanoseconds: Int) {
        var real = timespec(), boot = timespec()
        clock_gettime(CLOCK_REALTIME, &real)
        clock_gettime(CLOCK_BOOTTIME, &boot)
        var ns = (real.tv_sec - boot.tv_sec) * 1_000_000_000 + (real.tv_nsec - boot.tv_nsec)
        if ns < 0 { ns = 0 }
        return (ns / 1_000_000_000, ns % 1_000_000_000)
    }

    // MARK: Whole structs and arrays

    /// bpftrace's text for a copied struct or array: `{ .m = 2, .n = 3 }` (`{.m=2,.n=3}` in a
    /// map key), arrays as `[1,2,3,4]`, char arrays as their text.
    static func copyText(_ layout: ValueLayout, _ raw: UnsafeRawBufferPointer, at offset: Int, compact: Bool) -> String {
        guard offset >= 0, offset + layout.size <= raw.count else { return "" }
        switch layout {
        case .integer(let bytes, let signed):
            var v: UInt64 = 0
            for i in 0..<bytes { v |= UInt64(raw[offset + i]) << UInt64(8 * i) }
            if signed, bytes < 8, v & (UInt64(1) << UInt64(bytes * 8 - 1)) != 0 { v |= ~((UInt64(1) << UInt64(bytes * 8)) - 1) }
            return signed ? String(Int64(bitPattern: v)) : String(v)
        case .text(let bytes):
            let slice = raw[offset..<(offset + bytes)]
            return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
        case .opaque:
            return "0"
        case .array(let element, let count):
            let items = (0..<count).map { copyText(element, raw, at: offset + $0 * element.size, compact: compact) }
            return "[" + items.joined(separator: ",") + "]"
        case .record(_, _, let fields):
            let items = fields.map { f in
                "." + f.name + (compact ? "=" : " = ") + copyText(f.layout, raw, at: offset + f.offset, compact: compact)
            }
            return compact ? "{" + items.joined(separator: ",") + "}" : "{ " + items.joined(separator: ", ") + " }"
        }
    }

    /// bpftrace's JSON for a copied struct or array: `{ "m": 2, "n": 3 }`, `[1,2,3,4]`.
    static func copyJSON(_ layout: ValueLayout, _ raw: UnsafeRawBufferPointer, at offset: Int) -> String {
        guard offset >= 0, offset + layout.size <= raw.count else { return "null" }
        switch layout {
        case .integer, .opaque:
            return copyText(layout, raw, at: offset, compact: true)
        case .text:
            return "\"" + JSONText.escaped(copyText(layout, raw, at: offset, compact: true).utf8) + "\""
        case .array(let element, let count):
            return "[" + (0..<count).map { copyJSON(element, raw, at: offset + $0 * element.size) }.joined(separator: ",") + "]"
        case .record(_, _, let fields):
            return "{ " + fields.map { "\"\($0.name)\": " + copyJSON($0.layout, raw, at: offset + $0.offset) }
                .joined(separator: ", ") + " }"
        }
    }
}
