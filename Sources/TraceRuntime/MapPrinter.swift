/// Maps as bpftrace 0.17 prints them, at exit and for `print(@m, top, div)`, in text and JSON.
///
/// Sorting follows bpftrace (see `sortedEntries`); `top` keeps the last `top` entries of that
/// order; `div` divides count/sum/min/max/plain integers, avg results and hist counts, and
/// leaves stats and lhist alone, as bpftrace does.
public enum MapPrinter {
    /// Text form: `@name[k1, k2]: value` lines; histograms with their rows; an empty map is a
    /// blank line (two for avg and stats, which end with an extra newline).
    public static func text(_ m: MapSnapshot, top: Int? = nil, divisor: UInt64? = nil) -> String {
        let div = effectiveDivisor(divisor)
        let entries = kept(sortedEntries(m), kind: m.kind, top: top)
        let elements = entries.map { entry -> String in
            let key = m.name + (entry.keys.isEmpty ? "" : "[" + entry.keys.map(ValueText.text).joined(separator: ", ") + "]")
            switch m.kind {
            case .hist, .lhist:
                return key + ": \n" + histogramText(entry.value, kind: m.kind, divisor: div)
            case .count, .sum, .min, .max, .avg, .stats, .plain:
                return key + ": " + scalarText(entry.value, divisor: div)
            }
        }
        switch m.kind {
        case .avg, .stats: return elements.joined(separator: "\n") + "\n\n"
        case .count, .sum, .min, .max, .hist, .lhist, .plain: return elements.joined(separator: "\n") + "\n"
        }
    }

