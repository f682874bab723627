import BPFCodegen
import Glibc
import ScriptParser

/// Renders ring-buffer records as text, by the layout the manifest gives each event id.
struct EventFormatter {
    let manifest: Manifest
    /// Renders stacks, symbols, timestamps, … (ValueRenderer.swift); one per session.
    var renderer: ValueRenderer?

    enum Decoded {
        /// printf's text, as formatted.
        case printf([UInt8])
        /// join's elements and separators, without the newline text output adds.
        case join([UInt8])
        /// print(value).
        case value(PrintableValue)
        /// `exit()`, or `exit(code)` with the status swtrace exits with.
        case exit(code: Int32?)
        /// `time(fmt)`, `cat(…)` and `system(…)` output, ready to print (EventFormatter+Functions).
        case time([UInt8])
        /// nil: the file could not be read (reported on standard error, nothing printed).
        case cat([UInt8]?)
        case system([UInt8])
        /// print/clear/zero of a whole map: work for user space, by map index.
        case printMap(Int, top: Int, divisor: UInt64)
        case clearMap(Int)
        case zeroMap(Int)
        case malformed
    }

    /// The CPU that sent a record (the header's high half).
    static func cpu(of record: UnsafeRawBufferPointer) -> Int {
        guard record.count >= 8 else { return 0 }
        return Int(record.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    }

    func decode(_ record: UnsafeRawBufferPointer) -> Decoded {
        guard record.count >= 8 else { return .malformed }
        let id = Int(truncatingIfNeeded: record.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        guard id >= 0, id < manifest.events.count else { return .malformed }
        switch manifest.events[id] {
        case .exit:
            // exit(code) sends the status after the header.
            guard record.count >= 16 else { return .exit(code: nil) }
            return .exit(code: Int32(truncatingIfNeeded: record.loadUnaligned(fromByteOffset: 8, as: Int64.self)) & 0xff)
        case .time, .cat, .system:
            return decodeFunctionEvent(manifest.events[id], record)
        case .printf(let format, let slots):
            return .printf(Self.render(format, slots, record, renderer: renderer))
        case .join(let separator, let count, let size):
            guard record.count >= 16 + count * size else { return .malformed }
            let n = min(count, Int(truncatingIfNeeded: record.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            var out: [UInt8] = []
            for i in 0..<max(0, n) {
                if i > 0 { out += separator.utf8 }
                out += Self.cString(record, offset: 16 + i * size, capacity: size)
            }
            return .join(out)
        case .printMap(let map, let top, let divisor):
            return .printMap(map, top: top, divisor: divisor)
        case .clearMap(let map):
            return .clearMap(map)
        case .zeroMap(let map):
            return .zeroMap(map)
        case .printValue(let slot):
            guard record.count >= slot.offset + slot.size else { return .malformed }
            return .value(MapReader.value(record, slot, renderer: renderer))
        }
    }

    /// A value as `print(value)` shows it.
    static func printedValue(_ v: PrintableValue) -> String {
        switch v {
        case .signed(let x): return String(x)
        case .unsigned(let x): return String(x)
        case .string(let s): return s
        case .tuple(let xs): return "(" + xs.map(printedValue).joined(separator: ", ") + ")"
        case .structured(let t, _): return t
        }
    }

    /// Bytes of a NUL-terminated string in a fixed-size slot (all of it when there is no NUL).
    static func cString(_ record: UnsafeRawBufferPointer, offset: Int, capacity: Int) -> ArraySlice<UInt8> {
        let end = min(record.count, offset + capacity)
        guard offset < end else { return [] }
        let bytes = UnsafeRawBufferPointer(rebasing: record[offset..<end])
        let n = bytes.firstIndex(of: 0) ?? bytes.count
        return ArraySlice(bytes[0..<n])
    }

    static func render(_ format: PrintfFormat, _ slots: [ArgumentSlot], _ record: UnsafeRawBufferPointer,
                       renderer: ValueRenderer? = nil) -> [UInt8] {
        var out: [UInt8] = []
        var next = 0
        for segment in format.segments {
            switch segment {
            case .literal(let s):
                out += s.utf8
            case .conversion(let conv):
                guard next < slots.count else { continue }
                let slot = slots[next]
                next += 1
                switch slot.kind {
                case .string(let cap):
                    var bytes = Array(cString(record, offset: slot.offset, capacity: cap))
                    bytes.append(0)
                    out += bytes.withUnsafeBufferPointer { p in
                        p.baseAddress.map { base in
                            base.withMemoryRebound(to: CChar.self, capacity: p.count) { cFormat(conv.cSpec, [$0]) }
                        } ?? []
                    }
                case .tuple:
                    out += printedValue(MapReader.value(record, slot, renderer: renderer)).utf8
                case .rendered(.buffer(let capacity)) where conv.bufferStyle != nil:
                    out += ValueRenderer.bufferText(record, at: slot.offset, capacity: capacity,
                                                    hexWithSpaces: conv.bufferStyle == "h").utf8
                case .rendered(let r):
                    out += renderedConversion(conv, (renderer ?? ValueRenderer(object: nil)).text(r, record, at: slot.offset, place: .value))
                case .signed, .unsigned:
                    guard slot.offset + 8 <= record.count else { continue }
                    let v = record.loadUnaligned(fromByteOffset: slot.offset, as: UInt64.self)
                    out += cFormat(conv.cSpec, [conv.narrow(v)])
                }
            }
        }
        return out
    }

    /// snprintf with one argument, growing the buffer for wide fields.
    static func cFormat(_ spec: String, _ args: [CVarArg]) -> [UInt8] {
        var size = 64
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let n = withVaList(args) { vsnprintf(&buffer, size, spec, $0) }
            if n < 0 { return [] }
            if Int(n) < size { return buffer[0..<Int(n)].map { UInt8(bitPattern: $0) } }
            size = Int(n) + 1
        }
    }
}
