import XCTest
import SystemCatalog
import TestSupport
import BPFCodegen
import ScriptParser
@testable import TraceRuntime

/// Programs for every probe type: generated with the right section, sharing one program where
/// the kernel allows, and accepted by this kernel's verifier (loaded, not attached: kprobe
/// programs load even though this kernel cannot attach kprobes).
final class ProbeCodegenTests: XCTestCase {
    private func compile(_ text: String, settings: Settings = Settings(),
                         file: StaticString = #filePath, line: UInt = #line) throws -> Artifact {
        try compileScript(text, settings: settings, file: file, line: line)
    }

    private func requireRoot() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to read BTF and load BPF programs")
    }


    static let usdtBinary = "/usr/bin/python3"

    /// One script per probe type and builtin combination that this kernel can load.
    static let scripts: [(String, String)] = [
        ("rawtracepoint", #"rawtracepoint:sched_switch { printf("%s %p %p %d %u %d\n", probe, args.prev, args->next, args.preempt, args.prev_state, arg3); }"#),
        ("rawtracepoint_shared", #"rt:sched_wak* { printf("%s\n", comm); }"#),
        ("kprobe", #"kprobe:vfs_read { printf("%s %s %d %d %d %d %d %d\n", probe, func, arg0, arg1, arg2, arg3, arg4, arg5); }"#),
        ("kprobe_offset_alias", #"k:vfs_read+4 { printf("%d\n", arg0); }"#),
        ("kprobe_wildcard_names", #"kprobe:vfs_read* { printf("%s %s\n", probe, func); }"#),
        ("kretprobe", #"kretprobe:vfs_read { printf("%d %s\n", retval, func); }"#),
        ("uprobe", #"uprobe:/bin/bash:readline { printf("%s %d %s\n", func, arg0, str(arg0)); }"#),
        ("uprobe_library", #"uprobe:libc:mall* { printf("%s %d\n", probe, arg0); }"#),
        ("uretprobe", #"uretprobe:libc:malloc { printf("%d\n", retval); }"#),
        ("usdt", #"usdt:/usr/bin/python3:python:gc__start { printf("%s %d\n", probe, arg0); }"#),
        ("usdt_wildcard", #"usdt:/usr/bin/python3:python:function__* { printf("%s %s %s %d\n", probe, str(arg0), str(arg1), arg2); }"#),
        ("profile", #"profile:hz:99 { printf("%s %d\n", probe, cpu); }"#),
        ("interval_profile_shared", #"interval:ms:100, profile:ms:10 { printf("%s\n", probe); }"#),
        ("software", #"software:faults:10, s:cs { printf("%s %s\n", probe, comm); }"#),
        ("hardware", #"hardware:cycles:100000 { printf("%s\n", probe); }"#),
        ("tracepoint_wildcard_names", #"tracepoint:syscalls:sys_enter_read* { printf("%s\n", probe); }"#),
    ]

    func testEveryProbeTypeThisKernelLoadsPassesTheVerifier() throws {
        try requireRoot()
        for (name, text) in Self.scripts {
            assertLoads(name, try compile(text))
        }
    }

    func testProcessFilterAndChildPIDPassTheVerifier() throws {
        try requireRoot()
        var settings = Settings()
        settings.targetPID = 1
        settings.hasChildCommand = true
        for (name, text) in Self.scripts + [("cpid", #"t:syscalls:sys_enter_exit_group /pid == cpid/ { printf("%d\n", cpid); }"#)] {
            let artifact = try compile(text, settings: settings)
            assertLoads("-p " + name, artifact)
        }
        let filtered = try compile("kprobe:vfs_read { }", settings: settings)
        XCTAssertTrue(filtered.llvmIR?.contains("pid.match") ?? false, "the -p filter is at the probe's entry")
        let unfiltered = try compile("interval:s:1 { }", settings: settings)
        XCTAssertFalse(unfiltered.llvmIR?.contains("pid.match") ?? true, "timers run in no process of interest")
    }

    /// kfunc/kretfunc programs are refused by this kernel before its verifier runs (no log),
    /// so their code is checked by loading it as a raw tracepoint program: the context is the
    /// same array of u64 arguments, and fexit's return value is the slot after them.
    func testFentryFexitCodePassesTheVerifierAsRawTracepointCode() throws {
        try requireRoot()
        for text in [#"fentry:vfs_read { printf("%s %d %p %d\n", func, args.count, args.file, arg2); }"#,
                     #"fexit:vfs_read { printf("%s %d %d\n", probe, args.count, retval); }"#,
                     #"kfunc:vfs_* { printf("%s\n", func); }"#] {
            let artifact = try compile(text)
            var patched = artifact
            patched.object = Self.replacingSections(artifact.object)
            assertLoads("as raw_tp: " + text, patched)
        }
    }

    func testFentryLoadRefusalIsOneSentence() throws {
        try requireRoot()
        let text = #"fentry:vfs_read { printf("%d\n", args.count); }"#
        do {
            _ = try LoadedObject(trace: try compile(text).compiled)
            throw XCTSkip("this kernel loads fentry programs")
        } catch let e as RuntimeError {
            XCTAssertEqual(e.message, "fentry/fexit are not available on this kernel (it refuses to load programs bound to kernel functions: Operation not permitted): cannot load kfunc:vmlinux:vfs_read")
        }
    }

    /// `fentry/FN` → `raw_tp/FN`, `fexit/vFN` → `raw_tp/FN`: same lengths, so the ELF stays valid.
    static func replacingSections(_ object: [UInt8]) -> [UInt8] {
        var bytes = object
        for (from, to) in [("fentry/", "raw_tp/"), ("fexit/v", "raw_tp/")] {
            let f = Array(from.utf8), t = Array(to.utf8)
            var i = 0
            while i + f.count <= bytes.count {
                if Array(bytes[i..<(i + f.count)]) == f {
                    bytes.replaceSubrange(i..<(i + f.count), with: t)
                    i += f.count
                } else {
                    i += 1
                }
            }
        }
        return bytes
    }

    func testSectionsNameTheProgramType() throws {
        try requireRoot()
        let cases: [(String, String)] = [
            ("rawtracepoint:sched_switch { }", "raw_tp/sched_switch"),
            ("kprobe:vfs_read { }", "kprobe/vfs_read"),
            ("kretprobe:vfs_read { }", "kretprobe/vfs_read"),
            ("fentry:vfs_read { }", "fentry/vfs_read"),
            ("fexit:vfs_read { }", "fexit/vfs_read"),
            ("uprobe:libc:malloc { }", "uprobe"),
            ("uretprobe:libc:malloc { }", "uretprobe"),
            ("usdt:/usr/bin/python3:python:gc__start { }", "usdt"),
            ("profile:hz:99 { }", "perf_event"),
            ("software:faults { }", "perf_event"),
        ]
        for (text, section) in cases {
            let object = try compile(text).object
            XCTAssertTrue(String(decoding: object, as: UTF8.self).contains(section + "\0"), "\(text): no section \(section)")
        }
    }

    func testOneProgramPerBodyAcrossItsMatches() throws {
        try requireRoot()
        for text in [#"tracepoint:syscalls:sys_enter_* { printf("%s\n", probe); }"#,
                     #"kprobe:vfs_* { printf("%s\n", func); }"#,
                     #"uprobe:libc:str* { printf("%s\n", probe); }"#,
                     #"usdt:/usr/bin/python3:* { printf("%s\n", probe); }"#] {
            let manifest = try compile(text).manifest
            XCTAssertEqual(manifest.programs.count, 1, text)
            XCTAssertGreaterThan(manifest.programs.first?.attachPoints.count ?? 0, 5, text)
            // Each attach point has its own cookie, which keys its names in probe_strings.
            let program = try XCTUnwrap(manifest.programs.first)
            XCTAssertEqual(Set(program.cookies).count, program.attachPoints.count, text)
            let strings = try XCTUnwrap(manifest.probeStrings, text)
            XCTAssertEqual(strings.entries.count, 2 * program.attachPoints.count)
            XCTAssertEqual(strings.entries.first { $0.key == UInt32(program.cookies[1] * 2) }?.text,
                           program.attachPoints[1].description)
        }
        // fentry programs are bound to one function each.
        let fentry = try compile("fentry:vfs_read* { }").manifest
        XCTAssertGreaterThan(fentry.programs.count, 1)
        XCTAssertTrue(fentry.programs.allSatisfy { $0.attachPoints.count == 1 })
    }

    func testUSDTProgramsCarryLibbpfsSpecMaps() throws {
        try requireRoot()
        let ir = try XCTUnwrap(try compile(#"usdt:/usr/bin/python3:python:gc__start { printf("%d\n", arg0); }"#).llvmIR)
        XCTAssertTrue(ir.contains("@__bpf_usdt_specs"), "libbpf attaches USDT only with its spec map")
        XCTAssertTrue(ir.contains("@__bpf_usdt_ip_to_spec_id"))
        XCTAssertTrue(ir.contains("inttoptr (i64 174"), "the spec id arrives as the BPF cookie (bpf_get_attach_cookie)")
        // Even a body that reads no argument needs the maps.
        let bare = try XCTUnwrap(try compile("usdt:/usr/bin/python3:python:gc__start { }").llvmIR)
        XCTAssertTrue(bare.contains("@__bpf_usdt_specs"))
    }
}

/// Ends a test helper after it has recorded a failure (not a skip: the test failed).
private struct StoppedAfterFailure: Error {}
