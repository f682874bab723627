import TraceContract
import SystemCatalog

/// The order maps print in: bpftrace's sort rules (MapPrinter.swift prints, LibstdcxxSort.swift
/// reproduces its tie order).
extension MapPrinter {
    /// The entries in the order bpftrace prints them:
    /// - count, sum, min, max, and plain integer values: ascending by value. bpftrace runs
    ///   `std::sort` over the kernel's iteration order, so ties keep the snapshot's order up to
    ///   16 entries, and beyond that land where libstdc++'s introsort puts them; swtrace runs
    ///   the same algorithm over the snapshot's order.
    /// - hist and lhist: ascending by the sum of all buckets; avg and stats: ascending by
    ///   average (`total / count`, 0 when the count is 0). The input to `std::sort` is in the
    ///   order of the keys' bytes (a `std::map`), so ties break by key bytes: integers as 8
    ///   little-endian bytes (256 before 1 before 2 before -1), strings as NUL-padded bytes.
    /// - anything else (strings, tuples): by key, first key part first; integer key parts as
    ///   unsigned (so -1 comes last), string parts byte-wise.
    public static func sortedEntries(_ m: MapSnapshot) -> [MapEntry] {
        let entries = m.entries
        // The sorts move indices, not entries (whose arrays would be retained and released at
        // every move); the same algorithm over the same comparisons gives the same order.
        var order = Array(entries.indices)
        switch m.kind {
        case .hist, .lhist:
            order.sort { KeyBytes.less(entries[$0].keys, entries[$1].keys) }
            let totals = entries.map { histogramTotal($0.value) }
            LibstdcxxSort.sort(&order) { totals[$0] < totals[$1] }
        case .avg, .stats:
            order.sort { KeyBytes.less(entries[$0].keys, entries[$1].keys) }
            let averages = entries.map { average($0.value) }
            LibstdcxxSort.sort(&order) { averages[$0] < averages[$1] }
        case .count, .sum, .min, .max, .plain:
            let integers = entries.compactMap { integerValue($0.value) }
            if integers.count == entries.count {
                LibstdcxxSort.sort(&order) { integers[$0] < integers[$1] }
            } else {
                var sorted = entries
                sortByKey(&sorted)
                return sorted
            }
        }
        return order.map { entries[$0] }
    }

    // MARK: - Sort keys

    /// avg and stats: `total / count` as int64, 0 for a zero count.
    static func average(_ v: MapEntryValue) -> Int64 {
        switch v {
        case .average(let count, let total), .stats(let count, let total):
            let n = Int64(truncatingIfNeeded: count)
            guard n != 0 else { return 0 }
            let (q, overflow) = total.dividedReportingOverflow(by: n)
            return overflow ? total : q
        case .scalar, .histogram:
            return 0
        }
    }

    /// hist and lhist: the sum of all buckets, wrapping as bpftrace's 64-bit sum does.
    static func histogramTotal(_ v: MapEntryValue) -> UInt64 {
        guard case .histogram(let buckets) = v else { return 0 }
        return buckets.reduce(0, &+)
    }

    /// A scalar integer as a value that orders signed and unsigned numbers by magnitude.
    private static func integerValue(_ v: MapEntryValue) -> ComparableInteger? {
        guard case .scalar(let x) = v else { return nil }
        switch x {
        case .signed(let s): return ComparableInteger(s < 0, s < 0 ? UInt64(bitPattern: s) : UInt64(s))
        case .unsigned(let u): return ComparableInteger(false, u)
        case .string, .tuple, .structured: return nil
        }
    }

