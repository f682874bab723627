import ScriptParser

/// The catalog's answers about kernel types, from vmlinux BTF: loaded on the first question
/// (a script that never follows a kernel pointer never pays for it), each answer kept.
extension TracefsCatalog {
    public func recordType(named name: String) -> RecordType? {
        guard let btf = try? kernelBTF().get() else { return nil }
        return KernelTypeCache.of(btf).recordType(named: name)
    }

    public func recordTypeNames() -> [String] {
        guard let btf = try? kernelBTF().get() else { return [] }
        return KernelTypeCache.of(btf).recordNames()
    }

    public func enumeratorValue(named name: String) -> Int64? {
        guard let btf = try? kernelBTF().get() else { return nil }
        return KernelTypeCache.of(btf).enumeratorValue(named: name)
    }
}

/// Layouts and enum constants already read from one `KernelBTF`. A wildcard probe's body is
/// checked once per tracepoint, so the same `task_struct` is asked for hundreds of times; its
/// layout (hundreds of members, embedded structs included) is built once.
///
/// One cache, for the BTF last asked about: a process loads vmlinux BTF once, through its one
/// catalog. (The catalog has no slot for it; a cache for another BTF replaces this one.)
/// Not thread-safe, like the catalog.
final class KernelTypeCache {
    private weak var btf: KernelBTF?
    private var records: [String: RecordType?] = [:]
    private var enumerators: [String: Int64?] = [:]
    private var names: [String]?

    nonisolated(unsafe) private static var current: KernelTypeCache?

    /// The cache for `btf`, made on first use.
    static func of(_ btf: KernelBTF) -> KernelTypeCache {
        if let current, current.btf === btf { return current }
        let cache = KernelTypeCache(btf: btf)
        current = cache
        return cache
    }

    private init(btf: KernelBTF) { self.btf = btf }

    func recordType(named name: String) -> RecordType? {
        if let cached = records[name] { return cached }
        let record = btf?.recordType(named: name)
        records[name] = .some(record)
        return record
    }

    func recordNames() -> [String] {
        if let names { return names }
        let list = btf?.recordNames() ?? []
        names = list
        return list
    }

    func enumeratorValue(named name: String) -> Int64? {
        if let cached = enumerators[name] { return cached }
        let value = btf?.enumeratorValue(named: name)
        enumerators[name] = .some(value)
        return value
    }
}
