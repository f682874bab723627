import Foundation
import XCTest
@testable import ScriptParser

/// Kernel types in the front end, against the fixture catalog's cut-down `task_struct`
/// (KernelTypesFixture.swift): the `Scripts/kernel_types/*.st` cases (same format as
/// `Scripts/check`: leading `// expect:` lines), then the typed trees for the constructs codegen
/// relies on, and the preamble's C layout.
final class KernelTypesCheckTests: XCTestCase {
    func testKernelTypeScripts() throws {
        let folder = try XCTUnwrap(Bundle.module.url(forResource: "Scripts", withExtension: nil))
            .appendingPathComponent("kernel_types")
        let scripts = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "st" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertGreaterThanOrEqual(scripts.count, 7)
        for url in scripts {
            let text = try String(contentsOf: url, encoding: .utf8)
            let name = url.lastPathComponent
            let expected = SyntaxScriptTests.expectations(in: text)
            XCTAssertFalse(expected.isEmpty, "\(name) has no // expect: lines")
            let actual = CheckScriptTests.diagnostics(of: SourceFile(name: name, text: text), arguments: [])
            XCTAssertEqual(actual, expected == ["ok"] ? [] : expected, name)
        }
    }

    // MARK: Typed trees

    /// The single expression of `printf("%d", EXPR)` in a BEGIN probe, typed.
    private func typed(_ expression: String, probe: String = "BEGIN", preamble: String = "",
                       catalog: Catalog = FixtureCatalog(), file: StaticString = #filePath, line: UInt = #line) throws -> Expr {
        let source = SourceFile(name: "t.st", text: "\(preamble)\n\(probe) { printf(\"%d\", \(expression)); }")
        let (program, diagnostics) = FrontEnd.compile(source, catalog: catalog)
        let typedProgram = try XCTUnwrap(program, DiagnosticRenderer.render(diagnostics, in: source), file: file, line: line)
        guard case .expr(let call)? = typedProgram.probes.first?.body.statements.first?.kind,
              case .function(_, let args) = call.kind, args.count == 2 else {
            XCTFail("no printf call", file: file, line: line)
            throw StoppedAfterFailure()
        }
        return args[1]
    }

    func testPointerChainIsTypedFromTheLayout() throws {
        let e = try typed("curtask->real_parent->tgid")
        XCTAssertEqual(e.type, .int32)
        guard case .recordField(let base, let access) = e.kind else { return XCTFail("\(e.kind)") }
        XCTAssertEqual(access.member.name, "tgid")
        XCTAssertEqual(access.steps.map(\.record.name), ["task_struct"])
        XCTAssertEqual(base.type, TypeChecker.taskPointer)
        guard case .recordField(let root, _) = base.kind, case .currentTask = root.kind else { return XCTFail("\(base.kind)") }
    }

    func testAnonymousMembersAreWalkedThrough() throws {
        let e = try typed("curtask->rcu_users")
        guard case .recordField(_, let access) = e.kind else { return XCTFail("\(e.kind)") }
        XCTAssertEqual(access.steps.count, 2, "task_struct → anonymous union → rcu_users")
        XCTAssertEqual(access.steps.last?.record.kind, .union)
        XCTAssertEqual(e.type, .int32)
    }

    func testCharArraysAreStringsAndOtherArraysIndexable() throws {
        XCTAssertEqual(try typed("sizeof(curtask->comm)").kind.integerValue, 16)
        let element = try typed("curtask->cpus[2]")
        XCTAssertEqual(element.type, .uint64)
        guard case .index(let array, let index) = element.kind else { return XCTFail("\(element.kind)") }
        XCTAssertEqual(array.type, .array(of: .uint64, count: 4))
        XCTAssertEqual(index.kind.integerValue, 2)
    }

    func testQueriesFoldToConstants() throws {
        XCTAssertEqual(try typed("sizeof(struct task_struct)").kind.integerValue, 256)
        XCTAssertEqual(try typed("sizeof(*curtask)").kind.integerValue, 256)
        XCTAssertEqual(try typed("sizeof(curtask->se)").kind.integerValue, 24)
        XCTAssertEqual(try typed("offsetof(struct task_struct, se.usage.counter)").kind.integerValue, 8 + 16)
        XCTAssertEqual(try typed("offsetof(struct task_struct, rcu_users)").kind.integerValue, 96)
        XCTAssertEqual(try typed("TASK_COMM_LEN").kind.integerValue, 16)
    }

    func testPointerArithmeticScalesByThePointee() throws {
        let e = try typed("curtask + 2")
        XCTAssertEqual(e.type, TypeChecker.taskPointer)
        guard case .pointerOffset(_, _, let size) = e.kind else { return XCTFail("\(e.kind)") }
        XCTAssertEqual(size, 256)
        guard case .pointerOffset(_, let count, 4) = try typed("(int32 *)curtask - 1").kind,
              case .unary(.negate, _) = count.kind else { return XCTFail("p - n is p + (-n), in int32 steps") }
        // p[i] is *(p + i).
        guard case .dereference(let inner) = try typed("curtask[3].pid").kind.recordFieldBase?.kind,
              case .pointerOffset = inner.kind else { return XCTFail("curtask[3] is *(curtask + 3)") }
    }

