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
