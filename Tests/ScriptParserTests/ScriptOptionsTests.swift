import XCTest
@testable import ScriptParser

/// `getopt()`: the options a script declares, the command line's words after `--` checked
/// against them, and the constants the checker puts in place of each call.
final class ScriptOptionsTests: XCTestCase {
    static let script = """
        BEGIN {
          printf("%d %d %s %d\\n", getopt("fails"), getopt("max-args", 20, "arguments to print"),
                 getopt("name", ""), getopt("on", true));
        }
        """

    func declared(_ text: String = ScriptOptionsTests.script) throws -> ScriptOptionSet {
        let (set, diagnostics) = FrontEnd.scriptOptions(SourceFile(name: "t.st", text: text))
        return try XCTUnwrap(set, "\(diagnostics.items)")
    }

    func testDeclarationsInOrderWithTheirDefaultsTypesAndDescriptions() throws {
        let set = try declared()
        XCTAssertEqual(set.options.map(\.name), ["fails", "max-args", "name", "on"])
        XCTAssertEqual(set.options.map(\.defaultValue), [.bool(false), .integer(20), .string(""), .bool(true)])
        XCTAssertEqual(set["max-args"]?.description, "arguments to print")
        XCTAssertEqual(set.options.map(\.defaultValue.typeName), ["bool", "int", "string", "bool"])
    }

    func testValuesFromTheCommandLineOverDefaults() throws {
        let set = try declared()
        XCTAssertEqual(try set.values(from: []).get(),
                       ["fails": .bool(false), "max-args": .integer(20), "name": .string(""), "on": .bool(true)])
        let given = try set.values(from: ["--fails", "--max-args=0x10", "--name=a=b", "--on=0"]).get()
        XCTAssertEqual(given["fails"], .bool(true))
        XCTAssertEqual(given["max-args"], .integer(16))
        XCTAssertEqual(given["name"], .string("a=b"), "only the first '=' splits")
        XCTAssertEqual(given["on"], .bool(false))
        XCTAssertEqual(try set.values(from: ["--max-args=-3", "--max-args=4"]).get()["max-args"], .integer(4),
                       "the last one wins")
        XCTAssertEqual(try set.values(from: ["--name="]).get()["name"], .string(""))
        XCTAssertEqual(try set.values(from: ["--fails=true", "--on=1"]).get()["fails"], .bool(true))
    }

    func testBadWordsAreClearErrors() throws {
        let set = try declared()
        func message(_ words: [String]) -> String? {
            if case .failure(let e) = set.values(from: words) { return e.message }
            return nil
        }
        XCTAssertEqual(message(["--fail"]),
                       "unknown script option --fail (did you mean '--fails'?); it takes --fails, --max-args, --name, --on")
        XCTAssertEqual(message(["--max-args=lots"]), "script option --max-args takes an integer (--max-args=VALUE), not 'lots'")
        XCTAssertEqual(message(["--max-args"]), "script option --max-args takes an integer (--max-args=VALUE)")
        XCTAssertEqual(message(["--max-args=99999999999999999999"]),
                       "script option --max-args takes an integer (--max-args=VALUE), not '99999999999999999999'")
        XCTAssertEqual(message(["--name"]), "script option --name takes a string (--name=VALUE)")
        XCTAssertEqual(message(["--fails=yes"]), "script option --fails takes true, false, 1 or 0 (--fails=VALUE), not 'yes'")
        XCTAssertEqual(message(["--"]), "'--' is not a script option: they are written --NAME=VALUE or --NAME")
        guard case .failure(let none) = try declared("BEGIN { exit(); }").values(from: ["--x"]) else {
            return XCTFail("--x accepted by a script without options")
        }
        XCTAssertEqual(none.message, "unknown script option --x; this script takes no options")
    }

    func testUsageListsEveryOption() throws {
        XCTAssertEqual(try declared().usage(scriptName: "t.st"), """
            USAGE: swtrace t.st [-- OPTIONS]

            OPTIONS:
                --fails         bool, default false
                --max-args=INT  int, default 20: arguments to print
                --name=STRING   string, default ""
                --on            bool, default true

            """)
        XCTAssertEqual(try declared("BEGIN { exit(); }").usage(scriptName: "t.st"), "t.st takes no script options.\n")
    }

    /// The checker puts the option's value in place of the call: an integer (0/1 for a
    /// boolean) or a string literal sized to it.
    func testTheCheckerReplacesEachCallByItsValue() throws {
        let source = SourceFile(name: "t.st", text: Self.script)
        var options = FrontEndOptions()
        options.scriptOptionValues = ["fails": .bool(true), "name": .string("bash")]
        let (typed, diagnostics) = FrontEnd.compile(source, catalog: FunctionsFixtureCatalog(), options: options)
        let program = try XCTUnwrap(typed, DiagnosticRenderer.render(diagnostics, in: source))
        guard case .expr(let call)? = program.probes.first?.body.statements.first?.kind,
              case .function(.printf, let args) = call.kind else { return XCTFail("no printf") }
        let values = args.dropFirst().map { a -> String in
            switch a.kind {
            case .integer(let n): return "\(n) \(a.type)"
            case .string(let s): return "\"\(String(decoding: s, as: UTF8.self))\" \(a.type)"
            default: return "not a constant: \(a.kind)"
            }
        }
        XCTAssertEqual(values, ["1 \(SType.int64)", "20 \(SType.int64)", "\"bash\" \(SType.string(capacity: 5))",
                                "1 \(SType.int64)"])
    }

    func testNegativeIntegerDefaultAndValue() throws {
        let set = try declared("BEGIN { print(getopt(\"d\", -5)); }")
        XCTAssertEqual(set["d"]?.defaultValue, .integer(-5))
        XCTAssertEqual(try set.values(from: ["--d=-9223372036854775808"]).get()["d"], .integer(Int64.min))
    }
}

