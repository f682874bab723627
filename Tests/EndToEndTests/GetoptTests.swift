import Foundation
import XCTest

/// `getopt()` from the command line: the words after `--` reach the script as constants, bad
/// ones stop swtrace before anything is compiled or loaded, `-- --help` lists the options.
final class GetoptTests: XCTestCase {
    let program = #"""
        BEGIN {
          printf("n=%d s=%s b=%d one=%s\n", getopt("n", 1, "a number"), getopt("s", "x"), getopt("b"), str($1));
          unroll (getopt("n", 1)) { printf("."); }
          printf("\n");
          exit();
        }
        """#

    func testValuesReachTheProgramWithPositionalParameters() throws {
        try requireRoot()
        let given = try runSwtrace(["-e", program, "hello", "--", "--n=3", "--s=a b", "--b"])
        XCTAssertEqual(given.status, 0, "\(given)")
        XCTAssertEqual(given.lines.prefix(2), ["n=3 s=a b b=1 one=hello", "..."])
        let defaults = try runSwtrace(["-e", program])
        XCTAssertEqual(defaults.lines.prefix(2), ["n=1 s=x b=0 one=", "."], "\(defaults)")
        // Words after -- that are not --NAME stay positional parameters.
        let positional = try runSwtrace(["-e", program, "--", "-5", "--b=false"])
        XCTAssertEqual(positional.lines.first, "n=1 s=x b=0 one=-5", "\(positional)")
    }

    func testAPredicateOnAnOption() throws {
        try requireRoot()
        let script = "BEGIN /getopt(\"on\")/ { printf(\"on\\n\"); } BEGIN { exit(); }"
        XCTAssertEqual(try runSwtrace(["-e", script, "--", "--on"]).lines.first, "on")
        XCTAssertEqual(try runSwtrace(["-e", script]).lines.first, "")
    }

    /// Checked before loading: as a user without BPF rights the option error, not the rights error.
    func testBadOptionsStopBeforeAnythingLoads() throws {
        try requireRoot()
        for (words, message) in [
            (["--nn=3"], "ERROR: unknown script option --nn (did you mean '--n'?); it takes --n, --s, --b"),
            (["--n=three"], "ERROR: script option --n takes an integer (--n=VALUE), not 'three'"),
            (["--b=maybe"], "ERROR: script option --b takes true, false, 1 or 0 (--b=VALUE), not 'maybe'"),
            (["--s"], "ERROR: script option --s takes a string (--s=VALUE)"),
        ] {
            let result = try runSwtrace(["-e", program, "--"] + words, user: "nobody")
            XCTAssertEqual(result.status, 1, "\(words): \(result)")
            XCTAssertEqual(result.stderr, message + "\nHINT: 'swtrace -e 'program' -- --help' lists the script's options\n")
            XCTAssertEqual(result.stdout, "")
        }
    }

    func testHelpListsTheOptions() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", program, "--", "--help"], user: "nobody")
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.stdout, """
            USAGE: swtrace -e 'program' [-- OPTIONS]

            OPTIONS:
                --n=INT     int, default 1: a number
                --s=STRING  string, default "x"
                --b         bool, default false

            """)
        let tool = SwtraceRunner.packageRoot.appendingPathComponent("examples/execsnoop.st").path
        let toolHelp = try runSwtrace([tool, "--", "--help"], user: "nobody")
        XCTAssertTrue(toolHelp.stdout.contains("    --max-args=INT  int, default 20: arguments to print\n"), "\(toolHelp)")
    }

    func testConflictingDeclarationsAreLocatedErrors() throws {
        try requireRoot()
        let result = try runSwtrace(["-e", #"BEGIN { print(getopt("a", 1)); print(getopt("a", "x")); }"#, "--", "--a=2"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("stdin:1:38-54: ERROR: getopt(): option 'a' was declared with default 1 before"), result.stderr)
    }
}
