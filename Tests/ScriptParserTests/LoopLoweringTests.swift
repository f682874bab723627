import XCTest
@testable import ScriptParser

/// Which loops stay plain and which the checker hands to `bpf_loop` (LoopLowering.swift): by
/// the text of each `while` in a BEGIN probe, plain or not.
final class LoopLoweringTests: XCTestCase {
    func plainness(_ body: String, file: StaticString = #filePath, line: UInt = #line) -> [Bool] {
        let source = SourceFile(name: "t.st", text: "BEGIN { " + body + " }")
        let (typed, diagnostics) = FrontEnd.compile(source, catalog: FixtureCatalog())
        guard let probe = typed?.probes.first else {
            XCTFail(DiagnosticRenderer.render(diagnostics, in: source), file: file, line: line)
            return []
        }
        let starts = probe.body.whileLoopStarts.sorted()
        return starts.map { probe.plainLoops?.contains($0) ?? true }
    }

    func testShortCountedLoopsStayPlain() {
        XCTAssertEqual(plainness("$i = 0; while ($i < 20) { $i++; } printf(\"%d\", $i);"), [true])
        XCTAssertEqual(plainness("$i = 0; while (1) { if ($i > 10) { break; } $i++; } printf(\"%d\", $i);"), [true])
        XCTAssertEqual(plainness("$i = 0; while ($i < 256) { $i++; } printf(\"%d\", $i);"), [true])
        // Arithmetic on variables alone, every decision known: nothing waits, and LLVM may
        // fold it to a formula, so it stays plain for longer.
        XCTAssertEqual(plainness("$i = 0; $s = 0; while ($i < 5000) { $s += $i * $i; $i++; } printf(\"%d\", $s);"), [true])
    }

    func testLongUnknownNestedAndNeverEnteredLoopsGoThroughBPFLoop() {
        // Past 256 iterations, with a map update in each.
        XCTAssertEqual(plainness("$i = 0; while ($i < 257) { @a[$i] = 1; $i++; }"), [false])
        // Arithmetic alone past what the verifier walks in its budget.
        XCTAssertEqual(plainness("$i = 0; $s = 0; while ($i < 300000) { $s += $i * $i; $i++; } printf(\"%d\", $s);"), [false])
        // A counter from a map value: the walk does not see it end.
        XCTAssertEqual(plainness("$i = @n; while ($i < 10) { $i++; } printf(\"%d\", $i);"), [false])
        // Nested: both.
        XCTAssertEqual(plainness("$i = 0; while ($i < 4) { $i++; $j = 0; while ($j < 4) { $j++; } }"), [false, false])
        // Never entered to the checker: LLVM may not fold the first test.
        XCTAssertEqual(plainness("$i = 5; while ($i < 3) { $i++; } printf(\"%d\", $i);"), [false])
    }

    func testThePlainBudgetIsSharedByTheProbe() {
        // 200 iterations of a few expressions each fit one at a time; the probe's budget runs
        // out after the first few.
        let loop = "$i = 0; while ($i < 200) { @a[$i] = $i * 2 + 1; $i++; } "
        let plain = plainness(String(repeating: loop, count: 8) + "printf(\"%d\", $i);")
        XCTAssertEqual(plain.count, 8)
        XCTAssertTrue(plain.first == true && plain.last == false, "\(plain)")
    }

    func testTheLoopCheckOffLeavesEveryLoopPlain() {
        var options = FrontEndOptions()
        options.refusesWhatTheVerifierRefuses = false
        let source = SourceFile(name: "t.st", text: "BEGIN { $i = @n; while ($i < 10) { $i++; } }")
        let typed = FrontEnd.compile(source, catalog: FixtureCatalog(), options: options).0
        XCTAssertNotNil(typed)
        XCTAssertNil(typed?.probes.first?.plainLoops)
    }
}
