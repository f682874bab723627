import Foundation
import Glibc
import XCTest
import TestSupport

/// `swtrace --aot FILE script.st`: a standalone executable that runs the script without swtrace,
/// LLVM or a Swift toolchain, prints exactly what `swtrace script.st` prints, and takes the
/// runtime flags.
final class AOTTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        try requireRoot()
        // A fresh folder with nothing of the build in it: the executable must stand alone.
        folder = SwtraceRunner.temporaryFolder + "/swtrace-aot-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { [folder] in try? FileManager.default.removeItem(atPath: folder) }
    }

    /// Compiles `script` to an AOT executable in a build folder, then copies it alone into the
    /// fresh folder and returns the copy's path.
    private func buildAOT(_ script: String, name: String = "tool") throws -> String {
        let scriptPath = folder + "/\(name).st"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let built = folder + "/build-\(name)"
        let result = try runSwtrace(["--aot", built, scriptPath])
        XCTAssertEqual(result.status, 0, "\(result)")
        let fresh = folder + "/fresh"
        try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
        let copy = fresh + "/\(name)"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: built, toPath: copy)
        return copy
    }

    func testPrintsWhatSwtracePrints() throws {
        let script = #"""
            BEGIN { printf("start %s\n", "here"); }
            tracepoint:syscalls:sys_enter_getppid /comm == "aot-probe"/ { @calls[comm] = count(); @h = hist(pid); }
            interval:ms:300 { printf("tick\n"); exit(); }
            END { printf("end\n"); }
            """#
        let aot = try buildAOT(script)
        let scriptPath = folder + "/tool.st"
        for format in ["text", "json"] {
            let direct = try runSwtrace(["-q", "-f", format, scriptPath])
            let compiled = try runSwtrace(["-q", "-f", format], executable: aot)
            XCTAssertEqual(compiled.status, 0, "\(compiled)")
            XCTAssertEqual(compiled.stdout, direct.stdout, format)
            XCTAssertTrue(compiled.stdout.contains("start here"), "\(compiled)")
            XCTAssertTrue(compiled.stdout.contains("end"), "\(compiled)")
        }
    }

    func testRunsWithoutLLVMOrSwiftLibraries() throws {
        let aot = try buildAOT(#"BEGIN { printf("alone %d\n", 7); exit(); }"#)
        let ldd = try ProcessRun.run("/usr/bin/ldd", [aot])
        XCTAssertEqual(ldd.status, 0, ldd.stderr)
        XCTAssertFalse(ldd.stdout.lowercased().contains("llvm"), ldd.stdout)
        XCTAssertFalse(ldd.stdout.contains("swift"), "the Swift runtime is linked in:\n\(ldd.stdout)")
        XCTAssertFalse(ldd.stdout.contains("not found"), ldd.stdout)
        // A bare environment: no PATH to a toolchain, no library path.
        let run = try ProcessRun.run("/usr/bin/env", ["-i", "LD_LIBRARY_PATH=", aot, "-q"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "alone 7\n" + SwtraceRunner.exitBlankLines)
    }

    func testTakesTheRuntimeFlags() throws {
        // -c is a run-time flag: the script did not need it to compile.
        let aot = try buildAOT(#"BEGIN { printf("begin\n"); } END { printf("done\n"); }"#)
        let out = folder + "/out.txt"
        let result = try runSwtrace(["-o", out, "-B", "full", "-c", "/bin/true"], executable: aot)
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stderr.contains("Attached"), "\(result)")
        let written = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(written.hasPrefix("Attaching 2 probes...\nbegin\n"), written)
        XCTAssertTrue(written.contains("done\n"), written)
        let bad = try runSwtrace(["-f", "yaml"], executable: aot)
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("ERROR: Invalid output format \"yaml\""), bad.stderr)
    }

    func testAMissingTracepointIsOneClearSentence() throws {
        // An executable compiled on a kernel that has a tracepoint, run on one that lacks it:
        // simulated by renaming the tracepoint in the embedded manifest.
        let aot = try buildAOT(#"tracepoint:syscalls:sys_enter_getppid { @ = count(); }"#)
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: aot)))
        let from = Array("sys_enter_getppid".utf8), to = Array("sys_enter_getppiX".utf8)
        var replaced = 0
        var i = 0
        while i + from.count <= bytes.count {
            if Array(bytes[i..<(i + from.count)]) == from { bytes.replaceSubrange(i..<(i + from.count), with: to); replaced += 1 }
            i += 1
        }
        XCTAssertGreaterThan(replaced, 0)
        try Data(bytes).write(to: URL(fileURLWithPath: aot))
        let result = try runSwtrace([], executable: aot)
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertTrue(result.stderr.contains("tracepoint syscalls:sys_enter_getppiX does not exist on this kernel"), result.stderr)
    }

    func testARuntimeWithoutATraceSaysSo() throws {
        let runtime = URL(fileURLWithPath: SwtraceRunner.binaryPath).deletingLastPathComponent()
            .appendingPathComponent("swtrace-runtime").path
        let result = try runSwtrace([], executable: runtime)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("carries no compiled trace"), result.stderr)
    }
}
