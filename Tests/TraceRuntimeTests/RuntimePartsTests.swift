import XCTest
@testable import TraceRuntime
import SystemCatalog

/// Small runtime parts: which CPUs perf-event probes open an event on, how `-c` splits its command.
final class RuntimePartsTests: XCTestCase {
    func testCPUListParsing() {
        XCTAssertEqual(KernelFeatures.parseCPUList("0-3,6\n"), [0, 1, 2, 3, 6])
        XCTAssertEqual(KernelFeatures.parseCPUList("0\n"), [0])
        XCTAssertEqual(KernelFeatures.parseCPUList(""), [])
        XCTAssertFalse(KernelFeatures.onlineCPUs().isEmpty)
    }

    func testCommandWordsSplitLikeAShell() throws {
        XCTAssertEqual(try CommandWords.split("/bin/ls -l /tmp"), ["/bin/ls", "-l", "/tmp"])
        XCTAssertEqual(try CommandWords.split(#"sh -c 'echo "a b"; exit 3'"#), ["sh", "-c", #"echo "a b"; exit 3"#])
        XCTAssertEqual(try CommandWords.split(#"printf "%s\n" a\ b "" x"#), ["printf", #"%s\n"#, "a b", "", "x"])
        XCTAssertThrowsError(try CommandWords.split("echo 'open"))
        XCTAssertThrowsError(try CommandWords.split("   "))
    }
}
