import Glibc
import ScriptParser

/// bpftrace's BPFTRACE_* environment variables, checked: a value that is not what the variable
/// takes is an error naming the variable, not silently the default.
enum EnvironmentSettings {
    struct Invalid: Error {
        let message: String
    }

    /// Numeric variables and their accepted range. Those swtrace reads change `Settings`; the
    /// others bpftrace reads are still checked, so a typo is noticed the same way.
    static let numeric: [(names: [String], range: ClosedRange<Int>)] = [
        (["BPFTRACE_STRLEN", "BPFTRACE_MAX_STRLEN"], 1...Settings.maxStringLength),
        (["BPFTRACE_MAP_KEYS_MAX", "BPFTRACE_MAX_MAP_KEYS"], 1...Int(Int32.max)),
        // 1 GiB of ring buffer at most: the kernel would refuse more, after a long wait.
        (["BPFTRACE_PERF_RB_PAGES"], 1...(1 << 18)),
        (["BPFTRACE_MAX_PROBES"], 1...1_000_000),
        (["BPFTRACE_MAX_BPF_PROGS"], 1...1_000_000),
        (["BPFTRACE_CAT_BYTES_MAX"], 1...(1 << 30)),
        (["BPFTRACE_LOG_SIZE"], 1...(1 << 30)),
    ]
    static let booleans = ["BPFTRACE_NO_CPP_DEMANGLE", "BPFTRACE_NO_USER_SYMBOLS", plainLoops]
    /// swtrace's own: 1 lowers every `while` as a plain loop and leaves loops (and whole-value
    /// comparisons) to the kernel's verifier alone, as bpftrace 0.17 does: no loop goes through
    /// `bpf_loop`, and the checker refuses none of them first. For comparing with bpftrace, and
    /// for tests of how a verifier rejection is reported.
    static let plainLoops = "SWTRACE_PLAIN_LOOPS"

    static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Settings from the environment, or the first variable that holds garbage.
    static func read(into settings: inout Settings) -> Result<Void, Invalid> {
        var values: [String: Int] = [:]
        for (names, range) in numeric {
            for name in names {
                guard let raw = value(name) else { continue }
                guard let v = Int(raw.trimmingCharacters(in: " \t")), range.contains(v) else {
                    return .failure(Invalid(message: "\(name)=\(quoted(raw)): expected a whole number from \(range.lowerBound) to \(range.upperBound)"))
                }
                values[names[0]] = values[names[0]] ?? v
            }
        }
        for name in booleans {
            guard let raw = value(name) else { continue }
            guard ["0", "1", ""].contains(raw) else {
                return .failure(Invalid(message: "\(name)=\(quoted(raw)): expected 0 or 1"))
            }
        }
        if let v = values["BPFTRACE_STRLEN"] { settings.stringLength = v }
        if let v = values["BPFTRACE_MAP_KEYS_MAX"] { settings.maxMapKeys = v }
        if let v = values["BPFTRACE_PERF_RB_PAGES"] { settings.ringBufferSize = Settings.ringBufferBytes(pages: v) }
        if let v = values["BPFTRACE_MAX_PROBES"] { settings.maxProbes = v }
        if let v = values["BPFTRACE_CAT_BYTES_MAX"] { settings.catBytesMax = v }
        return .success(())
    }

    /// The value as typed, cut short and with control characters escaped.
    static func quoted(_ raw: String) -> String {
        let shown = raw.count > 40 ? String(raw.prefix(40)) + "…" : raw
        return "'" + shown.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\x" + String($0.value, radix: 16) : String($0) }.joined() + "'"
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