    func testAddressSpaceFollowsThePointer() throws {
        // A syscall argument points into the calling process: so does a struct cast over it, and
        // every pointer read out of that struct.
        let user = try typed("((struct task_struct *)args->filename)->real_parent", probe: "tracepoint:syscalls:sys_enter_openat")
        XCTAssertEqual(user.type, .pointer(to: .record(name: "struct task_struct"), user: true))
        let kernel = try typed("curtask->real_parent")
        XCTAssertEqual(kernel.type, TypeChecker.taskPointer)
        // An integer is a kernel address outside uprobes and syscall tracepoints.
        let cast = try typed("(struct task_struct *)args->prio", probe: "tracepoint:sched:sched_process_exit")
        XCTAssertEqual(cast.type, TypeChecker.taskPointer)
    }

    func testScriptsWithoutKernelTypesNeverAskForThem() throws {
        let catalog = CountingCatalog()
        _ = try typed("pid + TASK_COMM_LEN", preamble: "#define TASK_COMM_LEN 16", catalog: catalog)
        _ = try typed("curtask", catalog: catalog)
        XCTAssertEqual(catalog.kernelTypeQuestions, 0, "curtask alone and #defines need no BTF")
        _ = try typed("curtask->pid", catalog: catalog)
        XCTAssertEqual(catalog.kernelTypeQuestions, 1)
    }

    // MARK: The preamble's C layout

    private func layout(_ preamble: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> RecordType {
        let source = SourceFile(name: "t.st", text: preamble + "\nBEGIN { }")
        let (program, parseDiagnostics) = Parser.parse(source)
        XCTAssertFalse(parseDiagnostics.hasErrors, DiagnosticRenderer.render(parseDiagnostics, in: source), file: file, line: line)
        var checker = TypeChecker(catalog: FixtureCatalog())
        checker.collectPreamble(program.preamble, source: source)
        XCTAssertFalse(checker.diagnostics.hasErrors, DiagnosticRenderer.render(checker.diagnostics, in: source), file: file, line: line)
        return try XCTUnwrap(checker.preambleRecords[name], file: file, line: line)
    }

    func testPreambleStructsAreLaidOutLikeC() throws {
        let r = try layout("struct s { char c; int i; short h; long l; char tail[3]; };", "struct s")
        XCTAssertEqual(r.members.map(\.byteOffset), [0, 4, 8, 16, 24])
        XCTAssertEqual(r.size, 32)
        XCTAssertEqual(r.alignment, 8)
        XCTAssertFalse(r.isRelocatable, "the script's own layout is not relocated")
    }

    func testPreambleBitfieldsPackIntoTheirUnits() throws {
        let r = try layout("struct b { unsigned char a : 3; unsigned char b : 6; unsigned int c : 30; unsigned int d : 4; short e; };", "struct b")
        XCTAssertEqual(r.members.map(\.bitOffset), [0, 8, 32, 64, 80])
        XCTAssertEqual(r.members.map(\.bitfieldSize), [3, 6, 30, 4, nil])
        XCTAssertEqual(r.size, 12)
    }

    func testPreambleUnionsAndNestedTypes() throws {
        let preamble = """
        struct inner { short a; char b; };
        union u { char bytes[5]; int word; struct inner in; };
        struct outer { char c; union u value; struct list_head link; struct outer *next; };
        """
        let u = try layout(preamble, "union u")
        XCTAssertEqual(u.members.map(\.bitOffset), [0, 0, 0])
        XCTAssertEqual(u.size, 8)
        let outer = try layout(preamble, "struct outer")
        XCTAssertEqual(outer.members.map(\.byteOffset), [0, 4, 16, 32], "list_head (from the catalog) aligns to 8")
        XCTAssertEqual(outer.size, 40)
    }
}

/// The fixture, counting the questions about kernel types (each would read BTF).
private final class CountingCatalog: Catalog {
    let fixture = FixtureCatalog()
    var kernelTypeQuestions = 0
    func tracepoints() -> [TracepointID] { fixture.tracepoints() }
    func tracepointFormat(_ id: TracepointID) -> TracepointFormat? { fixture.tracepointFormat(id) }
    func recordType(named name: String) -> RecordType? {
        kernelTypeQuestions += 1
        return fixture.recordType(named: name)
    }
    func recordTypeNames() -> [String] { kernelTypeQuestions += 1; return fixture.recordTypeNames() }
    func enumeratorValue(named name: String) -> Int64? { kernelTypeQuestions += 1; return fixture.enumeratorValue(named: name) }
}

private extension Expr.Kind {
    var integerValue: UInt64? {
        if case .integer(let v) = self { return v }
        return nil
    }

    var recordFieldBase: Expr? {
        if case .recordField(let base, _) = self { return base }
        return nil
    }
}

/// Ends a test helper after it has recorded a failure (not a skip: the test failed).
private struct StoppedAfterFailure: Error {}
