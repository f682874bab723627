import XCTest
import SystemCatalog
import TestSupport
import BPFCodegen
import ScriptParser
import TraceRuntime

/// Codegen, checked where it matters: the kernel's verifier. Each script is compiled against the
/// real tracefs and loaded (not attached) into the running kernel.
final class CodegenLoadTests: XCTestCase {
    func compile(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Artifact {
        try compileScript(text, file: file, line: line)
    }

    /// Each construct of the language, in a probe the verifier must accept.
    static let scripts: [(String, String)] = [
        ("seed", #"t:syscalls:sys_enter_execve { printf("[%d] ", pid); join(args->argv) }"#),
        ("builtins", #"BEGIN { printf("%d %d %d %d %s %d %d %d\n", pid, tid, uid, gid, comm, nsecs, elapsed, cpu); exit(); }"#),
        ("data_loc", #"t:sched:sched_process_exec { printf("%s %d\n", args->filename, args->pid); }"#),
        ("char_array", #"t:sched:sched_process_exit { printf("%s %d\n", args->comm, args->prio); }"#),
        ("user_string", #"t:syscalls:sys_enter_openat /str(args->filename) == "/etc/passwd"/ { printf("%s\n", str(args->filename, 32)); }"#),
        ("arithmetic", #"BEGIN { $a = -7; $b = 2; printf("%d %d %d %d %d %d %d\n", $a / $b, $a % $b, $a * $b, $a >> 1, (uint64)$a >> 60, $a & 3, ~$a); exit(); }"#),
        ("control_flow", #"BEGIN { $i = 0; while ($i < 10) { $i++; if ($i == 3) { continue; } if ($i > 7) { break; } } unroll(5) { $i += 2; } printf("%d\n", $i > 5 ? $i : 0); exit(); }"#),
        ("strings", #"t:syscalls:sys_enter_execve { $c = comm; if ($c == "bash" || comm != "sh") { printf("%s\n", $c); } }"#),
        ("tuples", #"BEGIN { $t = (1, "two", (int8)-3); @t = $t; printf("%d %s %d\n", $t.0, $t.1, $t.2); print($t); exit(); }"#),
        ("aggregations", #"t:syscalls:sys_enter_read { @c[comm] = count(); @s[pid] = sum(args->count); @a = avg(args->count); @mn = min(args->count); @mx = max(args->count); @st = stats(args->count); @h = hist(args->count); @l = lhist(args->count, 0, 4096, 256); }"#),
        ("plain_maps", #"t:syscalls:sys_enter_read { @start[tid] = nsecs; @n[comm, pid]++; @bytes += args->count; } t:syscalls:sys_exit_read /@start[tid]/ { @lat = hist(nsecs - @start[tid]); delete(@start[tid]); if (has_key(@n, comm, pid)) { @seen[comm] = "yes"; } }"#),
        ("map_functions", #"interval:ms:100 { @x = count(); print(@x); clear(@x); zero(@x); print(@x, 3, 10); print(1); print("s"); }"#),
        ("for_map", #"BEGIN { @m[1] = 10; @m[2] = 20; for ($kv : @m) { printf("%d %d\n", $kv.0, $kv.1); if ($kv.0 == 2) { break; } } exit(); }"#),
        // A zero divisor and a shift past 63 are defined (as in BPF), not undefined behaviour
        // LLVM would drop the surrounding code for (fuzz: verifier-division-by-zero-is-undef).
        ("zero_divisor_wide_shift", #"END { printf("%d\n", (pid <= 0 ? gid / $# : elapsed) << 3); } BEGIN { @x = (pid <= 0 ? gid / 0 : elapsed) << 3; @y = (pid <= 0 ? gid % 0 : elapsed) << 3; @z = ~(comm == "bash" ? pid : (gid << 255)); exit(); }"#),
        // A record held while an argument's scratch lookup may fail is discarded on that path
        // (fuzz: verifier-printf-ringbuf-reference-leak).
        // bpf_loop's context stays on the stack when the stack budget sends buffers to the
        // scratch map (the helper takes stack memory only).
        ("loop_context_on_stack", #"t:syscalls:sys_enter_openat { @m[args->dfd] = (("abc" == probe) ? (strcontains(comm, "a") || 1) : ("abc" == probe)) + (str(0) == (nsecs ? probe : "abc")); }"#),
        // A short string compare keeps its early exits: folded into a branchless chain, the
        // verifier walked 2^16 outcomes through the rest of the program (1M instructions).
        ("string_compare_early_exits", #"t:syscalls:sys_enter_openat { @i = 1; @s = comm; @h = hist(@i && (probe == @s)); printf("%s\n", (nsecs ? probe : str(args->filename))); }"#),
        // `x > UINT64_MAX / y` stays a division: as InstCombine's overflow check it needs a
        // 128-bit multiply BPF lacks (fuzz: internal-llvm-multi3-overflow-check).
        ("division_not_overflow_check", #"BEGIN { @x = rand > (18446744073709551615 / cgroup); @y = (uint64)rand > (18446744073709551615 / (uint64)(cgroup | 2)); exit(); }"#),
        ("record_discarded_on_early_exit", #"t:syscalls:sys_enter_openat { printf("%s\n", strerror(strncmp(str(args->filename), "a", 2))); }"#),
    ]

    func testEveryConstructPassesTheVerifier() throws {
        try assertEachLoads(Self.scripts)
    }

    func testObjectIsABPFElfWithBTFMaps() throws {
        let artifact = try compile(Self.scripts[0].1)
        let o = artifact.object
        XCTAssertEqual(Array(o.prefix(4)), [0x7f, 0x45, 0x4c, 0x46])
        XCTAssertEqual(UInt16(o[18]) | UInt16(o[19]) << 8, 247, "e_machine is EM_BPF")
        let text = String(decoding: o, as: UTF8.self)
        for section in ["tracepoint/syscalls/sys_enter_execve", ".maps", "license", ".BTF"] {
            XCTAssertTrue(text.contains(section), "object lacks \(section)")
        }
        XCTAssertEqual(artifact.manifest.programs.count, 1)
        XCTAssertEqual(artifact.manifest.programs[0].attachPoints,
                       [.tracepoint(TracepointID(category: "syscalls", name: "sys_enter_execve"))])
    }

    func testManifestDescribesEveryEvent() throws {
        let artifact = try compile(Self.scripts[0].1)
        guard artifact.manifest.events.count == 2 else { return XCTFail("expected printf and join events") }
        guard case .printf(let format, let slots) = artifact.manifest.events[0] else { return XCTFail("printf first") }
        XCTAssertEqual(format.conversions.map(\.specifier), ["d"])
        XCTAssertEqual(slots, [ArgumentSlot(offset: 8, kind: .unsigned)])
        guard case .join(let separator, let count, _) = artifact.manifest.events[1] else { return XCTFail("join second") }
        XCTAssertEqual(separator, " ")
        XCTAssertEqual(count, 16)
    }

    /// The helpers are called by number and the ring buffer is BTF-described.
    func testIRCallsHelpersByNumber() throws {
        let ir = try XCTUnwrap(try compile(Self.scripts[0].1).llvmIR)
        XCTAssertTrue(ir.contains("inttoptr (i64 131"), "bpf_ringbuf_reserve by number")
        XCTAssertTrue(ir.contains("inttoptr (i64 132"), "bpf_ringbuf_submit by number")
        XCTAssertTrue(ir.contains("inttoptr (i64 112"), "bpf_probe_read_user for argv")
        XCTAssertTrue(ir.contains("section \".maps\""))
        XCTAssertTrue(ir.contains("section \"tracepoint/syscalls/sys_enter_execve\""))
    }

    func testMapLayouts() throws {
        let artifact = try compile(Self.scripts[9].1)
        let byName = Dictionary(uniqueKeysWithValues: artifact.manifest.maps.map { ($0.scriptName, $0) })
        XCTAssertEqual(byName["@c"]?.keySlots, [ArgumentSlot(offset: 0, kind: .string(capacity: 16))])
        XCTAssertEqual(byName["@c"]?.perCPU, true)
        XCTAssertEqual(byName["@h"]?.valueSize, 66 * 8)
        XCTAssertEqual(byName["@l"]?.valueSize, (16 + 2) * 8)
        XCTAssertEqual(byName["@st"]?.valueSize, 16)
    }
}

/// Ends a test helper after it has recorded a failure (not a skip: the test failed).
private struct StoppedAfterFailure: Error {}
