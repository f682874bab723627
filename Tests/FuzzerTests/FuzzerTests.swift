import XCTest
@testable import swtrace_fuzz

/// The fuzzer's own logic: classification of a run, minimisation, and runs that repeat for a
/// given seed.
final class FuzzerTests: XCTestCase {
    func testClassification() {
        func outcome(_ status: ProcessStatus, _ stderr: String) -> FuzzOutcome {
            FuzzResult.classify(status: status, stderr: stderr, seconds: 0).outcome
        }
        XCTAssertEqual(outcome(.exited(0), ""), .loaded)
        XCTAssertEqual(outcome(.exited(1), "f.st:2:3-5: ERROR: Unknown function: foo\n  foo()\n  ~~~\n"), .locatedError)
        XCTAssertEqual(outcome(.exited(1), "f.st:2:3: ERROR: not a script\n"), .locatedError)
        XCTAssertEqual(outcome(.exited(1), "ERROR: the kernel's BPF verifier rejected probe BEGIN at f.st:1: x (verifier: R1 !read_ok) (run with -v for the verifier log)\n"),
                       .verifierRejection)
        XCTAssertEqual(outcome(.exited(1), "ERROR: internal error: map @m was not declared\n"), .internalError)
        XCTAssertEqual(outcome(.exited(1), "ERROR: kprobes are not available on this kernel\n"), .otherError)
        XCTAssertEqual(outcome(.exited(1), "error: stdin:1:9: in function probe_0 i64 (i8*): A call to built-in function '__multi3' is not supported.\n"),
                       .internalError)
        XCTAssertEqual(outcome(.exited(1), "f.st:1:9-12: ERROR: syntax error\nBEGIN { x // internal error }\n        ~~~\n"), .locatedError)
        XCTAssertEqual(outcome(.signaled(4), ""), .crash)
        XCTAssertEqual(outcome(.exited(1), "Swift/x.swift:12: Fatal error: Index out of range\n"), .crash)
        XCTAssertEqual(outcome(.exited(1), "f.st:1:1-3: ERROR: x\n// x.swift:12: Fatal error: noted in a comment\n~~~\n"), .locatedError)
        XCTAssertEqual(outcome(.exited(134), ""), .crash)
        XCTAssertEqual(outcome(.timedOut, ""), .hang)
    }

    /// Two rejections that differ only in registers and offsets are one finding.
    func testVerifierSignatureIgnoresRegisters() {
        let a = FuzzResult.classify(status: .exited(1), stderr: "ERROR: the kernel's BPF verifier rejected probe BEGIN at a.st:1: dereference of modified ctx ptr R7 off=32 disallowed (run with -v for the verifier log)\n", seconds: 0)
        let b = FuzzResult.classify(status: .exited(1), stderr: "ERROR: the kernel's BPF verifier rejected probe END at b.st:9: dereference of modified ctx ptr R2 off=104 disallowed (run with -v for the verifier log)\n", seconds: 0)
        XCTAssertEqual(a.signature, b.signature)
        XCTAssertFalse(a.signature.contains("R7"))
    }

    func testMinimiserKeepsOnlyWhatReproduces() {
        let script = Array("BEGIN {\n  @a = 1;\n  @b = crash(1, 2);\n  @c = 3;\n}\nEND { @d = 4; }\n".utf8)
        var minimiser = CrashMinimiser(reproduces: { String(decoding: $0, as: UTF8.self).contains("crash(") })
        let small = String(decoding: minimiser.minimise(script), as: UTF8.self)
        XCTAssertTrue(small.contains("crash("))
        XCTAssertLessThanOrEqual(small.count, "crash(".count + 1, small)
    }

    func testMinimiserStopsAtItsBudget() {
        var runs = 0
        var minimiser = CrashMinimiser(reproduces: { _ in runs += 1; return false })
        minimiser.budget = 10
        let script = Array(String(repeating: "line\n", count: 200).utf8)
        XCTAssertEqual(minimiser.minimise(script), script)
        XCTAssertLessThanOrEqual(runs, 10)
    }

    func testSameSeedSameProgramsAnotherSeedOthers() {
        var a = ProgramGenerator(seed: 5), b = ProgramGenerator(seed: 5), c = ProgramGenerator(seed: 6)
        let pa = (0..<20).map { a.program($0).text }, pb = (0..<20).map { b.program($0).text }
        let pc = (0..<20).map { c.program($0).text }
        XCTAssertEqual(pa, pb)
        XCTAssertNotEqual(pa, pc)
        let seeds = [Array("BEGIN { @x = count(); }\n".utf8), Array("t:syscalls:sys_enter_read { printf(\"%d\\n\", pid); }\n".utf8)]
        let mutator = ScriptMutator(seeds: seeds)
        var r1 = SeededRandom(seed: 9), r2 = SeededRandom(seed: 9)
        XCTAssertEqual((0..<50).map { _ in mutator.mutate(&r1) }, (0..<50).map { _ in mutator.mutate(&r2) })
    }

    /// One cycle of the generator features every (probe type, feature, context) once.
    func testGeneratorWalksEveryCombination() {
        XCTAssertEqual(ProgramGenerator.combinations, GeneratedProbe.allCases.count * features.count * ProgramGenerator.Context.allCases.count)
        var seen = Set<Int>()
        for index in 0..<ProgramGenerator.combinations {
            seen.insert((index % ProgramGenerator.combinations) * 7919 % ProgramGenerator.combinations)
        }
        XCTAssertEqual(seen.count, ProgramGenerator.combinations)
        var generator = ProgramGenerator(seed: 1)
        let headers = Set((0..<GeneratedProbe.allCases.count * 3).map { generator.program($0).text.split(separator: "\n").last { $0.contains(":") || $0 == "BEGIN" || $0 == "END" } ?? "" })
        XCTAssertGreaterThanOrEqual(headers.count, GeneratedProbe.allCases.count - 2, "\(headers)")
    }
}
