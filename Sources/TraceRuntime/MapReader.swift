import BPFCodegen
import CBPF
import Glibc
import ScriptParser

/// Reads script maps out of the kernel into `MapSnapshot`s, combining per-CPU values.
struct MapReader {
    let object: LoadedObject
    let cpus: Int

    init(object: LoadedObject) {
        self.object = object
        cpus = max(1, Int(libbpf_num_possible_cpus()))
    }

    /// Every key currently in the map.
    func keys(_ fd: Int32, keySize: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var previous: [UInt8]?
        var next = [UInt8](repeating: 0, count: keySize)
        while true {
            let rc: Int32
            if var prev = previous {
                rc = bpf_map_get_next_key(fd, &prev, &next)
            } else {
                rc = bpf_map_get_next_key(fd, nil, &next)
            }
            if rc != 0 { break }
            out.append(next)
            previous = next
            // A map never holds more than max_entries keys; stop if the kernel loops on us.
            if out.count > 1 << 24 { break }
        }
        return out
    }

    func snapshot(_ d: MapDescriptor) -> MapSnapshot {
        let kind = Self.kind(of: d.info.value)
        guard let fd = object.mapFD(d.elfName) else { return MapSnapshot(name: d.scriptName, kind: kind, entries: []) }
        let stride = (d.valueSize + 7) & ~7
        var buffer = [UInt8](repeating: 0, count: d.perCPU ? stride * cpus : d.valueSize)
        var entries: [MapEntry] = []
        for var key in keys(fd, keySize: d.keySize) {
            guard bpf_map_lookup_elem(fd, &key, &buffer) == 0 else { continue }
            let keyParts = d.info.keyTypes.isEmpty ? [] : decodeKey(key, d.keySlots)
            let value = buffer.withUnsafeBytes { decodeValue($0, d, stride: stride) }
            entries.append(MapEntry(keys: keyParts, value: value))
        }
        return MapSnapshot(name: d.scriptName, kind: kind, entries: entries)
    }

    func decodeKey(_ key: [UInt8], _ slots: [ArgumentSlot]) -> [PrintableValue] {
        key.withUnsafeBytes { raw in slots.map { Self.value(raw, $0) } }
    }

    static func value(_ raw: UnsafeRawBufferPointer, _ slot: ArgumentSlot) -> PrintableValue {
        switch slot.kind {
        case .signed:
            guard slot.offset + 8 <= raw.count else { return .signed(0) }
            return .signed(raw.loadUnaligned(fromByteOffset: slot.offset, as: Int64.self))
        case .unsigned:
            guard slot.offset + 8 <= raw.count else { return .unsigned(0) }
            return .unsigned(raw.loadUnaligned(fromByteOffset: slot.offset, as: UInt64.self))
        case .string(let cap):
            let bytes = EventFormatter.cString(raw, offset: slot.offset, capacity: cap)
            return .string(String(decoding: bytes, as: UTF8.self))
        case .tuple(let elements):
            return .tuple(elements.map { value(raw, ArgumentSlot(offset: slot.offset + $0.offset, kind: $0.kind)) })
        }
    }

    func decodeValue(_ raw: UnsafeRawBufferPointer, _ d: MapDescriptor, stride: Int) -> MapEntryValue {
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
            return .scalar(Self.value(raw, ArgumentSlot.of(t, at: 0)))
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

    /// `clear(@m)`: delete every key.
    func clear(_ d: MapDescriptor) {
        guard let fd = object.mapFD(d.elfName) else { return }
        for var key in keys(fd, keySize: d.keySize) { bpf_map_delete_elem(fd, &key) }
    }

    /// `zero(@m)`: keep every key, zero its value on every CPU.
    func zero(_ d: MapDescriptor) {
        guard let fd = object.mapFD(d.elfName) else { return }
        let stride = (d.valueSize + 7) & ~7
        var zeroes = [UInt8](repeating: 0, count: d.perCPU ? stride * cpus : d.valueSize)
        for var key in keys(fd, keySize: d.keySize) { bpf_map_update_elem(fd, &key, &zeroes, 0) }
    }
}
