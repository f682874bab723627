import Foundation
import Glibc
import XCTest

/// Every kind of user error prints a located message (`FILE:L:C-C: ERROR: msg`, the source line,
/// a `~` underline, maybe a HINT), exits 1 and loads nothing into the kernel.
///
/// The expected texts are bpftrace 0.17's where bpftrace prints the same thing, and swtrace's own
/// where it differs and is at least as clear (each such case says so). Where bpftrace's text is
/// clearer, the case expects bpftrace's.
final class ErrorTests: XCTestCase {
    /// One script, what swtrace must print on stderr, and whether typing it reads tracefs.
    struct Case {
        let script: String
        let stderr: String
        var needsTracefs = false
        let line: UInt
        init(_ script: String, needsTracefs: Bool = false, line: UInt = #line, _ stderr: String) {
            self.script = script
            self.stderr = stderr
            self.needsTracefs = needsTracefs
            self.line = line
        }
    }

    /// Runs each case with `-e`: exit status 1, nothing on stdout, exactly `stderr`, and, run
    /// again with `-v`, no sign of libbpf loading anything.
    private func check(_ cases: [Case]) throws {
        if cases.contains(where: \.needsTracefs) {
            try XCTSkipUnless(getuid() == 0, "needs root to read tracepoint formats from tracefs")
        }
        for c in cases {
            // Short timeout: a script wrongly accepted would otherwise trace until killed.
            let result = try runSwtrace(["-e", c.script], timeout: 10)
            XCTAssertEqual(result.status, 1, "\(c.script)\n\(result)", line: c.line)
            XCTAssertEqual(result.stdout, "", c.script, line: c.line)
            XCTAssertEqual(result.stderr, c.stderr, "for: \(c.script)", line: c.line)
            let verbose = try runSwtrace(["-v", "-e", c.script], timeout: 10)
            XCTAssertEqual(verbose.status, 1, c.script, line: c.line)
            XCTAssertFalse(verbose.stderr.contains("libbpf:"), "an erroneous script reached libbpf: \(c.script)\n\(verbose.stderr)", line: c.line)
            XCTAssertFalse(verbose.stderr.contains("Attached"), c.script, line: c.line)
        }
    }

    // MARK: Probes

    func testUnknownTracepointWithHint() throws {
        try check([
            Case("t:syscalls:sys_enter_execv { }", needsTracefs: true, """
                stdin:1:1-27: ERROR: tracepoint not found: syscalls:sys_enter_execv
                t:syscalls:sys_enter_execv { }
                ~~~~~~~~~~~~~~~~~~~~~~~~~~
                HINT: did you mean 'syscalls:sys_enter_execve'?

                """),
            Case("tracepoint:sched:sched_process_exex { printf(\"x\\n\"); }", needsTracefs: true, """
                stdin:1:1-36: ERROR: tracepoint not found: sched:sched_process_exex
                tracepoint:sched:sched_process_exex { printf("x\\n"); }
                ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
                HINT: did you mean 'sched:sched_process_exec'?

                """),
        ])
    }

    func testUnknownTracepointWithoutHint() throws {
        try check([
            Case("t:syscalls:sys_enter_nonexistent_xyz { }", needsTracefs: true, """
                stdin:1:1-37: ERROR: tracepoint not found: syscalls:sys_enter_nonexistent_xyz
                t:syscalls:sys_enter_nonexistent_xyz { }
                ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

                """),
            // bpftrace 0.17: "ERROR: tracepoints not found: nosuchcat:*" (as clear).
            Case("t:nosuchcat:* { }", needsTracefs: true, """
                stdin:1:1-14: ERROR: No probes matched: t:nosuchcat:*
                t:nosuchcat:* { }
                ~~~~~~~~~~~~~

                """),
        ])
    }

    func testInvalidProbes() throws {
        try check([
            // bpftrace 0.17: "FATAL: Invalid probe type made it to attachpoint parser", unlocated.
            Case("foo:bar { }", """
                stdin:1:1-8: ERROR: Invalid probe type: foo
                foo:bar { }
                ~~~~~~~

                """),
            // bpftrace 0.17: "ERROR: xs is not an accepted unit of time" (no hint).
            Case("interval:xs:1 { }", """
                stdin:1:1-14: ERROR: Invalid unit xs for interval probe
                interval:xs:1 { }
                ~~~~~~~~~~~~~
                HINT: did you mean 'ms'?

                """),
            Case("interval:ms { }", """
                stdin:1:1-12: ERROR: interval probe type requires 2 arguments
                interval:ms { }
                ~~~~~~~~~~~

                """),
        ])
    }

