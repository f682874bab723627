import XCTest
@testable import ScriptParser

/// What each kind of attach point's program receives from the kernel, and what the checker
/// decides from it.
final class ProbeContextTests: XCTestCase {
    func testEachAttachPointNamesItsProgramContext() {
        let f = KernelFunction(name: "vfs_read")
        let u = UserFunction(binary: "/usr/bin/app", symbol: "main")
        let timer = TimerSpec(unit: .ms, value: 100)
        let cases: [(ResolvedAttachPoint, ProbeContext)] = [
            (.begin, .none), (.end, .none),
            (.tracepoint(TracepointID(category: "sched", name: "sched_switch")), .tracepointRecord),
            (.rawTracepoint(name: "sched_switch"), .rawTracepointArguments),
            (.kprobe(f, offset: 0), .registers), (.kretprobe(f), .registers),
            (.uprobe(u), .registers), (.uretprobe(u), .registers),
            (.usdt(USDTTarget(binary: "/usr/bin/app", provider: "app", name: "start")), .registers),
            (.fentry(f), .btfArguments), (.fexit(f), .btfArguments),
            (.profile(timer), .perfEvent), (.interval(timer), .perfEvent),
            (.perfEvent(PerfEventTarget(kind: .software, name: "faults", config: 2, count: 10)), .perfEvent),
        ]
        for (ap, context) in cases {
            XCTAssertEqual(ap.programContext, context, "\(ap)")
        }
    }

    /// The probe carries its program's context; `reg()` is allowed exactly where there are registers.
    func testTypedProbesCarryTheirContext() {
        let source = SourceFile(name: "t.st", text: #"kprobe:vfs_read { @r = reg("ip"); } BEGIN { @b = 1; } rawtracepoint:sched_switch { @a = arg0; }"#)
        let (typed, diagnostics) = FrontEnd.compile(source, catalog: ProbeFixtureCatalog())
        XCTAssertFalse(diagnostics.hasErrors, DiagnosticRenderer.render(diagnostics, in: source))
        XCTAssertEqual(typed?.probes.map(\.context), [.registers, .none, .rawTracepointArguments])
        let refused = SourceFile(name: "t.st", text: #"rawtracepoint:sched_switch { @r = reg("ip"); }"#)
        XCTAssertTrue(FrontEnd.compile(refused, catalog: ProbeFixtureCatalog()).1.hasErrors)
    }
}