    /// bpftrace's `sort_by_key`: a stable sort per key part, last part first, so the first part
    /// decides. Integer parts compare as unsigned 64-bit, strings byte-wise; a part holding
    /// anything else (or a mix) is left in the order it came.
    private static func sortByKey(_ entries: inout [MapEntry]) {
        let parts = entries.map(\.keys.count).max() ?? 0
        for p in stride(from: parts - 1, through: 0, by: -1) {
            let column = entries.map { p < $0.keys.count ? $0.keys[p] : nil }
            if column.allSatisfy({ if case .signed = $0 { return true }; if case .unsigned = $0 { return true }; return false }) {
                stableSort(&entries) { unsignedKey($0.keys[p]) < unsignedKey($1.keys[p]) }
            } else if column.allSatisfy({ if case .string = $0 { return true }; return false }) {
                stableSort(&entries) { stringKey($0.keys[p]).lexicographicallyPrecedes(stringKey($1.keys[p])) }
            }
        }
    }

    private static func unsignedKey(_ v: PrintableValue) -> UInt64 {
        switch v {
        case .signed(let s): return UInt64(bitPattern: s)
        case .unsigned(let u): return u
        case .string, .tuple, .structured: return 0
        }
    }

    private static func stringKey(_ v: PrintableValue) -> String.UTF8View {
        if case .string(let s) = v { return s.utf8 }
        return "".utf8
    }

    /// `std::stable_sort`: equal elements keep their relative order.
    private static func stableSort(_ entries: inout [MapEntry], by less: (MapEntry, MapEntry) -> Bool) {
        entries = entries.enumerated()
            .sorted { a, b in less(a.element, b.element) || (!less(b.element, a.element) && a.offset < b.offset) }
            .map(\.element)
    }
}

/// An integer of either signedness, ordered by value.
private struct ComparableInteger: Comparable {
    let negative: Bool
    /// The bit pattern; for negatives, two's complement keeps their order among themselves.
    let bits: UInt64
    init(_ negative: Bool, _ bits: UInt64) { self.negative = negative; self.bits = bits }
    static func < (a: Self, b: Self) -> Bool {
        a.negative != b.negative ? a.negative : a.bits < b.bits
    }
}

/// The order of map keys as raw key bytes (`memcmp`), which is how bpftrace's `std::map` of
/// hist, lhist, avg and stats entries iterates.
enum KeyBytes {
    static func less(_ a: [PrintableValue], _ b: [PrintableValue]) -> Bool {
        compare(a, b) < 0
    }

    /// Part by part: integers are 8 little-endian bytes, so they compare by their byte-swapped
    /// value; strings by their bytes, a prefix before the longer string (NUL padding).
    static func compare(_ a: [PrintableValue], _ b: [PrintableValue]) -> Int {
        for (x, y) in zip(a, b) {
            let c = compare(x, y)
            if c != 0 { return c }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    static func compare(_ x: PrintableValue, _ y: PrintableValue) -> Int {
        switch (x, y) {
        case (.signed, .signed), (.signed, .unsigned), (.unsigned, .signed), (.unsigned, .unsigned):
            let p = littleEndianOrder(x), q = littleEndianOrder(y)
            return p == q ? 0 : (p < q ? -1 : 1)
        case (.string(let s), .string(let t)):
            if s.utf8.elementsEqual(t.utf8) { return 0 }
            return s.utf8.lexicographicallyPrecedes(t.utf8) ? -1 : 1
        case (.tuple(let s), .tuple(let t)):
            return compare(s, t)
        default:
            // Different shapes never share a map; order by shape so the order stays total.
            return rank(x) < rank(y) ? -1 : (rank(x) == rank(y) ? 0 : 1)
        }
    }

    private static func littleEndianOrder(_ v: PrintableValue) -> UInt64 {
        switch v {
        case .signed(let s): return UInt64(bitPattern: s).byteSwapped
        case .unsigned(let u): return u.byteSwapped
        case .string, .tuple, .structured: return 0
        }
    }

    private static func rank(_ v: PrintableValue) -> Int {
        switch v {
        case .signed, .unsigned: return 0
        case .string: return 1
        case .tuple: return 2
        case .structured: return 3
        }
    }
}
