import XCTest
@testable import ScriptParser

/// The checker records, for each map, its first use's key expressions and what each one names:
/// metric labels are built from them.
final class MapKeyNamesTests: XCTestCase {
    func maps(_ text: String) -> [String: MapInfo] {
        let (typed, diagnostics) = FrontEnd.compile(SourceFile(name: "t.st", text: text), catalog: FixtureCatalog())
        XCTAssertEqual(diagnostics.errors.count, 0, "\(diagnostics.items)")
        return Dictionary(uniqueKeysWithValues: (typed?.maps ?? []).map { ($0.name, $0) })
    }

    func testNamesComeFromBuiltinsFieldsVariablesAndStr() {
        let source = """
            t:syscalls:sys_enter_openat { $fd = 3; @[comm, pid] = count(); @files[str(args->filename), $fd, pid / 2] = count(); }
            """
        let m = maps(source)
        XCTAssertEqual(m[""]?.keyNames, ["comm", "pid"])
        XCTAssertEqual(m["files"]?.keyNames, ["filename", "fd", nil])
        let file = SourceFile(name: "t.st", text: source)
        XCTAssertEqual(m["files"]?.keyRanges.map { file.text(of: $0) }, ["str(args->filename)", "$fd", "pid / 2"])
    }

    func testTheFirstUseDecides() {
        let m = maps("BEGIN { @x[tid] = 1; @x[pid] = 2; @n = count(); }")
        XCTAssertEqual(m["x"]?.keyNames, ["tid"])
        XCTAssertEqual(m["n"]?.keyNames, [])
    }
}
