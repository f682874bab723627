import ScriptParser

/// The kernel functions kprobes can attach to, as bpftrace finds them: tracefs
/// `available_filter_functions` (`name` or `name [module]` per line), or, when that file is
/// unreadable (it is on kernels locked down against ftrace), the text symbols of
/// `/proc/kallsyms` (`address t name [module]`).
enum KernelFunctions {
    /// Where the list came from, and the functions (sorted, without duplicates).
    struct Listing {
        var source: String
        var functions: [KernelFunction]
    }

    /// The list, or the error for the last file tried.
    static func load(tracefs: String) -> Result<Listing, FileReadError> {
        let filterPath = tracefs + "/available_filter_functions"
        switch readFileContents(filterPath) {
        case .success(let bytes):
            return .success(Listing(source: filterPath, functions: parseAvailableFilterFunctions(bytes)))
        case .failure:
            return readFileContents("/proc/kallsyms").map { Listing(source: "/proc/kallsyms", functions: parseKallsyms($0)) }
        }
    }

    /// `vfs_read`, `ext4_file_open [ext4]`, and on newer kernels `vfs_read (addr)` forms.
    static func parseAvailableFilterFunctions(_ bytes: [UInt8]) -> [KernelFunction] {
        var seen = Set<KernelFunction>()
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let words = line.split(separator: UInt8(ascii: " "))
            guard let first = words.first else { continue }
            let name = String(decoding: first, as: UTF8.self)
            var module: String?
            if words.count > 1, let m = words.last, m.first == UInt8(ascii: "["), m.last == UInt8(ascii: "]") {
                module = String(decoding: m.dropFirst().dropLast(), as: UTF8.self)
            }
            seen.insert(KernelFunction(module: module, name: name))
        }
        return seen.sorted()
    }

    /// Text symbols (`t`/`T`) of kallsyms. `__pfx_`/`__cfi_` entries are the padding and
    /// CFI stubs in front of functions, not functions.
    static func parseKallsyms(_ bytes: [UInt8]) -> [KernelFunction] {
        var seen = Set<KernelFunction>()
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let words = line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            guard words.count >= 3, words[1].count == 1,
                  words[1].first == UInt8(ascii: "t") || words[1].first == UInt8(ascii: "T") else { continue }
            let name = String(decoding: words[2], as: UTF8.self)
            if name.hasPrefix("__pfx_") || name.hasPrefix("__cfi_") { continue }
            var module: String?
            if words.count > 3, let m = words.last, m.first == UInt8(ascii: "["), m.last == UInt8(ascii: "]") {
                module = String(decoding: m.dropFirst().dropLast(), as: UTF8.self)
            }
            seen.insert(KernelFunction(module: module, name: name))
        }
        return seen.sorted()
    }
}
