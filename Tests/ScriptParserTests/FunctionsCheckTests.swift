import Foundation
import XCTest
@testable import ScriptParser

/// The builtins and functions of TypeChecker+Functions: `Scripts/functions/*.st` checked
/// against a fixture that knows a few kernel functions and symbols and one user binary, with
/// the same `// expect:` lines as `Scripts/check`; `// flags: --unsafe` turns on `--unsafe`.
/// Then the types the checker gives, which codegen and the runtime lay out by.
final class FunctionsCheckTests: XCTestCase {
    func testFunctionScripts() throws {
        let folder = try XCTUnwrap(Bundle.module.url(forResource: "Scripts", withExtension: nil))
            .appendingPathComponent("functions")
        let scripts = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "st" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertGreaterThanOrEqual(scripts.count, 10)
        for url in scripts {
            let text = try String(contentsOf: url, encoding: .utf8)
            let name = url.lastPathComponent
            let expected = SyntaxScriptTests.expectations(in: text)
            XCTAssertFalse(expected.isEmpty, "\(name) has no // expect: lines")
            var settings = Settings()
            settings.unsafe = text.contains("// flags: --unsafe")
            let actual = Self.diagnostics(of: SourceFile(name: name, text: text), settings: settings)
            XCTAssertEqual(actual, expected == ["ok"] ? [] : expected, name)
        }
    }

    static func diagnostics(of file: SourceFile, settings: Settings) -> [String] {
        let (_, diagnostics) = FrontEnd.compile(file, catalog: FunctionsFixtureCatalog(),
                                                options: FrontEndOptions(settings: settings))
        return diagnostics.items.flatMap { d -> [String] in
            let lines = DiagnosticRenderer.render(d, in: file).split(separator: "\n").map(String.init)
            guard let header = lines.first else { return [] }
            return [String(header.dropFirst(file.name.count + 1))] + lines.dropFirst(3)
        }
    }

    // MARK: Types

    /// The typed value of `printf("%d", EXPR)`-free probes: the first statement's expression.
    func typeOf(_ expression: String, probe: String = "BEGIN", settings: Settings = Settings(),
                file: StaticString = #filePath, line: UInt = #line) throws -> Expr {
        let source = SourceFile(name: "t.st", text: "\(probe) { $x = \(expression); print($x); }")
        let (typed, diagnostics) = FrontEnd.compile(source, catalog: FunctionsFixtureCatalog(),
                                                    options: FrontEndOptions(settings: settings))
        let program = try XCTUnwrap(typed, DiagnosticRenderer.render(diagnostics, in: source), file: file, line: line)
        guard case .assign(_, _, let value)? = program.probes.first?.body.statements.first?.kind else {
            XCTFail("no assignment", file: file, line: line)
            throw StoppedAfterFailure()
        }
        return value
    }

    func testStrDefaultsTo1024BytesAndFollowsTheSetting() throws {
        XCTAssertEqual(try typeOf("str(arg0)", probe: "kprobe:vfs_read").type, .string(capacity: 1024))
        XCTAssertEqual(try typeOf("str(arg0, 10)", probe: "kprobe:vfs_read").type, .string(capacity: 11))
        var settings = Settings()
        settings.stringLength = 32
        XCTAssertEqual(try typeOf("str(arg0)", probe: "kprobe:vfs_read", settings: settings).type, .string(capacity: 32))
        let dataLoc = try typeOf("args->filename", probe: "t:sched:sched_process_exec")
        XCTAssertEqual(dataLoc.type, .string(capacity: 1024))
    }

    func testStacksCarryModeAndDepthInTheirType() throws {
        XCTAssertEqual(try typeOf("kstack").type, .rendered(.stack(StackType(user: false))))
        XCTAssertEqual(try typeOf("ustack(perf, 5)").type, .rendered(.stack(StackType(user: true, limit: 5, mode: .perf))))
        XCTAssertEqual(try typeOf("kstack(3)").type, .rendered(.stack(StackType(user: false, limit: 3, mode: .bpftrace))))
        let e = try typeOf("kstack(perf)")
        guard case .function(.kstack, let args) = e.kind else { return XCTFail("\(e.kind)") }
        XCTAssertTrue(args.isEmpty, "the mode is folded into the type")
    }

    func testConstantsAreResolvedWhenChecking() throws {
        let k = try typeOf("kaddr(\"vfs_read\")")
        guard case .integer(let address) = k.kind else { return XCTFail("\(k.kind)") }
        XCTAssertEqual(address, FunctionsFixtureCatalog.vfsReadAddress)
        XCTAssertEqual(k.type, .uint64)
        let u = try typeOf("uaddr(\"global_counter\")", probe: "uprobe:/bin/fixture:leaf_function")
        guard case .integer(0x4028) = u.kind else { return XCTFail("\(u.kind)") }
        XCTAssertEqual(u.type, .pointer(to: .uint32, user: true), "a 4-byte variable gives a 32-bit pointer")
        let r = try typeOf("reg(\"ip\")", probe: "kprobe:vfs_read")
        guard case .function(.reg, let args) = r.kind, case .integer(128)? = args.first?.kind else { return XCTFail("\(r.kind)") }
        let p = try typeOf("pton(\"10.0.0.1\")")
        guard case .function(.pton, let pa) = p.kind, case .string([10, 0, 0, 1])? = pa.first?.kind else { return XCTFail("\(p.kind)") }
        XCTAssertEqual(p.type, .rendered(.byteArray(count: 4)))
        XCTAssertEqual(try typeOf("pton(\"::1\")").type, .rendered(.byteArray(count: 16)))
    }

