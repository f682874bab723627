import XCTest
@testable import ScriptParser

/// Probe-dependent builtins (`argN`, `args.x`, `retval`, `func`, `probe`, `cpid`): what each
/// resolves to per probe type, and the programs a probe's attach points are split into.
final class ProbeExpanderBuiltinsTests: XCTestCase {
    private let catalog = ProbeFixtureCatalog()

    private func compile(_ script: String, settings: Settings = Settings()) -> (TypedProgram?, [String]) {
        let file = SourceFile(name: "t", text: script)
        let (typed, diagnostics) = FrontEnd.compile(file, catalog: catalog, options: FrontEndOptions(settings: settings))
        let errors = diagnostics.errors.map { d in ([d.message] + d.notes).joined(separator: " | ") }
        return (typed, errors)
    }

    /// Every resolved probe value of the first program, with its type, in source order.
    private func probeValues(_ script: String, settings: Settings = Settings()) -> [String] {
        let (typed, errors) = compile(script, settings: settings)
        guard let probe = typed?.probes.first else { return errors.map { "ERROR: \($0)" } }
        var found: [String] = []
        ASTWalker.visit(probe.body) { e in
            if case .probeValue(let v) = e.kind { found.append("\(v) \(e.type)") }
        }
        return found
    }

    func testRegisterArgumentsAndReturnValues() {
        XCTAssertEqual(probeValues(#"kprobe:vfs_read { printf("%d %d\n", arg0, arg5); }"#),
                       ["argument(0) uint64", "argument(5) uint64"])
        XCTAssertEqual(probeValues(#"uprobe:/usr/bin/app:main { printf("%d\n", arg1); }"#), ["argument(1) uint64"])
        XCTAssertEqual(probeValues(#"kretprobe:vfs_read { printf("%d\n", retval); }"#), ["retval int64"])
        XCTAssertEqual(probeValues(#"uretprobe:libc:malloc { printf("%d\n", retval); }"#), ["retval int64"])
    }

    func testBTFTypedArgumentsOfFentryAndRawTracepoints() {
        XCTAssertEqual(probeValues(#"fentry:vfs_read { printf("%d %p\n", args.count, args->file); }"#),
                       ["contextSlot(2) uint64", "contextSlot(0) struct file *"])
        // fexit: the return value sits in the slot after the arguments.
        XCTAssertEqual(probeValues(#"fexit:vfs_read { printf("%d %d\n", args.count, retval); }"#),
                       ["contextSlot(2) uint64", "contextSlot(4) int64"])
        XCTAssertEqual(probeValues(#"rawtracepoint:sched_switch { printf("%p %u %d\n", args.prev, args.prev_state, arg3); }"#),
                       ["contextSlot(1) struct task_struct *", "contextSlot(3) uint32", "contextSlot(3) uint64"])
    }

    func testUSDTArgumentsAreTypedFromTheNote() {
        XCTAssertEqual(probeValues(#"usdt:/usr/bin/app:app:request { printf("%d %d\n", arg0, arg1); }"#),
                       ["usdtArgument(0) int32", "usdtArgument(1) uint64"])
        XCTAssertEqual(probeValues(#"usdt:/usr/bin/app:app:request { printf("%d\n", arg2); }"#),
                       ["ERROR: arg2 is out of range: usdt:/usr/bin/app:app:request has 2 arguments"])
    }

    func testNamesAreStringsSizedForTheLongestMatch() {
        XCTAssertEqual(probeValues(#"kprobe:vfs_* { printf("%s %s\n", probe, func); }"#),
                       ["probe string[17]", "function string[10]"])
        XCTAssertEqual(probeValues(#"BEGIN { printf("%s\n", probe); }"#), ["probe string[6]"])
    }

    func testChildPIDNeedsACommand() {
        XCTAssertEqual(probeValues(#"BEGIN { printf("%d\n", cpid); }"#),
                       ["ERROR: cpid cannot be used without child command (-c)"])
        var settings = Settings()
        settings.hasChildCommand = true
        XCTAssertEqual(probeValues(#"BEGIN { printf("%d\n", cpid); }"#, settings: settings), ["childPID uint64"])
    }

    func testBuiltinsRefusedWhereTheyMeanNothing() {
        let cases: [(String, String)] = [
            (#"kprobe:vfs_read { printf("%d\n", retval); }"#,
             "The retval builtin can only be used with kretprobe, uretprobe and fexit probes (kprobe:vfs_read used here)"),
            (#"fentry:vfs_read, fexit:vfs_read { printf("%d\n", retval); }"#,
             "The retval builtin can only be used with kretprobe, uretprobe and fexit probes (kfunc:vmlinux:vfs_read used here)"),
            (#"fexit:ksys_sync { printf("%d\n", retval); }"#, "ksys_sync returns void: there is no retval"),
            (#"kretprobe:vfs_read { printf("%d\n", arg0); }"#,
             "The arg0 builtin can only be used with kprobe, uprobe, usdt, rawtracepoint and fentry probes (kretprobe:vfs_read used here)"),
            (#"tracepoint:sched:sched_switch { printf("%s\n", func); }"#,
             "The func builtin can only be used with kprobe, kretprobe, uprobe, uretprobe, usdt, fentry and fexit probes (tracepoint:sched:sched_switch used here)"),
            (#"kprobe:vfs_read { printf("%d\n", arg6); }"#, "arg6 is out of range: only arg0 to arg5 are passed in registers"),
            (#"rawtracepoint:sys_enter { printf("%d\n", arg2); }"#, "arg2 is out of range: rawtracepoint:sys_enter has 2 arguments"),
            (#"fentry:vfs_read { printf("%d\n", args.coutn); }"#, "kfunc:vmlinux:vfs_read has no argument named 'coutn' | HINT: did you mean 'count'?"),
            (#"uprobe:/usr/bin/app:main { printf("%d\n", args.x); }"#,
             "args needs DWARF argument info, which swtrace does not read: use arg0, arg1, … for uprobe:/usr/bin/app:main"),
            (#"kprobe:vfs_read { printf("%d\n", args.count); }"#,
             "The args builtin can only be used with tracepoint probes (kprobe:vfs_read used here)"),
        ]
        for (script, message) in cases {
            XCTAssertEqual(compile(script).1, [message], script)
        }
    }

    /// (attach points per program) for each program, in order.
    private func programs(_ script: String) -> [[String]] {
        let (typed, errors) = compile(script)
        XCTAssertEqual(errors, [], script)
        return typed?.probes.map { $0.attachPoints.map(\.description) } ?? []
    }

    func testOneProgramServesEveryMatchTheKernelAllows() {
        // kprobes, uprobes, tracepoints, usdt and perf events share one program per body,
        // `probe` and `func` included (told apart by the attach cookie).
        XCTAssertEqual(programs(#"kprobe:vfs_* { printf("%s\n", probe); }"#).map(\.count), [3])
        XCTAssertEqual(programs(#"uprobe:/usr/bin/app:* { printf("%s\n", func); }"#).map(\.count), [3])
        XCTAssertEqual(programs(#"usdt:/usr/bin/app:* { printf("%s\n", probe); }"#).map(\.count), [3])
        XCTAssertEqual(programs(#"tracepoint:syscalls:* { printf("%s\n", probe); }"#).map(\.count), [3])
        XCTAssertEqual(programs(#"software:*-faults { printf("%s\n", probe); }"#).map(\.count), [5])
        // kprobe and uprobe programs are one BPF program type.
        XCTAssertEqual(programs("kprobe:vfs_read, uprobe:libc:malloc { }").map(\.count), [2])
    }

    func testProgramsSplitWhereTheKernelOrTheArgumentsRequire() {
        // fentry programs are bound to one function at load.
        XCTAssertEqual(programs("fentry:vfs_* { }"), [["kfunc:vmlinux:vfs_read"], ["kfunc:vmlinux:vfs_write"]])
        // Raw tracepoints: shared unless args (one layout each) or probe/func (no cookie) are used.
        XCTAssertEqual(programs("rawtracepoint:sched_* { }").map(\.count), [2])
        XCTAssertEqual(programs(#"rawtracepoint:sched_* { printf("%p\n", args.prev); }"#).map(\.count), [1, 1])
        XCTAssertEqual(programs(#"rawtracepoint:sched_* { printf("%s\n", probe); }"#).map(\.count), [1, 1])
        // Different program types never share.
        XCTAssertEqual(programs("BEGIN, END, kprobe:vfs_read, tracepoint:sched:sched_switch, usdt:/usr/bin/app:start, profile:hz:9 { }"),
                       [["BEGIN"], ["END"], ["kprobe:vfs_read"], ["tracepoint:sched:sched_switch"],
                        ["usdt:/usr/bin/app:app:start"], ["profile:hz:9"]])
    }
}
