import XCTest
import SystemCatalog
import BPFCodegen
import ScriptParser
@testable import TraceRuntime

/// What the checker accepts in each context — a `for` body over a map (a callback without the
/// probe's context), a predicate, BEGIN, END, nested loops — compiles without a codegen error
/// and is accepted by this kernel's verifier (loaded, not attached). What it refuses there is
/// in ScriptParserTests' `Scripts/context`.
final class ContextCodegenTests: XCTestCase {
    /// `cpid` needs a `-c` command.
    private static var settings: Settings {
        var settings = Settings()
        settings.hasChildCommand = true
        return settings
    }

    static let scripts: [(String, String)] = [
        // for bodies: what needs no context, in probes whose context is pt_regs, a tracepoint
        // record, BTF slots and nothing; one name for `probe`/`func` is a constant.
        ("for_body_kprobe", #"kprobe:vfs_read { @m[arg0] = arg1; for ($kv : @m) { printf("%s %s %d %d %s %d\n", probe, func, pid, cpid, comm, $kv.1); @n[$kv.0] = nsecs + len(@m); @u = username; } }"#),
        ("for_body_tracepoint", #"tracepoint:syscalls:sys_enter_openat { @m[str(args->filename)] = args->dfd; for ($kv : @m) { printf("%s %s %d\n", probe, $kv.0, $kv.1); if ($kv.1 > 0) { while (1) { break; } } unroll(2) { @c[$kv.0] = cpu; } } }"#),
        ("for_body_rawtracepoint", #"rawtracepoint:sched_switch { @m[arg1] = arg2; for ($kv : @m) { @x[$kv.0, probe] = elapsed; } }"#),
        ("for_body_uprobe", #"uprobe:/bin/bash:readline { @m[str(arg0)] = 1; for ($kv : @m) { @s[$kv.0] = count(); @h = hist($kv.1); } }"#),
        ("for_body_nested", #"interval:ms:100 { @m[1] = 2; @o[3] = 4; for ($kv : @m) { @q[$kv.0] = $kv.1; for ($in : @o) { @p[$in.0] = $in.1 * 2; } } }"#),
        // Predicates read the context: arguments, fields, names told apart by the cookie.
        ("predicate_kprobe", #"kprobe:vfs_read, kprobe:vfs_write /arg0 > 0 && func == "vfs_read" && probe != "" && reg("ip") != 0/ { @a = count(); }"#),
        ("predicate_tracepoint", #"tracepoint:syscalls:sys_enter_openat /str(args->filename) == "/etc/passwd" && args->flags > 0/ { @b = count(); }"#),
        ("predicate_usdt", #"usdt:/usr/bin/python3:python:function__entry /arg2 > 0 && probe != ""/ { @c = count(); }"#),
        // A ternary or an if choosing between two context values: one load each, never a load
        // from a selected address (the verifier refuses a modified context pointer).
        ("ternary_arguments", #"uprobe:/bin/bash:readline { @x = nsecs ? arg1 : arg2; $v = 0; if (pid) { $v = arg3; } else { $v = arg4; } @y = $v; }"#),
        ("ternary_fields", #"tracepoint:syscalls:sys_enter_read { @x = nsecs ? args->count : (uint64)args->buf; @y = pid ? args->fd : args->count; }"#),
        ("ternary_registers", #"kprobe:vfs_read { @x = nsecs ? reg("ip") : reg("sp"); }"#),
        // BEGIN and END: `probe` is a constant, no cookie; the for body works the same.
        ("begin", #"BEGIN { @m[1] = 1; printf("%s\n", probe); for ($kv : @m) { printf("%s %d\n", probe, $kv.1); @k[$kv.0] = pid; } exit(); }"#),
        ("end", #"END { @m[1] = 1; for ($kv : @m) { printf("%s %d %s\n", probe, $kv.1, comm); } print(kstack); }"#),
    ]

    func testWhatEachContextAcceptsPassesTheVerifier() throws {
        try assertEachLoads(Self.scripts, settings: Self.settings)
    }

    /// A `for` body is its own BPF function, called without the probe's context.
    func testForBodiesAreCallbacksWithoutTheContext() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to read BTF")
        let ir = try XCTUnwrap(try compileScript(Self.scripts[0].1, settings: Self.settings).llvmIR)
        XCTAssertTrue(ir.contains("define internal i64 @for_each_1(i8*"), "the body is a callback")
        XCTAssertTrue(ir.contains("define internal i64 @count_entries("), "len() counts through a callback")
    }
}
