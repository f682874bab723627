import TraceContract
import SystemCatalog

/// Reads values out of ring-buffer records and map keys and values, which share one layout
/// (`ArgumentSlot`s in the manifest): the one decoder the event formatter and the map reader use.
struct RecordDecoder {
    /// Renders stacks, symbols, timestamps, …; nil renders without symbol tables (tests).
    var renderer: ValueRenderer?
    /// Copies of a per-CPU map value (the kernel hands one per possible CPU).
    var cpus = 1

    /// Bytes of a NUL-terminated string in a fixed-size slot (all of it when there is no NUL).
    static func cString(_ record: UnsafeRawBufferPointer, offset: Int, capacity: Int) -> ArraySlice<UInt8> {
        let end = min(record.count, offset + capacity)
        guard offset < end else { return [] }
        let bytes = UnsafeRawBufferPointer(rebasing: record[offset..<end])
        let n = bytes.firstIndex(of: 0) ?? bytes.count
        return ArraySlice(bytes[0..<n])
    }

    /// The value in `slot`; rendered values (stacks, symbols, …) become their text.
    func value(_ raw: UnsafeRawBufferPointer, _ slot: ArgumentSlot, place: ValueRenderer.Place = .value) -> PrintableValue {
        switch slot.kind {
        case .signed:
            guard slot.offset + 8 <= raw.count else { return .signed(0) }
            return .signed(raw.loadUnaligned(fromByteOffset: slot.offset, as: Int64.self))
        case .unsigned:
            guard slot.offset + 8 <= raw.count else { return .unsigned(0) }
            return .unsigned(raw.loadUnaligned(fromByteOffset: slot.offset, as: UInt64.self))
        case .string(let cap):
            let bytes = Self.cString(raw, offset: slot.offset, capacity: cap)
            return .string(String(decoding: bytes, as: UTF8.self))
        case .tuple(let elements):
            return .tuple(elements.map { value(raw, ArgumentSlot(offset: slot.offset + $0.offset, kind: $0.kind)) })
        case .rendered(.memoryCopy(let layout)):
            return .structured(text: ValueRenderer.copyText(layout, raw, at: slot.offset, compact: place == .mapKey),
                               json: ValueRenderer.copyJSON(layout, raw, at: slot.offset))
        case .rendered(let r):
            return .string((renderer ?? ValueRenderer(object: nil)).text(r, raw, at: slot.offset, place: place))
        }
    }

    /// A map's value, per-CPU copies (`stride` bytes apart) combined as its aggregation says.
    func mapValue(_ raw: UnsafeRawBufferPointer, _ d: MapDescriptor, stride: Int) -> MapEntryValue {
        func u64(_ cpu: Int, _ offset: Int) -> UInt64 {
            let at = cpu * stride + offset
            guard at + 8 <= raw.count else { return 0 }
            return raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
        }
        let cpus = d.perCPU ? self.cpus : 1
        switch d.info.value {
        case .count:
            return .scalar(.unsigned((0..<cpus).reduce(0) { $0 &+ u64($1, 0) }))
        case .sum(let signed):
            let total = (0..<cpus).reduce(UInt64(0)) { $0 &+ u64($1, 0) }
            return .scalar(signed ? .signed(Int64(bitPattern: total)) : .unsigned(total))
        case .min(let signed), .max(let signed):
            let isMin: Bool = { if case .min = d.info.value { return true }; return false }()
            var best: UInt64?
            for cpu in 0..<cpus where u64(cpu, 8) != 0 {
                let v = u64(cpu, 0)
                guard let b = best else { best = v; continue }
                let better = signed ? (isMin ? Int64(bitPattern: v) < Int64(bitPattern: b) : Int64(bitPattern: v) > Int64(bitPattern: b))
                                    : (isMin ? v < b : v > b)
                if better { best = v }
            }
            let v = best ?? 0
            return .scalar(signed ? .signed(Int64(bitPattern: v)) : .unsigned(v))
        case .avg, .stats:
            let count = (0..<cpus).reduce(UInt64(0)) { $0 &+ u64($1, 0) }
            let total = Int64(bitPattern: (0..<cpus).reduce(UInt64(0)) { $0 &+ u64($1, 8) })
            if case .avg = d.info.value { return .average(count: count, total: total) }
            return .stats(count: count, total: total)
        case .hist, .lhist:
            let n = MapDescriptor.bucketCount(d.info.value)
            return .histogram((0..<n).map { b in (0..<cpus).reduce(UInt64(0)) { $0 &+ u64($1, b * 8) } })
        case .plain(let t):
            return .scalar(value(raw, ArgumentSlot.of(t, at: 0)))
        }
    }

    static func kind(of v: MapValueType) -> MapKind {
        switch v {
        case .count: return .count
        case .sum: return .sum
        case .min: return .min
        case .max: return .max
        case .avg: return .avg
        case .stats: return .stats
        case .hist: return .hist
        case .lhist(let lo, let hi, let step): return .lhist(min: lo, max: hi, step: step)
        case .plain: return .plain
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
}