    func testRenderedValuesAndTheirSizes() throws {
        XCTAssertEqual(try typeOf("ksym(1)").type.size, 8)
        XCTAssertEqual(try typeOf("usym(1)").type.size, 16)
        XCTAssertEqual(try typeOf("buf(\"abc\", 3)").type, .rendered(.buffer(capacity: 3)))
        XCTAssertEqual(try typeOf("buf(\"abc\", 3)").type.size, 16)
        XCTAssertEqual(try typeOf("strftime(\"%H\", nsecs)").type, .rendered(.timestamp(format: "%H")))
        XCTAssertEqual(try typeOf("ntop(1)").type.size, 24)
        XCTAssertEqual(try typeOf("username").type, .rendered(.username))
        XCTAssertEqual(try typeOf("signame(9)").type, .rendered(.signalName))
        XCTAssertEqual(try typeOf("signame(9)").type.size, 8)
        XCTAssertEqual(try typeOf("bswap((uint16)1)").type, .integer(bits: 16, signed: false))
        XCTAssertEqual(try typeOf("rand").type, .uint32)
        XCTAssertEqual(try typeOf("(kstack, 1)").type.size, 24)
    }

    func testSignalNamesBecomeNumbers() throws {
        var settings = Settings()
        settings.unsafe = true
        let source = SourceFile(name: "t.st", text: #"t:syscalls:sys_enter_openat { signal("SIGUSR1"); signal("TERM"); }"#)
        let (typed, d) = FrontEnd.compile(source, catalog: FunctionsFixtureCatalog(), options: FrontEndOptions(settings: settings))
        let program = try XCTUnwrap(typed, DiagnosticRenderer.render(d, in: source))
        let numbers = program.probes[0].body.statements.compactMap { s -> UInt64? in
            guard case .expr(let e) = s.kind, case .function(.signal, let args) = e.kind,
                  case .integer(let n)? = args.first?.kind else { return nil }
            return n
        }
        XCTAssertEqual(numbers, [10, 15])
    }
}

/// The front-end fixture plus what functions look up: kernel functions for kprobes, kernel
/// symbols for `kaddr`, `vfs_open`'s BTF prototype for fentry and `path()`, one binary
/// (`/bin/fixture`) with a function and a variable for uprobes and `uaddr`.
final class FunctionsFixtureCatalog: Catalog {
    private let base = FixtureCatalog()
    static let vfsReadAddress: UInt64 = 0xffff_ffff_8123_4560

    func tracepoints() -> [TracepointID] { base.tracepoints() }
    func tracepointFormat(_ id: TracepointID) -> TracepointFormat? { base.tracepointFormat(id) }
    func kernelFunctions() -> [KernelFunction] { [KernelFunction(name: "do_nanosleep"), KernelFunction(name: "vfs_read")] }
    func resolveBinary(_ name: String) -> String? { name == "/bin/fixture" ? name : nil }
    func functionSymbols(inBinary path: String) -> Result<[UserSymbol], CatalogError> {
        path == "/bin/fixture" ? .success([UserSymbol(name: "leaf_function", address: 0x1159, size: 32)])
            : .failure(CatalogError("no \(path)"))
    }
    func kernelSymbolAddress(_ name: String) -> UInt64? { name == "vfs_read" ? Self.vfsReadAddress : nil }
    func recordType(named name: String) -> RecordType? {
        name == "struct path" ? RecordType(kind: .structure, name: "path", size: 16, alignment: 8, members: [], isRelocatable: true) : nil
    }
    func recordTypeNames() -> [String] { ["struct path"] }
    func btfFunctions() -> [KernelFunction] { [KernelFunction(name: "vfs_open")] }
    func btfFunction(_ function: KernelFunction) -> FunctionSignature? {
        guard function.name == "vfs_open" else { return nil }
        return FunctionSignature(name: "vfs_open", parameters: [
            FunctionParameter(name: "path", type: .pointer(to: .record(name: "struct path"), user: false), declaration: "const struct path *"),
            FunctionParameter(name: "file", type: .pointer(to: .record(name: "struct file"), user: false), declaration: "struct file *"),
        ], returnValue: FunctionParameter(name: "", type: .int32, declaration: "int"))
    }
    func userSymbol(_ name: String, inBinary path: String) -> UserSymbol? {
        guard path == "/bin/fixture" else { return nil }
        switch name {
        case "global_counter": return UserSymbol(name: name, address: 0x4028, size: 4)
        case "leaf_function": return UserSymbol(name: name, address: 0x1159, size: 32)
        default: return nil
        }
    }
}

/// Ends a test helper after it has recorded a failure (not a skip: the test failed).
private struct StoppedAfterFailure: Error {}
