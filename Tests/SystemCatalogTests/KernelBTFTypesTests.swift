import CBPF
import XCTest
import TestSupport
import ScriptParser
@testable import SystemCatalog

/// BTF → `RecordType` on real kernel types of the running kernel: layouts must agree with what
/// libbpf itself says about the same BTF (sizes, member offsets), and kinds must map the way
/// the checker expects (char arrays, pointers to structs, embedded structs, anonymous unions,
/// bitfields, typedefs of anonymous structs).
final class KernelBTFTypesTests: XCTestCase {
    private func vmlinux() throws -> KernelBTF {
        switch KernelBTF.loadVmlinux() {
        case .success(let btf): return btf
        case .failure(let e): throw XCTSkip("no vmlinux BTF: \(e.message)")
        }
    }

    private func member(_ record: RecordType, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> RecordMember {
        let steps = try XCTUnwrap(record.path(to: name), "\(record.displayName) has no \(name)", file: file, line: line)
        return try XCTUnwrap(steps.last?.recordMember, file: file, line: line)
    }

    func testTaskStruct() throws {
        let btf = try vmlinux()
        let task = try XCTUnwrap(btf.recordType(named: "struct task_struct"))
        let id = try XCTUnwrap(btf.id(named: "task_struct", kind: BTF_KIND_STRUCT))
        XCTAssertEqual(task.kind, .structure)
        XCTAssertEqual(task.name, "task_struct")
        XCTAssertEqual(task.size, Int(btf__resolve_size(btf.btf, id)))
        XCTAssertTrue(task.isRelocatable)
        XCTAssertEqual(task.members.count, Int(btf_vlen(btf.type(id))), "every member is described")

        XCTAssertEqual(try member(task, "pid").type, .integer(bytes: 4, signed: true, isChar: false))
        // Kernels since 6.2 build with -funsigned-char, and BTF says so.
        guard case .array(.integer(1, _, true), 16) = try member(task, "comm").type else { return XCTFail("comm is char[16]") }
        XCTAssertEqual(try member(task, "comm").type.scriptType(user: false, stringLength: 64), .string(capacity: 16))
        XCTAssertEqual(try member(task, "real_parent").type, .pointer(.record(name: "struct task_struct")))
        XCTAssertEqual(try member(task, "start_time").type, .integer(bytes: 8, signed: false, isChar: false))

        guard case .record(let se) = try member(task, "se").type else { return XCTFail("se is embedded") }
        XCTAssertEqual(se.name, "sched_entity")
        XCTAssertEqual(try member(se, "vruntime").type, .integer(bytes: 8, signed: false, isChar: false))

        let bit = try member(task, "sched_reset_on_fork")
        XCTAssertEqual(bit.bitfieldSize, 1)
        XCTAssertEqual(bit.type, .integer(bytes: 4, signed: false, isChar: false))
        let next = try member(task, "sched_contributes_to_load")
        XCTAssertEqual(next.bitOffset, bit.bitOffset + 1, "bitfields keep their bit offsets")
    }

    /// Member offsets agree with libbpf's own reading of the same BTF.
    func testOffsetsMatchLibbpf() throws {
        let btf = try vmlinux()
        for name in ["task_struct", "sk_buff", "file", "mm_struct"] {
            let id = try XCTUnwrap(btf.id(named: name, kind: BTF_KIND_STRUCT), name)
            let t = try XCTUnwrap(btf.type(id))
            let record = try XCTUnwrap(btf.recordType(named: "struct " + name))
            for (i, m) in record.members.enumerated() {
                XCTAssertEqual(m.bitOffset, Int(btf_member_bit_offset(t, UInt32(i))), "\(name).\(m.name)")
            }
        }
    }

    func testListHeadAndTypedefs() throws {
        let btf = try vmlinux()
        let list = try XCTUnwrap(btf.recordType(named: "struct list_head"))
        XCTAssertEqual(list.size, 16)
        XCTAssertEqual(list.members.map(\.name), ["next", "prev"])
        XCTAssertEqual(list.members.map(\.bitOffset), [0, 64])
        XCTAssertEqual(list.members.map(\.type), [.pointer(.record(name: "struct list_head")), .pointer(.record(name: "struct list_head"))])

        // atomic_t is a typedef of an anonymous struct: known by the typedef's name.
        let atomic = try XCTUnwrap(btf.recordType(named: "atomic_t"))
        XCTAssertEqual(atomic.name, "")
        XCTAssertEqual(atomic.typedefName, "atomic_t")
        XCTAssertEqual(atomic.displayName, "atomic_t")
        XCTAssertEqual(atomic.members.map(\.name), ["counter"])
    }

    func testUnions() throws {
        let btf = try vmlinux()
        let attr = try XCTUnwrap(btf.recordType(named: "union bpf_attr"))
        XCTAssertEqual(attr.kind, .union)
        XCTAssertTrue(attr.members.allSatisfy { $0.bitOffset == 0 }, "union members all start at 0")
        XCTAssertTrue(attr.memberNames.contains("map_type"), "found through the anonymous structs inside")

        // inode's `i_nlink` sits in an anonymous union.
        let inode = try XCTUnwrap(btf.recordType(named: "struct inode"))
        let steps = try XCTUnwrap(inode.path(to: "i_nlink"))
        XCTAssertEqual(steps.count, 2)
        XCTAssertEqual(steps.first?.recordMember?.name, "")
        XCTAssertEqual(steps.last?.record.kind, .union)
    }

    func testNestedAnonymousMembers() throws {
        let btf = try vmlinux()
        let skb = try XCTUnwrap(btf.recordType(named: "struct sk_buff"))
        // `dev` is in a union inside a struct inside a union of sk_buff.
        let steps = try XCTUnwrap(skb.path(to: "dev"))
        XCTAssertGreaterThanOrEqual(steps.count, 3)
        XCTAssertEqual(steps.last?.recordMember?.type, .pointer(.record(name: "struct net_device")))
    }

    func testEnumeratorsAndNames() throws {
        let btf = try vmlinux()
        XCTAssertEqual(btf.enumeratorValue(named: "TASK_COMM_LEN"), 16)
        XCTAssertEqual(btf.enumeratorValue(named: "BPF_MAP_TYPE_RINGBUF"), 27)
        XCTAssertNil(btf.enumeratorValue(named: "NOT_AN_ENUMERATOR_ANYWHERE"))
        XCTAssertNil(btf.recordType(named: "struct no_such_struct_here"))
        let names = btf.recordNames()
        XCTAssertTrue(names.contains("struct task_struct"))
        XCTAssertTrue(names.contains("union bpf_attr"))
    }

    /// The catalog answers through a cache: the second question is not a second BTF walk.
    func testCatalogCachesLayouts() throws {
        _ = try vmlinux()
        let catalog = TracefsCatalog()
        let first = try XCTUnwrap(catalog.recordType(named: "struct task_struct"))
        let clock = ContinuousClock()
        let again = clock.measure { for _ in 0..<1000 { _ = catalog.recordType(named: "struct task_struct") } }
        XCTAssertEqual(catalog.recordType(named: "struct task_struct"), first)
        XCTAssertLessThan(again, .milliseconds(200), "1000 cached lookups")
    }
}
