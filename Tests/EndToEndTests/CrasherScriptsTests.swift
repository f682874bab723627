import Foundation
import Glibc
import XCTest

/// Every script the fuzzer once crashed swtrace with (Tests/EndToEndTests/Scripts/crashers/)
/// now ends with exit status 0 or 1, never a signal or a Swift trap: compiled, and loaded with
/// --dry-run when run as root, where none reaches the verifier to be refused: the front end
/// refuses it with a located reason or the program loads.
final class CrasherScriptsTests: XCTestCase {
    func testCrashersNoLongerCrash() throws {
        let folder = SwtraceRunner.packageRoot.appendingPathComponent("Tests/EndToEndTests/Scripts/crashers").path
        let scripts = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".st") }.sorted()
        XCTAssertFalse(scripts.isEmpty, "no scripts in \(folder)")
        let mode = getuid() == 0 ? ["--dry-run"] : ["--emit-elf", "/dev/null"]
        for name in scripts {
            let result = try runSwtrace(mode + ["\(folder)/\(name)"], timeout: 60)
            XCTAssertTrue(result.status == 0 || result.status == 1, "\(name): \(result)")
            XCTAssertFalse(result.stderr.contains("Fatal error"), "\(name): \(result)")
            XCTAssertFalse(result.stderr.contains("the kernel's BPF verifier rejected"), "\(name): \(result)")
            if result.status == 1 {
                XCTAssertTrue(result.stderr.hasPrefix("ERROR: ") || result.stderr.contains(": ERROR: "), "\(name): \(result)")
            }
        }
    }
}
