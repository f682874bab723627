import TraceContract
import Glibc
import SystemCatalog

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
        /// `-k`: a helper failed at a script location (byte range) with this return code.
        case helperError(helper: String, range: SourceRange, code: Int64)
        /// A function watchpoint's address is known: set its breakpoint (WatchpointArmer).
        case watchpointArm(program: Int, attachPoint: Int, address: UInt64, pid: Int32)
        case unwatch(address: UInt64)
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
                out += RecordDecoder.cString(record, offset: 16 + i * size, capacity: size)
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
            return .value(RecordDecoder(renderer: renderer).value(record, slot))
        case .helperError(let helper, let start, let end):
            guard record.count >= 16 else { return .malformed }
            return .helperError(helper: helper, range: SourceRange(start, end),
                                code: record.loadUnaligned(fromByteOffset: 8, as: Int64.self))
        case .watchpointArm(let program, let attachPoint):
            guard record.count >= 24 else { return .malformed }
            return .watchpointArm(program: program, attachPoint: attachPoint,
                                  address: record.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                                  pid: Int32(truncatingIfNeeded: record.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
        case .unwatch:
            guard record.count >= 16 else { return .malformed }
            return .unwatch(address: record.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }

    static func render(_ format: PrintfFormat, _ slots: [ArgumentSlot], _ record: UnsafeRawBufferPointer,
                       renderer: ValueRenderer? = nil) -> [UInt8] {
        var out: [UInt8] = []
        PrintfPlan(format, slots).render(record, into: &out, renderer: renderer)
        return out
    }

    /// One conversion's text, through C's snprintf (PrintfPlan handles the common ones itself).
    static func conversionText(_ conv: PrintfFormat.Conversion, _ slot: ArgumentSlot, _ record: UnsafeRawBufferPointer,
                               renderer: ValueRenderer?) -> [UInt8] {
        switch slot.kind {
        case .string(let cap):
            var bytes = Array(RecordDecoder.cString(record, offset: slot.offset, capacity: cap))
            bytes.append(0)
            return bytes.withUnsafeBufferPointer { p in
                p.baseAddress.map { base in
                    base.withMemoryRebound(to: CChar.self, capacity: p.count) { cFormat(conv.cSpec, [$0]) }
                } ?? []
            }
        case .tuple:
            return Array(RecordDecoder.printedValue(RecordDecoder(renderer: renderer).value(record, slot)).utf8)
        case .rendered(.buffer(let capacity)) where conv.bufferStyle != nil:
            return Array(ValueRenderer.bufferText(record, at: slot.offset, capacity: capacity,
                                                  hexWithSpaces: conv.bufferStyle == "h").utf8)
        case .rendered(let r):
            return renderedConversion(conv, (renderer ?? ValueRenderer(object: nil)).text(r, record, at: slot.offset, place: .value))
        case .signed, .unsigned:
            guard slot.offset + 8 <= record.count else { return [] }
            let v = record.loadUnaligned(fromByteOffset: slot.offset, as: UInt64.self)
            return cFormat(conv.cSpec, [conv.narrow(v)])
        }
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
