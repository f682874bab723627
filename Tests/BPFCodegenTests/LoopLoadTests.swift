import XCTest
import SystemCatalog
import TestSupport
import BPFCodegen
import ScriptParser
import TraceRuntime

/// The loops the checker keeps (TypeChecker+Loops.swift) must load: each is compiled against
/// the real tracefs and loaded into the running kernel, so a rule that refused a loop the
/// verifier accepts would fail here as a front-end error.
final class LoopLoadTests: XCTestCase {
    /// Each loop alone, so one loop's acceptance does not hide behind another's.
    static let loops: [(String, String)] = [
        ("break_on_counter", #"BEGIN { $i = 0; while (1) { if ($i > 10) { break; } $i++; } printf("%d\n", $i); }"#),
        ("counter_in_nested_if", #"BEGIN { $i = 0; while ($i < 10) { if ($i >= 0) { $i++; } } printf("%d\n", $i); }"#),
        ("counted_under_limit", #"BEGIN { $n = 0; while ($n < 300000) { $n++; } printf("%d\n", $n); }"#),
        ("counted_by_three_to_equal", #"BEGIN { $i = 0; while ($i != 12) { $i += 3; } printf("%d\n", $i); }"#),
        ("counted_down_to_zero", #"BEGIN { $i = 100; while ($i) { $i--; } printf("%d\n", $i); }"#),
        ("counted_down_by_two", #"BEGIN { $i = 10; while ($i > 0) { $i -= 2; } printf("%d\n", $i); }"#),
        ("never_entered", #"BEGIN { $n = 5; while ($n < 3) { @x++; } }"#),
        ("never_entered_masked", #"BEGIN { $n = pid & 0xff; while ($n > 1000) { @x++; } }"#),
        ("step_in_condition", #"BEGIN { $i = 0; while ($i++ < 10) { } printf("%d\n", $i); }"#),
        ("after_counted_loop", #"BEGIN { $i = 0; while ($i < 10) { $i++; } while ($i > 100) { @x++; } }"#),
        ("after_break_loop", #"BEGIN { $i = 0; while (1) { if ($i > 10) { break; } $i++; } while ($i > 100) { @x++; } }"#),
        ("map_condition_with_break", #"BEGIN { $i = 0; while (@x < 10) { $i++; if ($i > 5) { break; } } }"#),
        ("inside_for_map", #"BEGIN { @m[1] = 2; for ($kv : @m) { $j = 0; while ($j < 5) { $j++; } printf("%d\n", $j); } }"#),
        ("args_with_break", #"tracepoint:syscalls:sys_enter_execve { $i = 1; while ($i < 20) { if (args->argv[$i] == 0) { break; } $i++; } }"#),
        ("false_constant", #"BEGIN { $n = 0; while ($n) { @x++; } while (0) { } }"#),
    ]

    func testLoopsTheCheckerKeepsPassTheVerifier() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to load BPF programs")
        for (name, text) in Self.loops { try load(name, text) }
    }

    /// The whole `check/loop_still_accepted.st` script, as the checker test reads it.
    func testStillAcceptedScriptPassesTheVerifier() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to load BPF programs")
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ScriptParserTests/Scripts/check/loop_still_accepted.st")
        try load("loop_still_accepted.st", try String(contentsOf: url, encoding: .utf8))
    }

    func load(_ name: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let source = SourceFile(name: name, text: text)
        let (typed, diagnostics) = FrontEnd.compile(source, catalog: TracefsCatalog())
        guard let typed else {
            return XCTFail("\(name): " + DiagnosticRenderer.render(diagnostics, in: source), file: file, line: line)
        }
        let artifact = try ObjectEmitter.compile(typed, options: CodegenOptions())
        do {
            _ = try LoadedObject(trace: artifact.compiled)
        } catch let e as RuntimeError {
            XCTFail("\(name): \(e.message)\n\(e.detail ?? "")", file: file, line: line)
        }
    }
}