    /// JSON form, one line: `{"type": "map"|"hist"|"stats", "data": {"@name": ...}}`. An empty
    /// map prints nothing at all.
    public static func json(_ m: MapSnapshot, top: Int? = nil, divisor: UInt64? = nil) -> String {
        guard !m.entries.isEmpty else { return "" }
        let div = effectiveDivisor(divisor)
        let entries = kept(sortedEntries(m), kind: m.kind, top: top)
        let keyed = entries.contains { !$0.keys.isEmpty }
        let elements = entries.map { entry -> String in
            let value: String
            switch m.kind {
            case .hist, .lhist: value = histogramJSON(entry.value, kind: m.kind, divisor: div)
            case .count, .sum, .min, .max, .avg, .stats, .plain: value = scalarJSON(entry.value, divisor: div)
            }
            guard keyed else { return value }
            // Key parts joined with a bare comma, escaped as one string: "1,abc".
            let key = entry.keys.map(ValueText.text).joined(separator: ",")
            return "\"" + JSONText.escaped(key.utf8) + "\": " + value
        }
        let type: String
        switch m.kind {
        case .hist, .lhist: type = "hist"
        case .avg, .stats: type = "stats"
        case .count, .sum, .min, .max, .plain: type = "map"
        }
        let body = elements.joined(separator: ", ")
        return "{\"type\": \"\(type)\", \"data\": {\"\(JSONText.escaped(m.name.utf8))\": "
            + (keyed ? "{" + body + "}" : body) + "}}\n"
    }

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
        var entries = m.entries
        switch m.kind {
        case .hist, .lhist:
            entries.sort { KeyBytes.less($0.keys, $1.keys) }
            LibstdcxxSort.sort(&entries) { histogramTotal($0.value) < histogramTotal($1.value) }
        case .avg, .stats:
            entries.sort { KeyBytes.less($0.keys, $1.keys) }
            LibstdcxxSort.sort(&entries) { average($0.value) < average($1.value) }
        case .count, .sum, .min, .max, .plain:
            if entries.allSatisfy({ integerValue($0.value) != nil }) {
                LibstdcxxSort.sort(&entries) { a, b in
                    guard let x = integerValue(a.value), let y = integerValue(b.value) else { return false }
                    return x < y
                }
            } else {
                sortByKey(&entries)
            }
        }
        return entries
    }

    // MARK: - Values

    private static func scalarText(_ v: MapEntryValue, divisor: UInt64) -> String {
        switch v {
        case .scalar(let x):
            return ValueText.text(ValueText.divided(x, by: divisor))
        case .average:
            return String(ValueText.dividedSigned(average(v), by: divisor))
        case .stats(let count, let total):
            let n = Int64(truncatingIfNeeded: count)
            return "count \(n), average \(average(v)), total \(total)"
        case .histogram(let buckets):
            // Not a shape the reader produces for these kinds; show the counts rather than trap.
            return "[" + buckets.map(String.init).joined(separator: ", ") + "]"
        }
    }

    private static func scalarJSON(_ v: MapEntryValue, divisor: UInt64) -> String {
        switch v {
        case .scalar(let x):
            return ValueText.json(ValueText.divided(x, by: divisor))
        case .average:
            return String(ValueText.dividedSigned(average(v), by: divisor))
        case .stats(let count, let total):
            let n = Int64(truncatingIfNeeded: count)
            return "{\"count\": \(n), \"average\": \(average(v)), \"total\": \(total)}"
        case .histogram(let buckets):
            return "[" + buckets.map(String.init).joined(separator: ",") + "]"
        }
    }

    private static func histogramText(_ v: MapEntryValue, kind: MapKind, divisor: UInt64) -> String {
        guard case .histogram(let buckets) = v else { return scalarText(v, divisor: divisor) + "\n" }
        switch kind {
        case .lhist(let lo, let hi, let step):
            return HistogramPrinter.linearText(buckets, min: lo, max: hi, step: step)
        default:
            return HistogramPrinter.powerOfTwoText(buckets, divisor: divisor)
        }
    }

    private static func histogramJSON(_ v: MapEntryValue, kind: MapKind, divisor: UInt64) -> String {
        guard case .histogram(let buckets) = v else { return scalarJSON(v, divisor: divisor) }
        switch kind {
        case .lhist(let lo, let hi, let step):
            return HistogramPrinter.linearJSON(buckets, min: lo, max: hi, step: step)
        default:
            return HistogramPrinter.powerOfTwoJSON(buckets, divisor: divisor)
        }
    }

    /// bpftrace treats a divisor of 0 as 1.
    private static func effectiveDivisor(_ divisor: UInt64?) -> UInt64 {
        guard let d = divisor, d > 0 else { return 1 }
        return d
    }

    /// `top`: bpftrace skips the first `count - top` entries of the sorted order. stats maps
    /// ignore it (bpftrace only applies it to avg among the two).
    private static func kept(_ entries: [MapEntry], kind: MapKind, top: Int?) -> [MapEntry] {
        if case .stats = kind { return entries }
        guard let top, top > 0, entries.count > top else { return entries }
        return Array(entries.suffix(top))
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

/// `std::sort` exactly as libstdc++ (GCC 12, which Debian's bpftrace 0.17 is built with)
/// implements it: introsort with a median-of-three pivot, heapsort past the depth limit, and a
/// final insertion sort over runs of 16. It is not stable, and bpftrace's output for tied
/// values depends on where this algorithm moves them, so swtrace runs the same steps.
/// The "unguarded" loops carry bounds checks that a strict weak ordering never trips.
enum LibstdcxxSort {
    private static let threshold = 16

    static func sort<T>(_ a: inout [T], by less: (T, T) -> Bool) {
        guard a.count > 1 else { return }
        introsortLoop(&a, 0, a.count, depthLimit: 2 * floorLog2(a.count), less)
        finalInsertionSort(&a, 0, a.count, less)
    }

    private static func floorLog2(_ n: Int) -> Int { Int.bitWidth - 1 - n.leadingZeroBitCount }

    private static func introsortLoop<T>(_ a: inout [T], _ first: Int, _ last: Int, depthLimit: Int,
                                         _ less: (T, T) -> Bool) {
        var last = last
        var depth = depthLimit
        while last - first > threshold {
            if depth == 0 {
                heapSort(&a, first, last, less)
                return
            }
            depth -= 1
            let cut = unguardedPartitionPivot(&a, first, last, less)
            introsortLoop(&a, cut, last, depthLimit: depth, less)
            last = cut
        }
    }

    private static func unguardedPartitionPivot<T>(_ a: inout [T], _ first: Int, _ last: Int,
                                                   _ less: (T, T) -> Bool) -> Int {
        let mid = first + (last - first) / 2
        moveMedianToFirst(&a, first, first + 1, mid, last - 1, less)
        return unguardedPartition(&a, first + 1, last, pivot: first, less)
    }

    private static func moveMedianToFirst<T>(_ a: inout [T], _ result: Int, _ x: Int, _ y: Int, _ z: Int,
                                             _ less: (T, T) -> Bool) {
        if less(a[x], a[y]) {
            if less(a[y], a[z]) { a.swapAt(result, y) }
            else if less(a[x], a[z]) { a.swapAt(result, z) }
            else { a.swapAt(result, x) }
        } else if less(a[x], a[z]) { a.swapAt(result, x) }
        else if less(a[y], a[z]) { a.swapAt(result, z) }
        else { a.swapAt(result, y) }
    }

    private static func unguardedPartition<T>(_ a: inout [T], _ first: Int, _ last: Int, pivot: Int,
                                              _ less: (T, T) -> Bool) -> Int {
        var first = first
        var last = last
        let end = last
        while true {
            while first < end - 1 && less(a[first], a[pivot]) { first += 1 }
            last -= 1
            while last > pivot && less(a[pivot], a[last]) { last -= 1 }
            if !(first < last) { return first }
            a.swapAt(first, last)
            first += 1
        }
    }

    private static func finalInsertionSort<T>(_ a: inout [T], _ first: Int, _ last: Int, _ less: (T, T) -> Bool) {
        if last - first > threshold {
            insertionSort(&a, first, first + threshold, less)
            for i in (first + threshold)..<last { unguardedLinearInsert(&a, i, floor: first, less) }
        } else {
            insertionSort(&a, first, last, less)
        }
    }

    private static func insertionSort<T>(_ a: inout [T], _ first: Int, _ last: Int, _ less: (T, T) -> Bool) {
        guard last - first > 1 else { return }
        for i in (first + 1)..<last {
            if less(a[i], a[first]) {
                let value = a[i]
                var j = i
                while j > first { a[j] = a[j - 1]; j -= 1 }
                a[first] = value
            } else {
                unguardedLinearInsert(&a, i, floor: first, less)
            }
        }
    }

    private static func unguardedLinearInsert<T>(_ a: inout [T], _ last: Int, floor: Int, _ less: (T, T) -> Bool) {
        let value = a[last]
        var hole = last
        var next = last - 1
        while next >= floor && less(value, a[next]) {
            a[hole] = a[next]
            hole = next
            next -= 1
        }
        a[hole] = value
    }

    /// `std::__partial_sort(first, last, last)`: make a heap, then pop it into place.
    private static func heapSort<T>(_ a: inout [T], _ first: Int, _ last: Int, _ less: (T, T) -> Bool) {
        let len = last - first
        guard len > 1 else { return }
        var parent = (len - 2) / 2
        while true {
            let value = a[first + parent]
            adjustHeap(&a, first, parent, len, value, less)
            if parent == 0 { break }
            parent -= 1
        }
        var end = last
        while end - first > 1 {
            end -= 1
            let value = a[end]
            a[end] = a[first]
            adjustHeap(&a, first, 0, end - first, value, less)
        }
    }

    private static func adjustHeap<T>(_ a: inout [T], _ first: Int, _ holeIndex: Int, _ len: Int, _ value: T,
                                      _ less: (T, T) -> Bool) {
        let top = holeIndex
        var hole = holeIndex
        var second = holeIndex
        while second < (len - 1) / 2 {
            second = 2 * (second + 1)
            if less(a[first + second], a[first + second - 1]) { second -= 1 }
            a[first + hole] = a[first + second]
            hole = second
        }
        if len & 1 == 0 && second == (len - 2) / 2 {
            second = 2 * (second + 1)
            a[first + hole] = a[first + second - 1]
            hole = second - 1
        }
        var parent = (hole - 1) / 2
        while hole > top && less(a[first + parent], value) {
            a[first + hole] = a[first + parent]
            hole = parent
            parent = (hole - 1) / 2
        }
        a[first + hole] = value
    }
}
