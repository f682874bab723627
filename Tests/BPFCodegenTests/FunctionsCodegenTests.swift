import XCTest
import SystemCatalog
import TestSupport
import BPFCodegen
import ScriptParser
@testable import TraceRuntime
import CBPF

/// Codegen of the builtins and functions (IRGen+Functions and friends): every one must pass
/// the kernel's verifier, long strings must go through the per-CPU scratch map, and the
/// manifest must describe what the runtime renders.
final class FunctionsCodegenTests: XCTestCase {
    func compile(_ text: String, unsafe: Bool = false, stringLength: Int? = nil,
                 file: StaticString = #filePath, line: UInt = #line) throws -> Artifact {
        var settings = Settings()
        settings.unsafe = unsafe
        if let stringLength { settings.stringLength = stringLength }
        return try compileScript(text, settings: settings, file: file, line: line)
    }

    static let libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"

    /// Scripts using each function, in probe types where it is allowed.
    static let scripts: [(name: String, text: String)] = [
        ("stacks", #"t:sched:sched_switch { @k[kstack] = count(); @u[ustack(perf, 5)] = count(); printf("%s%s\n", kstack(3), ustack(3)); @last = (kstack(2), pid); }"#),
        ("symbols", #"t:timer:hrtimer_start { @[ksym(args->function)] = count(); printf("%s %s\n", ksym(kaddr("vfs_read")), usym(args->function)); }"#),
        ("uprobe", "uprobe:\(libc):malloc { printf(\"%s %d %d\\n\", usym(reg(\"ip\")), reg(\"di\"), reg(\"sp\")); @[ustack(2)] = count(); }"),
        ("builtins", #"BEGIN { printf("%d %d %d %d %s\n", cgroup, rand, numaid, jiffies, username); @u[username] = count(); exit(); }"#),
        ("long_strings", #"t:syscalls:sys_enter_openat { $p = str(args->filename); @[$p, comm] = count(); @last[tid] = $p; if ($p == str(args->filename) && strncmp($p, "/etc", 4) == 0 && strcontains($p, "passwd")) { printf("%s %s\n", $p, @last[tid]); } }"#),
        // 64-byte strings fit the stack one by one, not all at once: the rest go to scratch.
        ("many_short_strings", #"config = { max_strlen = 64 } t:syscalls:sys_enter_openat /strcontains(str(args->filename), "x")/ { $p = str(args->filename); printf("%s\n", $p); @paths[$p] = count(); @last = str(args->filename); printf("%d %d\n", $p == str(args->filename), strncmp($p, "/tmp/", 4)); }"#),
        ("string_search", #"t:syscalls:sys_enter_openat { printf("%d %d\n", strcontains(comm, str(args->filename, 15)), strcontains(str(args->filename), str(args->filename, 20))); }"#),
        ("buffers", #"t:syscalls:sys_enter_write { printf("%r\n", buf(args->buf, args->count)); @b[buf(args->buf, 8)] = count(); @c = buf(comm); }"#),
        ("network", #"t:sock:inet_sock_set_state { printf("%s %s %s\n", ntop(args->saddr), ntop(args->daddr_v6), ntop(2, 0x0100007f)); @[ntop(pton("::1"))] = count(); }"#),
        ("mac_address", #"t:syscalls:sys_enter_write { printf("%s\n", macaddr(args->buf)); }"#),
        ("output", #"BEGIN { printf("%s %x %s\n", strerror(2), bswap((uint32)1), strftime("%H:%M:%S.%f", nsecs)); time(); cat("/proc/%d/comm", pid); exit(3); }"#),
    ]

    func testEveryFunctionPassesTheVerifier() throws {
        try assertEachLoads(Self.scripts.map { ($0.name, $0.text) })
    }

    func testUnsafeFunctionsPassTheVerifier() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to load BPF programs")
        let text = #"t:syscalls:sys_enter_kill /comm == "swtrace-none"/ { signal("SIGUSR1"); signal(args->sig); system("echo %d", pid); }"#
        let artifact = try compile(text, unsafe: true)
        XCTAssertNoThrow(try LoadedObject(trace: artifact.compiled))
    }

    /// A 1024-byte string used as key, value and comparison operand lives in the scratch map,
    /// which is sized to what is alive at once, not to every buffer of the program.
    func testLongStringsGoThroughAScratchMapSizedToWhatIsAlive() throws {
        let artifact = try compile(#"t:syscalls:sys_enter_openat { @[str(args->filename)] = count(); @v[tid] = str(args->filename); }"#)
        let ir = try XCTUnwrap(artifact.llvmIR)
        XCTAssertTrue(ir.contains("@scratch_0 = global"), "no scratch map:\n\(ir)")
        XCTAssertFalse(ir.contains("scratch.placeholder"), "the placeholder must be replaced")
        // Two statements, one 1024-byte buffer each: one region reused, not two.
        XCTAssertEqual(scratchValueSize(artifact), 1024)
        let small = try compile(#"t:syscalls:sys_enter_openat { @[str(args->filename, 40)] = count(); }"#)
        XCTAssertFalse(small.llvmIR?.contains("scratch") ?? true, "short strings stay on the stack")
    }

    /// The value size of `scratch_0`, from the map's debug info (what LLVM turns into BTF).
    func scratchValueSize(_ artifact: Artifact) -> Int? {
        artifact.llvmIR.flatMap { Self.valueSizeFromDebugInfo($0, map: "scratch_0") }
    }

    /// Follows the debug info of `map`'s global to its `value_size` member's array count.
    static func valueSizeFromDebugInfo(_ ir: String, map: String) -> Int? {
        let lines = ir.split(separator: "\n").map(String.init)
        func node(_ id: String) -> String? { lines.first { $0.hasPrefix(id + " = ") } }
        func ref(_ line: String, _ field: String) -> String? {
            guard let r = line.range(of: field + ": !") else { return nil }
            return "!" + line[r.upperBound...].prefix { $0.isNumber }
        }
        guard let global = lines.first(where: { $0.contains("!DIGlobalVariable(name: \"\(map)\"") }),
              let type = ref(global, "type"), let structLine = node(type),
              let elementsID = ref(structLine, "elements"), let elements = node(elementsID) else { return nil }
        for member in elements.split(whereSeparator: { " ,{}".contains($0) }).filter({ $0.hasPrefix("!") }) {
            guard let m = node(String(member)), m.contains("name: \"value_size\""),
                  let pointer = ref(m, "baseType").flatMap(node), let array = ref(pointer, "baseType").flatMap(node),
                  let sizeText = array.range(of: "size: ").map({ array[$0.upperBound...].prefix { $0.isNumber } }),
                  let bits = Int(sizeText) else { continue }
            return bits / 32
        }
        return nil
    }

    /// Past the 32 KiB a per-CPU value may hold (forty 1 KiB strings in one key), the scratch
    /// space is a plain array indexed by the current CPU, sized to the machine's CPUs when loaded.
    func testManyLongStringsAtOnceUseAnArrayIndexedByCPU() throws {
        let keys = (0..<40).map { _ in "str(args->filename)" }.joined(separator: ", ")
        let artifact = try compile("t:syscalls:sys_enter_openat { @[\(keys)] = count(); }")
        XCTAssertEqual(artifact.manifest.perCPUIndexedMaps, ["scratch_0"])
        XCTAssertGreaterThanOrEqual(scratchValueSize(artifact) ?? 0, 40 * 1024)
        let ir = try XCTUnwrap(artifact.llvmIR)
        XCTAssertTrue(ir.contains("inttoptr (i64 8 to "), "the key is bpf_get_smp_processor_id():\n\(ir)")
        try requireRoot()
        let loaded = try LoadedObject(trace: artifact.compiled)
        let map = try XCTUnwrap(bpf_object__find_map_by_name(loaded.object, "scratch_0"))
        XCTAssertEqual(Int(bpf_map__max_entries(map)), Int(libbpf_num_possible_cpus()))
        XCTAssertEqual(bpf_map__type(map), BPF_MAP_TYPE_ARRAY)
        // Within the per-CPU limit nothing changes.
        XCTAssertEqual(try compile("t:syscalls:sys_enter_openat { @[str(args->filename)] = count(); }").manifest.perCPUIndexedMaps, [])
    }

    func testStacksShareOneMapPerDepth() throws {
        let artifact = try compile(#"t:sched:sched_switch { @a[kstack] = count(); @b[ustack] = count(); @c[kstack(5)] = count(); }"#)
        let ir = try XCTUnwrap(artifact.llvmIR)
        XCTAssertTrue(ir.contains("@stack_127 = global"))
        XCTAssertTrue(ir.contains("@stack_5 = global"))
        XCTAssertEqual(artifact.manifest.maps[0].keySlots.map(\.kind), [.rendered(.stack(StackType(user: false)))])
        XCTAssertEqual(artifact.manifest.maps[1].keySlots.map(\.kind), [.rendered(.stack(StackType(user: true)))])
        XCTAssertEqual(artifact.manifest.maps[0].keySize, 16)
    }

    /// `path()` and `override()` compile to their helpers. This kernel has neither fentry nor
    /// kprobes (no CONFIG_FUNCTION_TRACER, no CONFIG_KPROBES), so they are not loaded here.
    func testPathAndOverrideCallTheirHelpers() throws {
        let path = try compile(#"kfunc:vfs_open { printf("%s\n", path(args->path)); }"#)
        XCTAssertTrue(path.llvmIR?.contains("inttoptr (i64 147 to") ?? false, "bpf_d_path is helper 147")
        let source = SourceFile(name: "t.st", text: "kprobe:vfs_read { override(-5); }")
        var settings = Settings()
        settings.unsafe = true
        let (typed, d) = FrontEnd.compile(source, catalog: TracefsCatalog(), options: FrontEndOptions(settings: settings))
        guard let typed else { throw XCTSkip("no kprobe targets here: \(DiagnosticRenderer.render(d, in: source))") }
        let artifact = try ObjectEmitter.compile(typed, options: CodegenOptions(keepIR: true))
        XCTAssertTrue(artifact.llvmIR?.contains("inttoptr (i64 58 to") ?? false, "bpf_override_return is helper 58")
    }

    func testOutputFunctionsBecomeEvents() throws {
        let artifact = try compile(#"BEGIN { time("%H\n"); cat("/etc/%s", "hostname"); exit(4); }"#)
        let events = artifact.manifest.events
        XCTAssertTrue(events.contains(.time(format: "%H\n")))
        XCTAssertTrue(events.contains { if case .cat(let f, let slots) = $0 { return f.segments.count == 2 && slots.count == 1 }; return false })
        XCTAssertTrue(events.contains(.exit))
    }
}

/// Ends a test helper after it has recorded a failure (not a skip: the test failed).
private struct StoppedAfterFailure: Error {}
