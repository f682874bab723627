/// The limit on attach points (BPFTRACE_MAX_PROBES, 512 by default as in bpftrace): a wildcard
/// that matches thousands of functions is refused before anything is generated or loaded.
enum ProbeLimit {
    /// An error at the probe whose attach points pass the limit, or nil within it.
    static func check(_ program: TypedProgram) -> Diagnostic? {
        let limit = program.settings.maxProbes
        var total = 0
        for probe in program.probes {
            total += probe.attachPoints.count
            guard total > limit else { continue }
            let all = program.probes.reduce(0) { $0 + $1.attachPoints.count }
            let here = probe.attachPoints.count > 1 ? " (\(probe.attachPoints.count) of them here)" : ""
            // The attach points, not the whole body: up to the predicate's `/`, the `{` or the
            // end of the line.
            let bytes = program.source.bytes
            let stop = min(probe.range.end, bytes.count, probe.predicate.map { $0.range.start - 1 } ?? Int.max)
            var end = probe.range.start
            while end < stop, bytes[end] != UInt8(ascii: "{"), bytes[end] != UInt8(ascii: "\n") { end += 1 }
            while end > probe.range.start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
            return .error(SourceRange(probe.range.start, end),
                "the program attaches \(all) probes\(here), more than the limit of \(limit); narrow the wildcard, or raise the limit with BPFTRACE_MAX_PROBES")
        }
        return nil
    }
}
