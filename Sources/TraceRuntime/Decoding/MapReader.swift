import TraceContract
import CBPF
import Glibc
import SystemCatalog

/// Reads script maps out of the kernel into `MapSnapshot`s, combining per-CPU values.
struct MapReader {
    let object: LoadedObject
    let cpus: Int
    /// Renders stacks, symbols, … in keys and values; shared so symbol tables are read once.
    let renderer: ValueRenderer
    let zeroedSlots: ZeroedArraySlots

    init(object: LoadedObject, renderer: ValueRenderer? = nil, zeroedSlots: ZeroedArraySlots = ZeroedArraySlots()) {
        self.object = object
        cpus = max(1, Int(libbpf_num_possible_cpus()))
        self.renderer = renderer ?? ValueRenderer(object: object)
        self.zeroedSlots = zeroedSlots
    }

    /// Keys and values are laid out as event records are: one decoder reads both.
    var decoder: RecordDecoder { RecordDecoder(renderer: renderer, cpus: cpus) }

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
        let kind = RecordDecoder.kind(of: d.info.value)
        guard let fd = object.mapFD(d.elfName) else { return MapSnapshot(name: d.scriptName, kind: kind, entries: []) }
        let stride = (d.valueSize + 7) & ~7
        let valueBytes = d.perCPU ? stride * cpus : d.valueSize
        var entries: [MapEntry] = []
        let decode = { (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) in
            // A keyless aggregation's array slot that was never updated (or was cleared) is all
            // zeroes and prints nothing; after zero() it prints its zeroes, as bpftrace keeps a
            // zeroed entry. A keyless count() always prints (`@: 0`), as bpftrace's does.
            if d.isArray, d.info.value != .count, !zeroedSlots.contains(d.elfName),
               !value.contains(where: { $0 != 0 }) { return }
            let keyParts = d.info.keyTypes.isEmpty ? [] : d.keySlots.map { decoder.value(key, $0, place: .mapKey) }
            entries.append(MapEntry(keys: keyParts, value: decoder.mapValue(value, d, stride: stride)))
        }
        if !readBatched(fd, keySize: d.keySize, valueBytes: valueBytes, decode) {
            entries.removeAll()
            var buffer = [UInt8](repeating: 0, count: valueBytes)
            for var key in keys(fd, keySize: d.keySize) {
                guard bpf_map_lookup_elem(fd, &key, &buffer) == 0 else { continue }
                key.withUnsafeBytes { k in buffer.withUnsafeBytes { v in decode(k, v) } }
            }
        }
        return MapSnapshot(name: d.scriptName, kind: kind, entries: entries)
    }

    /// Reads the whole map with BPF_MAP_LOOKUP_BATCH: thousands of entries per syscall instead
    /// of two syscalls per entry. False when the kernel or map type does not support it.
    func readBatched(_ fd: Int32, keySize: Int, valueBytes: Int,
                     _ each: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) -> Bool {
        let chunk = 4096
        var keys = [UInt8](repeating: 0, count: keySize * chunk)
        var values = [UInt8](repeating: 0, count: valueBytes * chunk)
        // The batch token is opaque (a bucket index for hash maps); 8 bytes holds any of them.
        var token = [UInt8](repeating: 0, count: max(8, keySize))
        var first = true
        var opts = bpf_map_batch_opts()
        opts.sz = MemoryLayout<bpf_map_batch_opts>.size
        while true {
            var count = UInt32(chunk)
            var next = [UInt8](repeating: 0, count: token.count)
            let rc = keys.withUnsafeMutableBytes { k in
                values.withUnsafeMutableBytes { v in
                    token.withUnsafeMutableBytes { t in
                        next.withUnsafeMutableBytes { n in
                            bpf_map_lookup_batch(fd, first ? nil : t.baseAddress, n.baseAddress,
                                                 k.baseAddress, v.baseAddress, &count, &opts)
                        }
                    }
                }
            }
            let done = rc != 0 && errno == ENOENT
            if rc != 0, !done { return false }
            keys.withUnsafeBytes { k in
                values.withUnsafeBytes { v in
                    for i in 0..<Int(min(count, UInt32(chunk))) {
                        each(UnsafeRawBufferPointer(rebasing: k[(i * keySize)..<((i + 1) * keySize)]),
                             UnsafeRawBufferPointer(rebasing: v[(i * valueBytes)..<((i + 1) * valueBytes)]))
                    }
                }
            }
            if done { return true }
            token = next
            first = false
        }
    }

    /// `clear(@m)`: delete every key (an array slot cannot be deleted: it is zeroed).
    func clear(_ d: MapDescriptor) {
        if d.isArray {
            zero(d)
            zeroedSlots.remove(d.elfName)
            return
        }
        guard let fd = object.mapFD(d.elfName) else { return }
        for var key in keys(fd, keySize: d.keySize) { bpf_map_delete_elem(fd, &key) }
    }

    /// `zero(@m)`: keep every key, zero its value on every CPU.
    func zero(_ d: MapDescriptor) {
        if d.isArray { zeroedSlots.insert(d.elfName) }
        guard let fd = object.mapFD(d.elfName) else { return }
        let stride = (d.valueSize + 7) & ~7
        var zeroes = [UInt8](repeating: 0, count: d.perCPU ? stride * cpus : d.valueSize)
        for var key in keys(fd, keySize: d.keySize) { bpf_map_update_elem(fd, &key, &zeroes, 0) }
    }
}

/// Which keyless aggregations (one-slot per-CPU arrays, `MapDescriptor.isArray`) were zero()ed
/// and not cleared since: an array slot cannot be deleted, so all-zero values alone cannot tell
/// a zeroed entry (printed) from one never updated or cleared (not printed).
final class ZeroedArraySlots {
    private var names: Set<String> = []
    func insert(_ name: String) { names.insert(name) }
    func remove(_ name: String) { names.remove(name) }
    func contains(_ name: String) -> Bool { names.contains(name) }
}
