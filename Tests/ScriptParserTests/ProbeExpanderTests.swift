import XCTest
@testable import ScriptParser

/// Attach points of every probe type, as written → concrete attach points (their bpftrace probe
/// names), against `ProbeFixtureCatalog`; and the located errors for what does not exist.
final class ProbeExpanderTests: XCTestCase {
    private let catalog = ProbeFixtureCatalog()

    /// The probe names `spec` expands to, or the error's message (and hint) when it fails.
    private func expand(_ spec: String) -> [String] {
        let (program, diagnostics) = Parser.parse(SourceFile(name: "t", text: "\(spec) { }"))
        guard !diagnostics.hasErrors, let ap = program.probes.first?.attachPoints.first else {
            return ["parse error: \(diagnostics.items.map(\.message))"]
        }
        switch ProbeExpander(catalog: catalog).expand(ap) {
        case .success(let aps): return aps.map(\.description)
        case .failure(let d): return ["\(d.severity.rawValue): \(d.message)"] + d.notes
        }
    }

    func testEveryProbeTypeAndAlias() {
        let cases: [(String, [String])] = [
            ("BEGIN", ["BEGIN"]), ("END", ["END"]),
            ("tracepoint:sched:sched_switch", ["tracepoint:sched:sched_switch"]),
            ("t:sched:sched_switch", ["tracepoint:sched:sched_switch"]),
            ("rawtracepoint:sched_switch", ["rawtracepoint:sched_switch"]),
            ("rt:sys_enter", ["rawtracepoint:sys_enter"]),
            ("rawtracepoint:vmlinux:sched_switch", ["rawtracepoint:sched_switch"]),
            ("kprobe:vfs_read", ["kprobe:vfs_read"]),
            ("k:vfs_read", ["kprobe:vfs_read"]),
            ("kprobe:vfs_read+16", ["kprobe:vfs_read+16"]),
            ("kprobe:vfs_read+0x10", ["kprobe:vfs_read+16"]),
            ("kprobe:ext4:ext4_file_open", ["kprobe:ext4:ext4_file_open"]),
            ("kretprobe:vfs_read", ["kretprobe:vfs_read"]),
            ("kr:vfs_read", ["kretprobe:vfs_read"]),
            ("fentry:vfs_read", ["kfunc:vmlinux:vfs_read"]),
            ("f:vfs_read", ["kfunc:vmlinux:vfs_read"]),
            ("kfunc:vfs_read", ["kfunc:vmlinux:vfs_read"]),
            ("kfunc:vmlinux:vfs_read", ["kfunc:vmlinux:vfs_read"]),
            ("fexit:vfs_read", ["kretfunc:vmlinux:vfs_read"]),
            ("fr:vfs_read", ["kretfunc:vmlinux:vfs_read"]),
            ("kretfunc:vfs_read", ["kretfunc:vmlinux:vfs_read"]),
            ("uprobe:/usr/bin/app:main", ["uprobe:/usr/bin/app:main"]),
            ("u:app:helper", ["uprobe:/usr/bin/app:helper"]),
            ("uprobe:/usr/bin/app:main+8", ["uprobe:/usr/bin/app:main+8"]),
            ("uprobe:/usr/bin/app:0x1024", ["uprobe:/usr/bin/app:0x1024"]),
            ("uprobe:libc:malloc", ["uprobe:/lib/x86_64-linux-gnu/libc.so.6:malloc"]),
            ("uretprobe:libc:malloc", ["uretprobe:/lib/x86_64-linux-gnu/libc.so.6:malloc"]),
            ("ur:/usr/bin/app:main", ["uretprobe:/usr/bin/app:main"]),
            (#"uprobe:"/usr/bin/app":main"#, ["uprobe:/usr/bin/app:main"]),
            ("usdt:/usr/bin/app:app:request", ["usdt:/usr/bin/app:app:request"]),
            ("U:/usr/bin/app:request", ["usdt:/usr/bin/app:app:request"]),
            ("profile:hz:99", ["profile:hz:99"]), ("p:ms:10", ["profile:ms:10"]),
            ("interval:s:1", ["interval:s:1"]), ("i:us:500", ["interval:us:500"]),
            ("interval:hz:2", ["interval:hz:2"]),
            ("software:faults", ["software:faults:100"]),
            ("software:page-faults:10", ["software:page-faults:10"]),
            ("s:cs", ["software:cs:1000"]), ("s:cpu-clock:", ["software:cpu-clock:1000000"]),
            ("software:major-faults:1e3", ["software:major-faults:1000"]),
            ("hardware:cycles", ["hardware:cycles:1000000"]),
            ("h:cache-misses:1000", ["hardware:cache-misses:1000"]),
            ("hardware:branches", ["hardware:branches:100000"]),
        ]
        for (spec, expected) in cases {
            XCTAssertEqual(expand(spec), expected, spec)
        }
    }

    func testWildcardsExpandSortedFromTheirLists() {
        XCTAssertEqual(expand("kprobe:vfs_*"), ["kprobe:vfs_read", "kprobe:vfs_readv", "kprobe:vfs_write"])
        XCTAssertEqual(expand("kprobe:*:ext4_*"), ["kprobe:ext4:ext4_file_open"])
        XCTAssertEqual(expand("kretprobe:vfs_read?"), ["kretprobe:vfs_readv"])
        XCTAssertEqual(expand("fentry:vfs_*"), ["kfunc:vmlinux:vfs_read", "kfunc:vmlinux:vfs_write"])
        XCTAssertEqual(expand("rawtracepoint:sched_*"), ["rawtracepoint:sched_switch", "rawtracepoint:sched_wakeup"])
        XCTAssertEqual(expand("uprobe:/usr/bin/app:h*"), ["uprobe:/usr/bin/app:handle_request", "uprobe:/usr/bin/app:helper"])
        XCTAssertEqual(expand("usdt:/usr/bin/app:*"),
                       ["usdt:/usr/bin/app:app:request", "usdt:/usr/bin/app:app:start", "usdt:/usr/bin/app:other:tick"])
        XCTAssertEqual(expand("usdt:/usr/bin/app:app:*"), ["usdt:/usr/bin/app:app:request", "usdt:/usr/bin/app:app:start"])
        XCTAssertEqual(expand("software:*-faults"),
                       ["software:alignment-faults:1", "software:emulation-faults:1", "software:major-faults:1",
                        "software:minor-faults:100", "software:page-faults:100"])
        XCTAssertEqual(expand("tracepoint:syscalls:sys_*_read"),
                       ["tracepoint:syscalls:sys_enter_read", "tracepoint:syscalls:sys_exit_read"])
    }

    func testMissingTargetsAreLocatedErrorsWithSuggestions() {
        let cases: [(String, [String])] = [
            ("kprobe:vfs_raed", ["WARNING: vfs_raed is not traceable (either non-existing, inlined, or marked as \"notrace\"); attaching to it will likely fail", "HINT: did you mean 'kprobe:vfs_read'?"]),
            ("kprobe:vfs_raed*", ["ERROR: No probes matched: kprobe:vfs_raed*", "HINT: did you mean 'kprobe:vfs_read'?"]),
            ("fentry:vfs_wirte", ["ERROR: kernel function with BTF not found: vfs_wirte", "HINT: did you mean 'fentry:vfs_write'?"]),
            ("fexit:nothing_like_it*", ["ERROR: No probes matched: fexit:nothing_like_it*"]),
            ("rawtracepoint:sched_swich", ["ERROR: raw tracepoint not found: sched_swich", "HINT: did you mean 'rawtracepoint:sched_switch'?"]),
            ("rt:sys_entr*", ["ERROR: No probes matched: rt:sys_entr*", "HINT: did you mean 'rawtracepoint:sys_enter'?"]),
            ("uprobe:/usr/bin/nope:main", ["ERROR: uprobe target file '/usr/bin/nope' does not exist or is not executable"]),
            ("uprobe:/etc/passwd:main", ["ERROR: /etc/passwd is not an ELF file"]),
            ("uprobe:/usr/bin/app:mian", ["ERROR: function 'mian' not found in /usr/bin/app", "HINT: did you mean 'uprobe:/usr/bin/app:main'?"]),
            ("uprobe:/usr/bin/app:hepler*", ["ERROR: No probes matched: uprobe:/usr/bin/app:hepler*", "HINT: did you mean 'uprobe:/usr/bin/app:helper'?"]),
            ("uprobe:/usr/bin/app:0x9999", ["ERROR: Could not resolve address: /usr/bin/app:0x9999"]),
            ("uprobe:/usr/bin/ap*:main", ["ERROR: Wildcards are not allowed in the binary of uprobe:/usr/bin/ap*:main"]),
            ("usdt:/usr/bin/app:app:reqest", ["ERROR: USDT probe 'app:reqest' not found in /usr/bin/app", "HINT: did you mean 'usdt:/usr/bin/app:app:request'?"]),
            ("usdt:/usr/bin/app:tik", ["ERROR: USDT probe 'tik' not found in /usr/bin/app", "HINT: did you mean 'usdt:/usr/bin/app:tick'?"]),
            ("usdt:/usr/bin/nope:x", ["ERROR: usdt target file '/usr/bin/nope' does not exist or is not executable"]),
            ("software:faultz", ["ERROR: faultz is not a software probe", "HINT: did you mean 'faults'?"]),
            ("hardware:cycels:10", ["ERROR: cycels is not a hardware probe", "HINT: did you mean 'cycles'?"]),
            ("software:*nothing*", ["ERROR: No probes matched: software:*nothing*"]),
            ("tracepoint:sched:sched_swich*", ["ERROR: No probes matched: tracepoint:sched:sched_swich*",
                                                "HINT: did you mean 'tracepoint:sched:sched_switch'?"]),
            ("kpobe:vfs_read", ["ERROR: Invalid probe type: kpobe", "HINT: did you mean 'kprobe'?"]),
        ]
        for (spec, expected) in cases {
            XCTAssertEqual(expand(spec), expected, spec)
        }
    }

    func testMalformedAttachPoints() {
        let cases: [(String, String)] = [
            ("kprobe", "ERROR: kprobe probe type requires 1 or 2 arguments"),
            ("kprobe:a:b:c", "ERROR: kprobe probe type requires 1 or 2 arguments"),
            ("kprobe:vfs_read+x", "ERROR: Invalid offset in kprobe:vfs_read+x"),
            ("kprobe:vfs_*+8", "ERROR: Offset not allowed with a wildcard: kprobe:vfs_*+8"),
            ("kretprobe:vfs_read+8", "ERROR: kretprobe cannot take an offset: it fires on return"),
            ("uretprobe:/usr/bin/app:main+4", "ERROR: uretprobe cannot take an offset: it fires on return"),
            ("uretprobe:/usr/bin/app:0x1024", "ERROR: uretprobe must be at a function's start, not inside main"),
            ("uprobe:/usr/bin/app", "ERROR: uprobe probe type requires 2 arguments"),
            ("usdt:/usr/bin/app", "ERROR: usdt probe type requires 2 or 3 arguments"),
            ("rawtracepoint:a:b:c", "ERROR: rawtracepoint probe type requires 1 argument"),
            ("fentry", "ERROR: fentry probe type requires 1 or 2 arguments"),
            ("profile:hz", "ERROR: profile probe type requires 2 arguments"),
            ("profile:hz:0", "ERROR: profile probe needs a positive integer, not '0'"),
            ("interval:s:99999999999999", "ERROR: interval is too long"),
            ("software", "ERROR: software probe type requires 1 or 2 arguments"),
            ("software:faults:x", "ERROR: software probe count must be a positive integer, not 'x'"),
            ("BEGIN:x", "ERROR: BEGIN probe type takes no arguments"),
        ]
        for (spec, expected) in cases {
            XCTAssertEqual(expand(spec).first, expected, spec)
        }
    }

    func testUserFunctionLocations() {
        let (program, _) = Parser.parse(SourceFile(name: "t", text: "uprobe:/usr/bin/app:0x1024 { }"))
        guard let ap = program.probes.first?.attachPoints.first,
              case .success(let resolved) = ProbeExpander(catalog: catalog).expand(ap),
              case .uprobe(let u)? = resolved.first else {
            return XCTFail("no uprobe")
        }
        // The address becomes its function plus an offset, which libbpf can place.
        XCTAssertEqual(u, UserFunction(binary: "/usr/bin/app", symbol: "main", offset: 0x24, address: 0x1024))
        XCTAssertEqual(resolved.first?.functionName, "main")
    }
}