    func testFieldTheTracepointLacks() throws {
        try check([
            Case(#"t:syscalls:sys_enter_execve { printf("%s\n", args->nosuch); }"#, needsTracefs: true, """
                stdin:1:46-58: ERROR: Struct/union of type 'struct _tracepoint_syscalls_sys_enter_execve' does not contain a field named 'nosuch'
                t:syscalls:sys_enter_execve { printf("%s\\n", args->nosuch); }
                                                             ~~~~~~~~~~~~

                """),
            // bpftrace 0.17 underlines from `str(` and adds a second error about str()'s argument.
            Case(#"t:syscalls:sys_enter_execve { printf("%s\n", str(args->filenam)); }"#, needsTracefs: true, """
                stdin:1:50-63: ERROR: Struct/union of type 'struct _tracepoint_syscalls_sys_enter_execve' does not contain a field named 'filenam'
                t:syscalls:sys_enter_execve { printf("%s\\n", str(args->filenam)); }
                                                                 ~~~~~~~~~~~~~
                HINT: did you mean 'filename'?

                """),
            // bpftrace 0.17: "The args builtin can only be used with tracepoint/kfunc/uprobeprobes (special used here)".
            Case(#"BEGIN { join(args->argv); }"#, """
                stdin:1:14-18: ERROR: The args builtin can only be used with tracepoint probes (BEGIN used here)
                BEGIN { join(args->argv); }
                             ~~~~

                """),
        ])
    }

    // MARK: Calls

    func testWrongNumberOfCallArguments() throws {
        try check([
            // bpftrace 0.17: "printf() requires at least one argument (0 provided)".
            Case(#"BEGIN { printf(); }"#, """
                stdin:1:9-17: ERROR: printf() requires at least 1 argument (0 provided)
                BEGIN { printf(); }
                        ~~~~~~~~

                """),
            // bpftrace 0.17: "str() requires at least one argument (0 provided)".
            Case(#"BEGIN { str(); }"#, """
                stdin:1:9-14: ERROR: str() requires 1 to 2 arguments (0 provided)
                BEGIN { str(); }
                        ~~~~~

                """),
            // bpftrace 0.17: "str() takes up to 2 arguments (3 provided)".
            Case(#"BEGIN { str(1, 2, 3); }"#, """
                stdin:1:9-21: ERROR: str() requires 1 to 2 arguments (3 provided)
                BEGIN { str(1, 2, 3); }
                        ~~~~~~~~~~~~

                """),
            // bpftrace 0.17 (whose exit() takes no code): "exit() requires no arguments (2 provided)".
            Case(#"BEGIN { exit(1, 2); }"#, """
                stdin:1:9-19: ERROR: exit() requires 0 to 1 argument (2 provided)
                BEGIN { exit(1, 2); }
                        ~~~~~~~~~~

                """),
        ])
    }

    func testWrongTypesOfCallArguments() throws {
        try check([
            Case(#"BEGIN { printf(5); }"#, """
                stdin:1:9-18: ERROR: printf() expects a string literal (integer provided)
                BEGIN { printf(5); }
                        ~~~~~~~~~

                """),
            // bpftrace 0.17: "str() only supports integer arguments (string provided)", underlining the call.
            Case(#"BEGIN { str(1, "x"); }"#, """
                stdin:1:16-19: ERROR: str() expects a positive integer literal as its length
                BEGIN { str(1, "x"); }
                               ~~~

                """),
            // bpftrace 0.17: "join() expects a string literal (integer provided)", underlining the call.
            Case(#"t:syscalls:sys_enter_execve { join(args->argv, 1); }"#, needsTracefs: true, """
                stdin:1:48-49: ERROR: join() expects a string literal as its separator
                t:syscalls:sys_enter_execve { join(args->argv, 1); }
                                                               ~

                """),
        ])
    }

    /// A string literal is not an address to read a string from: bpftrace 0.17 rejects
    /// `str("abc")` with this text (swtrace accepts it today).
    func testStrOfAStringIsAnError() throws {
        try check([
            Case(#"BEGIN { str("abc"); exit(); }"#, """
                stdin:1:9-19: ERROR: str() expects an integer or a pointer type as first argument (string[4] provided)
                BEGIN { str("abc"); exit(); }
                        ~~~~~~~~~~

                """),
        ])
    }

    func testPrintfConversionArgumentMismatches() throws {
        try check([
            Case(#"BEGIN { printf("%d\n"); }"#, """
                stdin:1:9-23: ERROR: printf: Not enough arguments for format string (0 supplied, 1 expected)
                BEGIN { printf("%d\\n"); }
                        ~~~~~~~~~~~~~~

                """),
            Case(#"BEGIN { printf("%d\n", 1, 2); }"#, """
                stdin:1:9-29: ERROR: printf: Too many arguments for format string (2 supplied, 1 expected)
                BEGIN { printf("%d\\n", 1, 2); }
                        ~~~~~~~~~~~~~~~~~~~~

                """),
            Case(#"BEGIN { printf("%d\n", "str"); }"#, """
                stdin:1:9-30: ERROR: printf: %d specifier expects a value of type integer (string supplied)
                BEGIN { printf("%d\\n", "str"); }
                        ~~~~~~~~~~~~~~~~~~~~~

                """),
            Case(#"BEGIN { printf("%s\n", 5); }"#, """
                stdin:1:9-26: ERROR: printf: %s specifier expects a value of type string (integer supplied)
                BEGIN { printf("%s\\n", 5); }
                        ~~~~~~~~~~~~~~~~~

                """),
            Case(#"BEGIN { printf("%d\n", comm); }"#, """
                stdin:1:9-29: ERROR: printf: %d specifier expects a value of type integer (string supplied)
                BEGIN { printf("%d\\n", comm); }
                        ~~~~~~~~~~~~~~~~~~~~

                """),
            // bpftrace 0.17 says "(integer supplied)" for the pointer.
            Case(#"t:syscalls:sys_enter_execve { printf("%s\n", args->argv); }"#, needsTracefs: true, """
                stdin:1:31-57: ERROR: printf: %s specifier expects a value of type string (pointer supplied)
                t:syscalls:sys_enter_execve { printf("%s\\n", args->argv); }
                                              ~~~~~~~~~~~~~~~~~~~~~~~~~~

                """),
            // An unknown conversion is not a conversion: nothing to take the argument.
            Case(#"BEGIN { printf("%q\n", 5); }"#, """
                stdin:1:9-26: ERROR: printf: Too many arguments for format string (1 supplied, 0 expected)
                BEGIN { printf("%q\\n", 5); }
                        ~~~~~~~~~~~~~~~~~

                """),
        ])
    }

    func testUnknownFunction() throws {
        try check([
            Case(#"BEGIN { foo(1); }"#, """
                stdin:1:9-12: ERROR: Unknown function: foo
                BEGIN { foo(1); }
                        ~~~

                """),
        ])
    }

    func testUnknownIdentifierAndVariable() throws {
        try check([
            Case(#"BEGIN { printf("%d\n", foo); }"#, """
                stdin:1:24-27: ERROR: Unknown identifier: 'foo'
                BEGIN { printf("%d\\n", foo); }
                                       ~~~

                """),
            Case(#"BEGIN { printf("%d\n", pdi); }"#, """
                stdin:1:24-27: ERROR: Unknown identifier: 'pdi'
                BEGIN { printf("%d\\n", pdi); }
                                       ~~~
                HINT: did you mean 'pid'?

                """),
            Case(#"BEGIN { printf("%d\n", $x); }"#, """
                stdin:1:24-26: ERROR: Undefined or undeclared variable: $x
                BEGIN { printf("%d\\n", $x); }
                                       ~~

                """),
        ])
    }

    func testTypeMismatches() throws {
        try check([
            // bpftrace 0.17 starts the range one column early, at the `(` of the if.
            Case(#"BEGIN { if (comm == 1) { } }"#, """
                stdin:1:13-22: ERROR: Type mismatch for '==': comparing 'string[16]' with 'int64'
                BEGIN { if (comm == 1) { } }
                            ~~~~~~~~~

                """),
            // bpftrace 0.17 underlines only the `=`.
            Case(#"BEGIN { $x = 1; $x = "s"; printf("%d\n", $x); }"#, """
                stdin:1:17-25: ERROR: Type mismatch for $x: trying to assign value of type 'string[2]' when variable already contains a value of type 'int64'
                BEGIN { $x = 1; $x = "s"; printf("%d\\n", $x); }
                                ~~~~~~~~

                """),
            // bpftrace 0.17: "Invalid type for predicate: string", underlining `/comm/`.
            Case(#"t:syscalls:sys_enter_execve /comm/ { }"#, needsTracefs: true, """
                stdin:1:30-34: ERROR: Invalid type for predicate: string[16]
                t:syscalls:sys_enter_execve /comm/ { }
                                             ~~~~

                """),
        ])
    }

    // MARK: Syntax

    func testSyntaxErrors() throws {
        try check([
            Case(#"BEGIN { 1 + ; }"#, """
                stdin:1:13-14: ERROR: syntax error, unexpected ;
                BEGIN { 1 + ; }
                            ~

                """),
            // bpftrace 0.17: "stdin:1:24-24: ... expecting }" with an empty underline.
            Case(#"BEGIN { printf("hi\n") "#, """
                stdin:1:23-24: ERROR: syntax error, unexpected end of file, expecting }
                BEGIN { printf("hi\\n") 
                                      ~

                """),
            // bpftrace 0.17: "unexpected (, expecting {", underlining `printf(`.
            Case(#"BEGIN printf("x"); }"#, """
                stdin:1:7-13: ERROR: syntax error, unexpected printf, expecting {
                BEGIN printf("x"); }
                      ~~~~~~

                """),
        ])
    }

    /// `else` may be followed by `if`: bpftrace 0.17 says so, swtrace only says `{`.
    func testSyntaxErrorAfterElseListsIf() throws {
        try check([
            Case(#"BEGIN { if (1) { } else }"#, """
                stdin:1:25-26: ERROR: syntax error, unexpected }, expecting { or if
                BEGIN { if (1) { } else }
                                        ~

                """),
        ])
    }

    /// The front end reports every error it finds, not just the first (bpftrace 0.17 stops at one).
    func testSeveralErrorsReportedTogether() throws {
        try check([
            Case(#"BEGIN { foo(); printf("%d\n", bar); }"#, """
                stdin:1:9-12: ERROR: Unknown function: foo
                BEGIN { foo(); printf("%d\\n", bar); }
                        ~~~
                stdin:1:31-34: ERROR: Unknown identifier: 'bar'
                BEGIN { foo(); printf("%d\\n", bar); }
                                              ~~~

                """),
        ])
    }

    // MARK: Script files

    func testErrorInAScriptFileNamesTheFileAndLine() throws {
        let path = temporaryPath(".st")
        try """
            // a comment
            BEGIN {
            \tprintf("%d\\n", nosuch);
            }

            """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runSwtrace([path])
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, """
            \(path):3:17-23: ERROR: Unknown identifier: 'nosuch'
            \tprintf("%d\\n", nosuch);
            \t               ~~~~~~

            """)
    }

    /// bpftrace 0.17: "ERROR: failed to open file '/…': No such file or directory" (as clear).
    func testMissingScriptFile() throws {
        let path = temporaryPath(".st")
        let result = try runSwtrace([path])
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "ERROR: failed to open file '\(path)': No such file or directory\n")
    }

    /// bpftrace 0.17 prints "Log: cannot resolve location before calling set_source()" and a parse error.
    /// A struct that redefines a kernel type replaces it: struct members it holds by value must
    /// be defined in the script unless the script reaches them through the kernel's own
    /// definition (bpftrace: clang's "field has incomplete type"). Accepted shapes are in
    /// Scripts/language/preamble_shadowing.st.
    func testRedefinedKernelTypeWithAnIncompleteMember() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux"), "needs kernel BTF")
        try check([
            Case(#"struct task_struct { struct thread_info x; } BEGIN { printf("%d\n", curtask->x.status); }"#, """
                stdin:1:22-42: ERROR: Field 'x' has incomplete type 'struct thread_info': struct task_struct redefines the kernel's type, so the types it holds by value must be defined in the script as well
                struct task_struct { struct thread_info x; } BEGIN { printf("%d\\n", curtask->x.status); }
                                     ~~~~~~~~~~~~~~~~~~~~

                """),
            Case(#"struct file { int x; struct path f_path; } BEGIN { printf("%d\n", ((struct file *)0)->x); }"#, """
                stdin:1:22-40: ERROR: Field 'f_path' has incomplete type 'struct path': struct file redefines the kernel's type, so the types it holds by value must be defined in the script as well
                struct file { int x; struct path f_path; } BEGIN { printf("%d\\n", ((struct file *)0)->x); }
                                     ~~~~~~~~~~~~~~~~~~

                """),
        ])
    }

    func testDirectoryAsScriptFile() throws {
        let result = try runSwtrace([SwtraceRunner.temporaryFolder])
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.stderr, "ERROR: could not read \(SwtraceRunner.temporaryFolder): Is a directory\n")
    }

    func testUnreadableScriptFile() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to run swtrace as another user")
        let path = temporaryPath(".st")
        try "BEGIN { exit(); }\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        let result = try runSwtrace([path], user: "nobody")
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "ERROR: failed to open file '\(path)': Permission denied\n")
    }

    // MARK: The kernel says no

    /// A program the verifier rejects: one located sentence naming the probe, exit 1, no crash.
    /// bpftrace 0.17: "ERROR: Error loading program: BEGIN (try -v)".
    /// The loop never ends: its `if` test steps the counter back. swtrace would run it through
    /// `bpf_loop`; SWTRACE_PLAIN_LOOPS=1 leaves it to the verifier as a plain loop, as bpftrace
    /// does (the checker refuses `while (1) { }` itself, below).
    func testVerifierRejectionNamesTheProbe() throws {
        try requireRoot()
        let result = try runSwtrace(["SWTRACE_PLAIN_LOOPS=1", SwtraceRunner.binaryPath, "--dry-run", "-e",
                                     "BEGIN { $i = 0; while ($i < 10) { $i++; if ($i-- % 2 == 0) { continue; } if ($i > 7) { break; } } }"],
                                    executable: "/usr/bin/env")
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.hasPrefix("ERROR: the kernel's BPF verifier rejected probe BEGIN at stdin:1"), result.stderr)
        XCTAssertTrue(result.stderr.contains("infinite loop"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "more than one line:\n\(result.stderr)")
    }

    /// A loop the verifier is sure to refuse is a located error before anything is loaded.
    func testEndlessLoopIsALocatedError() throws {
        let result = try runSwtrace(["--dry-run", "-e", "BEGIN { while (1) { } }"])
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, """
            stdin:1:16-17: ERROR: this loop never ends: its condition is always true and it has no break, return or exit()
            BEGIN { while (1) { } }
                           ~

            """)
    }

    /// Runs `script` as nobody: exit 1, nothing on stdout, one line on stderr naming root and CAP_BPF.
    private func checkRefusedAsNobody(_ script: String, line: UInt = #line) throws {
        try XCTSkipUnless(getuid() == 0, "needs root to run swtrace as another user")
        let result = try runSwtrace(["-e", script], user: "nobody")
        XCTAssertEqual(result.status, 1, "as nobody: \(result)", line: line)
        XCTAssertEqual(result.stdout, "", line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "as nobody, expected one line, got:\n\(excerpt(result.stderr))", line: line)
        let message = String(lines.first ?? "")
        XCTAssertTrue(message.contains("root") && message.contains("CAP_BPF"),
                      "as nobody, the message does not mention root and CAP_BPF: \(message)", line: line)
    }

    /// Run by an ordinary user, a valid script fails with one sentence about root/CAP_BPF
    /// (bpftrace 0.17: "ERROR: bpftrace currently only supports running as the root user.").
    func testNonRootBeginScriptGetsOneSentenceAboutPrivileges() throws {
        try checkRefusedAsNobody(#"BEGIN { printf("hi\n"); exit(); }"#)
    }

    /// The same for a tracepoint, whose format file (in tracefs, mode 0700 for root) nobody
    /// cannot read: that must not read as "tracepoint not found".
    func testNonRootTracepointScriptGetsOneSentenceAboutPrivileges() throws {
        try checkRefusedAsNobody(ExecTracingTests.execOneLiner)
    }
}
