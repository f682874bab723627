import CBPF
import XCTest
import SystemCatalog
import TestSupport
import BPFCodegen
import ScriptParser
import TraceRuntime

/// Kernel-type codegen: field reads compile to CO-RE relocations (`btf_ama` access globals in
/// the IR, `.BTF.ext` relocation records in the object), and every construct passes the
/// verifier once libbpf has relocated it against the running kernel.
final class KernelTypesCodegenTests: XCTestCase {
    private func compile(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Artifact {
        try compileScript(text, file: file, line: line)
    }

    static let scripts: [(String, String)] = [
        ("pointer_chain", #"t:sched:sched_process_exit { printf("%d %d %d\n", curtask->real_parent->tgid, (curtask->exit_code >> 8) & 0xff, (nsecs - curtask->start_time) / 1000000); }"#),
        ("comm_string", #"t:sched:sched_process_exec { printf("%s %s\n", curtask->comm, curtask->comm); @[curtask->comm] = count(); $c = curtask->comm; if ($c == "sh") { exit(); } }"#),
        ("embedded_and_anonymous", #"BEGIN { printf("%d %d %s\n", curtask->se.vruntime, curtask->mm->exe_file->f_inode->i_nlink, str(curtask->mm->exe_file->f_path.dentry->d_name.name)); exit(); }"#),
        ("bitfield", #"BEGIN { printf("%d %d\n", curtask->sched_reset_on_fork, curtask->sched_contributes_to_load); exit(); }"#),
        ("array_member", #"BEGIN { printf("%d %d\n", curtask->cpus_mask.bits[0], curtask->mm->mm_mt.ma_flags); exit(); }"#),
        ("tracepoint_cast", #"t:net:net_dev_queue { printf("%d %d %s\n", args->len, ((struct sk_buff *)args->skbaddr)->len, ((struct sk_buff *)args->skbaddr)->dev->name); }"#),
        ("pointers", #"BEGIN { $p = curtask; $q = $p + 1; printf("%d %d %d %d\n", (uint64)$q - (uint64)$p, (*curtask).pid, *&curtask->tgid, curtask[0].pid); $i = (int32 *)&curtask->pid; printf("%d %d\n", *$i, $i[1]); $pp = (struct task_struct **)&curtask->real_parent; printf("%d %d\n", (*$pp)->pid, $pp[0]->tgid); exit(); }"#),
        ("queries", #"BEGIN { printf("%d %d %d %d\n", sizeof(struct task_struct), sizeof(*curtask), offsetof(struct task_struct, se.vruntime), TASK_COMM_LEN); exit(); }"#),
        ("user_struct", #"t:syscalls:sys_enter_connect { $sa = (struct sockaddr *)args->uservaddr; printf("%d\n", $sa->sa_family); }"#),
        ("preamble", "struct mine { int a; unsigned int b : 3; struct list_head l; };\nBEGIN { $m = (struct mine *)curtask; printf(\"%d %d %d\\n\", $m->a, $m->b, $m->l.next != 0); exit(); }"),
        // Array members handed whole to functions that take bytes: read where they lie.
        ("array_member_bytes", #"kprobe:eth_type_trans { $e = (struct ethhdr *)arg1; printf("%s %r\n", macaddr($e->h_source), buf(curtask->mm->saved_auxv, 16)); $s = (struct sock *)arg0; printf("%s\n", ntop(10, $s->__sk_common.skc_v6_daddr.in6_u.u6_addr8)); }"#),
    ]

    func testEveryConstructPassesTheVerifier() throws {
        try assertEachLoads(Self.scripts)
    }

    /// Field reads load their offsets from `btf_ama` globals named after the access, tagged
    /// with the root record's debug type: the form LLVM's BPF backend emits relocations for.
    func testFieldReadsLoadRelocatedOffsets() throws {
        let ir = try XCTUnwrap(try compile(Self.scripts[0].1).llvmIR)
        XCTAssertTrue(ir.contains(#"@"llvm.task_struct:0:"#), ir)
        XCTAssertTrue(ir.contains(#""btf_ama""#))
        XCTAssertTrue(ir.contains("!llvm.preserve.access.index"))
        XCTAssertTrue(ir.contains(#"name: "task_struct""#), "the record's debug type is named")
        XCTAssertTrue(ir.contains(#"name: "real_parent""#), "and lists its members")
        XCTAssertTrue(ir.contains("inttoptr (i64 35"), "curtask is bpf_get_current_task")
        XCTAssertTrue(ir.contains("inttoptr (i64 113"), "kernel memory is read with bpf_probe_read_kernel")
        let bitfield = try XCTUnwrap(try compile(Self.scripts[3].1).llvmIR)
        for kind in [0, 1, 4, 5] {
            XCTAssertTrue(bitfield.contains("@\"llvm.task_struct:\(kind):"), "bitfield relocation kind \(kind)")
        }
    }

    /// The object's relocation records name the right types and member paths (as libbpf reads
    /// them back: access strings of member indexes in the object's own BTF).
    func testRelocationRecords() throws {
        let records = try relocations(Self.scripts[0].1)
        let task = try XCTUnwrap(TracefsCatalog().recordType(named: "struct task_struct"))
        func index(_ name: String) -> Int { task.members.firstIndex { $0.name == name } ?? -1 }
        let expected = Set(["real_parent", "tgid", "exit_code", "start_time"].map { "task_struct 0:\(index($0)) 0" })
        XCTAssertEqual(Set(records), expected)
        // An array element and members of embedded and anonymous records: one path each.
        let nested = try relocations(Self.scripts[4].1)
        XCTAssertTrue(nested.contains { $0.hasPrefix("task_struct 0:\(index("cpus_mask")):0:0 ") }, "\(nested)")
        XCTAssertTrue(nested.contains { $0.hasPrefix("mm_struct 0:0:") }, "mm_mt is inside mm_struct's anonymous struct: \(nested)")
    }

    /// `TYPE ACCESS KIND` for each CO-RE relocation in the object of `script`.
    private func relocations(_ script: String) throws -> [String] {
        let object = try compile(script).object
        let sections = try XCTUnwrap(ELFSections(object))
        let btfBytes = try XCTUnwrap(sections.contents(of: ".BTF"))
        let ext = try XCTUnwrap(sections.contents(of: ".BTF.ext"))
        let header = try XCTUnwrap(BTFExtHeader(ext))
        let btf = try XCTUnwrap(btfBytes.withUnsafeBytes { btf__new($0.baseAddress, UInt32($0.count)) })
        defer { btf__free(btf) }
        func string(_ offset: Int) -> String { btf__name_by_offset(btf, UInt32(offset)).map { String(cString: $0) } ?? "?" }
        var result: [String] = []
        var at = header.length + header.coreRelocationOffset
        let end = at + header.coreRelocationBytes
        let recordSize = ELFSections.read(ext, at, 4)
        at += 4
        while at + 8 <= end {
            let count = ELFSections.read(ext, at + 4, 4)
            at += 8
            for _ in 0..<count {
                let type = btf__type_by_id(btf, UInt32(ELFSections.read(ext, at + 4, 4)))
                let name = type.map { string(Int($0.pointee.name_off)) } ?? "?"
                result.append("\(name) \(string(ELFSections.read(ext, at + 8, 4))) \(ELFSections.read(ext, at + 12, 4))")
                at += recordSize
            }
        }
        return result
    }

    /// User memory is read with bpf_probe_read_user; the preamble's own types are not relocated.
    func testAddressSpacesAndLocalTypes() throws {
        let user = try XCTUnwrap(try compile(Self.scripts[8].1).llvmIR)
        XCTAssertTrue(user.contains("inttoptr (i64 112"), "bpf_probe_read_user")
        XCTAssertFalse(user.contains("inttoptr (i64 113"))
        // struct mine is the script's: plain offsets, for the BTF list_head inside it too.
        let local = try XCTUnwrap(try compile(Self.scripts[9].1).llvmIR)
        XCTAssertFalse(local.contains("btf_ama"))
    }

    /// The object carries CO-RE relocation records (`.BTF.ext` with a non-empty core_relo
    /// section): one per distinct access, so an `--emit-elf` object runs on other kernels.
    func testObjectCarriesCORERelocations() throws {
        for (name, text) in Self.scripts.prefix(6) {
            let object = try compile(text).object
            let ext = try XCTUnwrap(ELFSections(object)?.contents(of: ".BTF.ext"), "\(name): no .BTF.ext")
            let header = try XCTUnwrap(BTFExtHeader(ext), "\(name): bad .BTF.ext header")
            XCTAssertGreaterThan(header.coreRelocationBytes, 0, "\(name): no CO-RE relocations")
        }
        let plain = try compile(#"BEGIN { printf("%d\n", pid); exit(); }"#).object
        if let ext = ELFSections(plain)?.contents(of: ".BTF.ext") {
            XCTAssertEqual(BTFExtHeader(ext)?.coreRelocationBytes ?? 0, 0, "nothing to relocate")
        }
    }
}

/// Section contents of a little-endian ELF64 object, by name.
struct ELFSections {
    let bytes: [UInt8]
    let sections: [(name: String, offset: Int, size: Int)]

    init?(_ bytes: [UInt8]) {
        self.bytes = bytes
        guard bytes.count > 64, bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46], bytes[4] == 2, bytes[5] == 1 else { return nil }
        let shoff = Self.read(bytes, 0x28, 8), shentsize = Self.read(bytes, 0x3a, 2)
        let shnum = Self.read(bytes, 0x3c, 2), shstrndx = Self.read(bytes, 0x3e, 2)
        guard shentsize >= 64, shoff + shnum * shentsize <= bytes.count, shstrndx < shnum else { return nil }
        func header(_ i: Int) -> (name: Int, offset: Int, size: Int) {
            let base = shoff + i * shentsize
            return (Self.read(bytes, base, 4), Self.read(bytes, base + 0x18, 8), Self.read(bytes, base + 0x20, 8))
        }
        let strtab = header(shstrndx)
        var list: [(String, Int, Int)] = []
        for i in 0..<shnum {
            let h = header(i)
            let start = strtab.offset + h.name
            guard start < bytes.count else { return nil }
            let end = bytes[start...].firstIndex(of: 0) ?? bytes.count
            list.append((String(decoding: bytes[start..<end], as: UTF8.self), h.offset, h.size))
        }
        sections = list
    }

    func contents(of name: String) -> [UInt8]? {
        guard let s = sections.first(where: { $0.name == name }), s.offset + s.size <= bytes.count else { return nil }
        return Array(bytes[s.offset..<(s.offset + s.size)])
    }

    static func read(_ bytes: [UInt8], _ at: Int, _ count: Int) -> Int {
        guard at + count <= bytes.count else { return 0 }
        return (0..<count).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) }
    }
}

/// `struct btf_ext_header` (libbpf's btf.h): magic 0xeB9F, then section offsets and lengths;
/// the CO-RE relocation fields exist when the header is at least 32 bytes long.
struct BTFExtHeader {
    let length: Int
    let coreRelocationOffset: Int
    let coreRelocationBytes: Int

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 24, ELFSections.read(bytes, 0, 2) == 0xeb9f else { return nil }
        length = ELFSections.read(bytes, 4, 4)
        coreRelocationOffset = length >= 32 ? ELFSections.read(bytes, 24, 4) : 0
        coreRelocationBytes = length >= 32 ? ELFSections.read(bytes, 28, 4) : 0
    }
}

/// Ends a test helper after it has recorded a failure (not a skip: the test failed).
private struct StoppedAfterFailure: Error {}
