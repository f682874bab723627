import ScriptParser

/// A few kernel types for front-end tests, shaped like this machine's BTF (kernel 6.18, x86-64)
/// but cut down: a `task_struct` with the members the seed scripts read plus one of each kind
/// the checker handles (bitfield, anonymous union, array, embedded struct, enum).
extension FixtureCatalog {
    func recordType(named name: String) -> RecordType? {
        Self.records[name]
    }

    func recordTypeNames() -> [String] {
        Self.records.keys.filter { $0.hasPrefix("struct ") || $0.hasPrefix("union ") }.sorted()
    }

    func enumeratorValue(named name: String) -> Int64? {
        ["TASK_COMM_LEN": 16, "TASK_RUNNING": 0, "TASK_INTERRUPTIBLE": 1][name]
    }

    static let listHead = RecordType(kind: .structure, name: "list_head", size: 16, alignment: 8, members: [
        RecordMember(name: "next", bitOffset: 0, type: .pointer(.record(name: "struct list_head"))),
        RecordMember(name: "prev", bitOffset: 64, type: .pointer(.record(name: "struct list_head"))),
    ], isRelocatable: true)

    static let atomic = RecordType(kind: .structure, name: "", typedefName: "atomic_t", size: 4, alignment: 4, members: [
        RecordMember(name: "counter", bitOffset: 0, type: .integer(bytes: 4, signed: true, isChar: false)),
    ], isRelocatable: true)

    static let sched = RecordType(kind: .structure, name: "sched_entity", size: 24, alignment: 8, members: [
        RecordMember(name: "load", bitOffset: 0, type: .integer(bytes: 8, signed: false, isChar: false)),
        RecordMember(name: "vruntime", bitOffset: 64, type: .integer(bytes: 8, signed: false, isChar: false)),
        RecordMember(name: "usage", bitOffset: 128, type: .record(atomic)),
    ], isRelocatable: true)

    static let anonymousUnion = RecordType(kind: .union, name: "", size: 8, alignment: 8, members: [
        RecordMember(name: "rcu_users", bitOffset: 0, type: .integer(bytes: 4, signed: true, isChar: false)),
        RecordMember(name: "rcu", bitOffset: 0, type: .pointer(.integer(bits: 8, signed: false))),
    ], isRelocatable: true)

    static let taskStruct = RecordType(kind: .structure, name: "task_struct", size: 256, alignment: 8, members: [
        RecordMember(name: "__state", bitOffset: 0, type: .integer(bytes: 4, signed: false, isChar: false)),
        RecordMember(name: "flags", bitOffset: 32, type: .integer(bytes: 4, signed: false, isChar: false)),
        RecordMember(name: "se", bitOffset: 64, type: .record(sched)),
        RecordMember(name: "sched_reset_on_fork", bitOffset: 256, bitfieldSize: 1, type: .integer(bytes: 4, signed: false, isChar: false)),
        RecordMember(name: "sched_contributes_to_load", bitOffset: 257, bitfieldSize: 1, type: .integer(bytes: 4, signed: false, isChar: false)),
        RecordMember(name: "exit_code", bitOffset: 288, type: .integer(bytes: 4, signed: true, isChar: false)),
        RecordMember(name: "pid", bitOffset: 320, type: .integer(bytes: 4, signed: true, isChar: false)),
        RecordMember(name: "tgid", bitOffset: 352, type: .integer(bytes: 4, signed: true, isChar: false)),
        RecordMember(name: "real_parent", bitOffset: 384, type: .pointer(.record(name: "struct task_struct"))),
        RecordMember(name: "children", bitOffset: 448, type: .record(listHead)),
        RecordMember(name: "start_time", bitOffset: 576, type: .integer(bytes: 8, signed: false, isChar: false)),
        RecordMember(name: "comm", bitOffset: 640, type: .array(of: .integer(bytes: 1, signed: true, isChar: true), count: 16)),
        RecordMember(name: "", bitOffset: 768, type: .record(anonymousUnion)),
        RecordMember(name: "cpus", bitOffset: 832, type: .array(of: .integer(bytes: 8, signed: false, isChar: false), count: 4)),
        RecordMember(name: "policy", bitOffset: 1088, type: .enumeration(bytes: 4, signed: false)),
        RecordMember(name: "mm", bitOffset: 1152, type: .pointer(.record(name: "struct mm_struct"))),
    ], isRelocatable: true)

    static let records: [String: RecordType] = [
        "struct task_struct": taskStruct,
        "struct list_head": listHead,
        "struct sched_entity": sched,
        "atomic_t": atomic,
    ]
}
