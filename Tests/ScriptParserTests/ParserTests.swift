import XCTest
@testable import ScriptParser

final class ParserTests: XCTestCase {
    // MARK: - Helpers

    /// The S-expression of `source` parsed as one expression; fails the test on any error.
    private func expr(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let (parsed, diagnostics) = Parser.parseExpression(SourceFile(name: "e", text: source))
        XCTAssertEqual(diagnostics.items.map(\.message), [], source, file: file, line: line)
        return parsed.map(SExpression.expr) ?? "<nil>"
    }

    /// The S-expressions of the statements of `BEGIN { body }`; fails the test on any error.
    private func stmts(_ body: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let program = parse("BEGIN { \(body) }", file: file, line: line)
        return program.probes.first.map { $0.body.statements.map(SExpression.stmt).joined(separator: " ") } ?? "<no probe>"
    }

    private func parse(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> Program {
        let (program, diagnostics) = Parser.parse(SourceFile(name: "t.st", text: source))
        XCTAssertEqual(diagnostics.items.map(\.message), [], source, file: file, line: line)
        return program
    }

    /// `L:C-C: message` for every diagnostic of `source`.
    private func errors(_ source: String) -> [String] {
        let file = SourceFile(name: "t.st", text: source)
        let (_, diagnostics) = Parser.parse(file)
        return diagnostics.items.map { d in
            let rendered = DiagnosticRenderer.render(d, in: file)
            let firstLine = rendered.prefix { $0 != "\n" }
            return String(firstLine.dropFirst("t.st:".count)).replacingOccurrences(of: " ERROR: ", with: " ")
        }
    }

    // MARK: - Literals and primaries

    func testLiterals() {
        XCTAssertEqual(expr("42"), "(integer 42)")
        XCTAssertEqual(expr("0x10"), "(integer 16)")
        XCTAssertEqual(expr("1_000"), "(integer 1000)")
        XCTAssertEqual(expr("2e3"), "(integer 2000)")
        XCTAssertEqual(expr(#""a\tb\x01""#), #"(string "a\tb\x01")"#)
        XCTAssertEqual(expr("pid"), "(identifier pid)")
        XCTAssertEqual(expr("arg0"), "(identifier arg0)")
        XCTAssertEqual(expr("$x"), "(variable x)")
        XCTAssertEqual(expr("$1"), "(positional 1)")
        XCTAssertEqual(expr("$#"), "(positional-count)")
    }

    func testMaps() {
        XCTAssertEqual(expr("@"), "(map )")
        XCTAssertEqual(expr("@m"), "(map m)")
        XCTAssertEqual(expr("@m[1]"), "(map m (integer 1))")
        XCTAssertEqual(expr(#"@m[1, "a", $x]"#), #"(map m (integer 1) (string "a") (variable x))"#)
        XCTAssertEqual(expr("@m[(1, 2)]"), "(map m (tuple (integer 1) (integer 2)))")
        XCTAssertEqual(expr("@[comm]"), "(map  (identifier comm))")
        XCTAssertEqual(expr("@m[1][2]"), "(index (map m (integer 1)) (integer 2))")
    }

    func testCalls() {
        XCTAssertEqual(expr("exit()"), "(call exit)")
        XCTAssertEqual(expr(#"printf("%d\n", $x)"#), #"(call printf (string "%d\n") (variable x))"#)
        XCTAssertEqual(expr("str(args->filename)"), "(call str (-> (identifier args) filename))")
        XCTAssertEqual(expr("hist(retval / 2)"), "(call hist (binary / (identifier retval) (integer 2)))")
        XCTAssertEqual(expr("kstack(perf, 3)"), "(call kstack (identifier perf) (integer 3))")
    }

    func testPostfixChains() {
        XCTAssertEqual(expr("a.b.c"), "(. (. (identifier a) b) c)")
        XCTAssertEqual(expr("a->b->c"), "(-> (-> (identifier a) b) c)")
        XCTAssertEqual(expr("args.filename"), "(. (identifier args) filename)")
        XCTAssertEqual(expr("$t.0"), "(tuple-element (variable t) 0)")
        XCTAssertEqual(expr("$t.1.0"), "(tuple-element (tuple-element (variable t) 1) 0)")
        XCTAssertEqual(expr("(1, 2).1"), "(tuple-element (tuple (integer 1) (integer 2)) 1)")
        XCTAssertEqual(expr("a[1][2]"), "(index (index (identifier a) (integer 1)) (integer 2))")
        XCTAssertEqual(expr("a->b[3].c"), "(. (index (-> (identifier a) b) (integer 3)) c)")
        XCTAssertEqual(expr("$x++"), "(post++ (variable x))")
        XCTAssertEqual(expr("@m[1]--"), "(post-- (map m (integer 1)))")
        XCTAssertEqual(expr("$p->if"), "(-> (variable p) if)") // a keyword after -> is a field name
    }

    // MARK: - Operators

    private static let levels: [[String]] = [
        ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", "<=", ">", ">="], ["<<", ">>"], ["+", "-"], ["*", "/", "%"],
    ]

    func testEveryOperatorIsLeftAssociative() {
        for op in Self.levels.joined() {
            XCTAssertEqual(expr("1 \(op) 2 \(op) 3"), "(binary \(op) (binary \(op) (integer 1) (integer 2)) (integer 3))", op)
        }
        // Mixed operators of one level associate left too.
        XCTAssertEqual(expr("1 - 2 + 3"), "(binary + (binary - (integer 1) (integer 2)) (integer 3))")
        XCTAssertEqual(expr("1 / 2 * 3 % 4"),
                       "(binary % (binary * (binary / (integer 1) (integer 2)) (integer 3)) (integer 4))")
        XCTAssertEqual(expr("1 < 2 >= 3"), "(binary >= (binary < (integer 1) (integer 2)) (integer 3))")
    }

    func testEveryPrecedencePair() {
        for (low, lowOps) in Self.levels.enumerated() {
            for highOps in Self.levels[(low + 1)...] {
                for a in lowOps {
                    for b in highOps {
                        XCTAssertEqual(expr("1 \(a) 2 \(b) 3"),
                                       "(binary \(a) (integer 1) (binary \(b) (integer 2) (integer 3)))", "\(a) \(b)")
                        XCTAssertEqual(expr("1 \(b) 2 \(a) 3"),
                                       "(binary \(a) (binary \(b) (integer 1) (integer 2)) (integer 3))", "\(b) \(a)")
                    }
                }
            }
        }
    }

    func testParenthesesOverridePrecedence() {
        XCTAssertEqual(expr("(1 + 2) * 3"), "(binary * (binary + (integer 1) (integer 2)) (integer 3))")
        XCTAssertEqual(expr("1 - (2 - 3)"), "(binary - (integer 1) (binary - (integer 2) (integer 3)))")
        XCTAssertEqual(expr("((($x)))"), "(variable x)")
    }

    func testUnaryOperators() {
        XCTAssertEqual(expr("-1"), "(unary - (integer 1))")
        XCTAssertEqual(expr("!$x"), "(unary ! (variable x))")
        XCTAssertEqual(expr("~$x"), "(unary ~ (variable x))")
        XCTAssertEqual(expr("*$p"), "(unary * (variable p))")
        XCTAssertEqual(expr("&$s"), "(unary & (variable s))")
        XCTAssertEqual(expr("- -1"), "(unary - (unary - (integer 1)))")
        XCTAssertEqual(expr("!!$x"), "(unary ! (unary ! (variable x)))")
        XCTAssertEqual(expr("++$x"), "(pre++ (variable x))")
        XCTAssertEqual(expr("--@m[1]"), "(pre-- (map m (integer 1)))")
        // Unary binds tighter than any binary operator, postfix tighter than unary.
        XCTAssertEqual(expr("-1 * 2"), "(binary * (unary - (integer 1)) (integer 2))")
        XCTAssertEqual(expr("!$a && $b"), "(binary && (unary ! (variable a)) (variable b))")
        XCTAssertEqual(expr("*$p + 1"), "(binary + (unary * (variable p)) (integer 1))")
        XCTAssertEqual(expr("1 - -1"), "(binary - (integer 1) (unary - (integer 1)))")
        XCTAssertEqual(expr("-$x++"), "(unary - (post++ (variable x)))")
        XCTAssertEqual(expr("*$p->next"), "(unary * (-> (variable p) next))")
        XCTAssertEqual(expr("&$s.f"), "(unary & (. (variable s) f))")
        XCTAssertEqual(expr("~@m[0]"), "(unary ~ (map m (integer 0)))")
    }

    func testTernary() {
        XCTAssertEqual(expr("$a ? 1 : 2"), "(ternary (variable a) (integer 1) (integer 2))")
        XCTAssertEqual(expr("$a ? 1 : $b ? 2 : 3"),
                       "(ternary (variable a) (integer 1) (ternary (variable b) (integer 2) (integer 3)))")
        XCTAssertEqual(expr("$a ? $b ? 1 : 2 : 3"),
                       "(ternary (variable a) (ternary (variable b) (integer 1) (integer 2)) (integer 3))")
        XCTAssertEqual(expr("$a || $b ? 1 + 2 : 3"),
                       "(ternary (binary || (variable a) (variable b)) (binary + (integer 1) (integer 2)) (integer 3))")
        XCTAssertEqual(expr("($a ? 1 : 2) + 3"),
                       "(binary + (ternary (variable a) (integer 1) (integer 2)) (integer 3))")
    }

    // MARK: - Casts, tuples, sizeof, offsetof

    func testCasts() {
        XCTAssertEqual(expr("(uint32)$x"), "(cast <uint32> (variable x))")
        XCTAssertEqual(expr("(int8)-1"), "(cast <int8> (unary - (integer 1)))")
        XCTAssertEqual(expr("(struct task_struct *)curtask"), "(cast <struct task_struct *> (identifier curtask))")
        XCTAssertEqual(expr("(struct sock **)arg0"), "(cast <struct sock **> (identifier arg0))")
        XCTAssertEqual(expr("(union u)$x"), "(cast <union u> (variable x))")
        XCTAssertEqual(expr("(enum e)$x"), "(cast <enum e> (variable x))")
        XCTAssertEqual(expr("(unsigned long)$x"), "(cast <unsigned long> (variable x))")
        XCTAssertEqual(expr("(unsigned long long *)$x"), "(cast <unsigned long long *> (variable x))")
        XCTAssertEqual(expr("(const char *)$x"), "(cast <char *> (variable x))")
        XCTAssertEqual(expr("(pid_t *)$x"), "(cast <pid_t *> (variable x))")
        XCTAssertEqual(expr("(pid_t **)$x"), "(cast <pid_t **> (variable x))")
        XCTAssertEqual(expr("(void *)0"), "(cast <void *> (integer 0))")
        // A cast binds like a unary operator.
        XCTAssertEqual(expr("(uint8)$x + 1"), "(binary + (cast <uint8> (variable x)) (integer 1))")
        XCTAssertEqual(expr("(uint8)$p->f"), "(cast <uint8> (-> (variable p) f))")
        XCTAssertEqual(expr("-(int64)$x"), "(unary - (cast <int64> (variable x)))")
        XCTAssertEqual(expr("((struct task_struct *)curtask)->pid"),
                       "(-> (cast <struct task_struct *> (identifier curtask)) pid)")
        XCTAssertEqual(expr("(uint32)(uint8)$x"), "(cast <uint32> (cast <uint8> (variable x)))")
    }

    func testParenthesesThatAreNotCasts() {
        XCTAssertEqual(expr("(a) * b"), "(binary * (identifier a) (identifier b))")
        XCTAssertEqual(expr("(a * b)"), "(binary * (identifier a) (identifier b))")
        XCTAssertEqual(expr("(a) - 1"), "(binary - (identifier a) (integer 1))")
        XCTAssertEqual(expr("(pid)"), "(identifier pid)")
    }

    func testPreambleTypeNamesCast() {
        let program = parse("struct foo { int a; } BEGIN { $x = (foo *)arg0; $y = (foo)$x; }")
        let statements = program.probes.first?.body.statements.map(SExpression.stmt)
        XCTAssertEqual(statements, ["(assign (variable x) (cast <foo *> (identifier arg0)))",
                                    "(assign (variable y) (cast <foo> (variable x)))"])
        let (cast, diagnostics) = Parser.parseExpression(SourceFile(name: "m", text: "(foo)$x"), typeNames: ["foo"])
        XCTAssertTrue(diagnostics.items.isEmpty)
        XCTAssertEqual(cast.map(SExpression.expr), "(cast <foo> (variable x))")
    }

    func testTuples() {
        XCTAssertEqual(expr("(1, 2)"), "(tuple (integer 1) (integer 2))")
        XCTAssertEqual(expr(#"(1, "a", $x + 1)"#), #"(tuple (integer 1) (string "a") (binary + (variable x) (integer 1)))"#)
        XCTAssertEqual(expr("(1, (2, 3))"), "(tuple (integer 1) (tuple (integer 2) (integer 3)))")
        XCTAssertEqual(expr("((1, 2))"), "(tuple (integer 1) (integer 2))")
        XCTAssertEqual(expr("(1)"), "(integer 1)")
    }

    func testSizeofAndOffsetof() {
        XCTAssertEqual(expr("sizeof(uint32)"), "(sizeof-type <uint32>)")
        XCTAssertEqual(expr("sizeof(struct task_struct)"), "(sizeof-type <struct task_struct>)")
        XCTAssertEqual(expr("sizeof(unsigned int)"), "(sizeof-type <unsigned int>)")
        XCTAssertEqual(expr("sizeof(pid_t *)"), "(sizeof-type <pid_t *>)")
        XCTAssertEqual(expr("sizeof($x)"), "(sizeof-expr (variable x))")
        XCTAssertEqual(expr("sizeof(x)"), "(sizeof-expr (identifier x))")
        XCTAssertEqual(expr("sizeof($x + 1) * 2"),
                       "(binary * (sizeof-expr (binary + (variable x) (integer 1))) (integer 2))")
        XCTAssertEqual(expr("offsetof(struct foo, bar)"), "(offsetof <struct foo> bar)")
        XCTAssertEqual(expr("offsetof(struct foo, a.b.c)"), "(offsetof <struct foo> a.b.c)")
        XCTAssertEqual(expr("offsetof(foo, x)"), "(offsetof <foo> x)")
    }

    func testExpressionRanges() {
        func range(_ source: String) -> SourceRange? {
            Parser.parseExpression(SourceFile(name: "e", text: source)).0?.range
        }
        XCTAssertEqual(range("1 + 2"), SourceRange(0, 5))
        XCTAssertEqual(range(" (1 + 2) * 3"), SourceRange(1, 12))
        XCTAssertEqual(range("@m[1, 2]"), SourceRange(0, 8))
        XCTAssertEqual(range("f(x)"), SourceRange(0, 4))
        XCTAssertEqual(range("-$x"), SourceRange(0, 3))
        XCTAssertEqual(range("$x++"), SourceRange(0, 4))
        XCTAssertEqual(range("(uint8)$x"), SourceRange(0, 9))
        XCTAssertEqual(range("a->b"), SourceRange(0, 4))
        XCTAssertEqual(range("sizeof(int)"), SourceRange(0, 11))
    }

    func testParseExpressionRejectsTrailingTokens() {
        let (parsed, diagnostics) = Parser.parseExpression(SourceFile(name: "m", text: "1 + 2 3"))
        XCTAssertEqual(parsed.map(SExpression.expr), "(binary + (integer 1) (integer 2))")
        XCTAssertEqual(diagnostics.items.map(\.message), ["syntax error, unexpected 3, expecting end of file"])
        let (none, empty) = Parser.parseExpression(SourceFile(name: "m", text: ""))
        XCTAssertNil(none)
        XCTAssertEqual(empty.items.map(\.message), ["syntax error, unexpected end of file"])
    }

    // MARK: - Statements

    func testAssignments() {
        XCTAssertEqual(stmts("$x = 1"), "(assign (variable x) (integer 1))")
        XCTAssertEqual(stmts("@m = count()"), "(assign (map m) (call count))")
        XCTAssertEqual(stmts("@ = 1"), "(assign (map ) (integer 1))")
        XCTAssertEqual(stmts("@m[tid] = nsecs"), "(assign (map m (identifier tid)) (identifier nsecs))")
        XCTAssertEqual(stmts("@m[pid, comm] = $a ? 1 : 2"),
                       "(assign (map m (identifier pid) (identifier comm)) (ternary (variable a) (integer 1) (integer 2)))")
        for op in ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"] {
            XCTAssertEqual(stmts("$x \(op)= 2"), "(assign\(op)= (variable x) (integer 2))")
        }
    }

    func testExpressionStatements() {
        XCTAssertEqual(stmts(#"printf("hi\n"); exit()"#), #"(expr (call printf (string "hi\n"))) (expr (call exit))"#)
        XCTAssertEqual(stmts("@x++"), "(expr (post++ (map x)))")
        XCTAssertEqual(stmts("delete(@m[1]);"), "(expr (call delete (map m (integer 1))))")
    }

    func testIfElse() {
        XCTAssertEqual(stmts("if ($x) { $y = 1; }"), "(if (variable x) (block (assign (variable y) (integer 1))))")
        XCTAssertEqual(stmts("if ($x) {} else {}"), "(if (variable x) (block) (block))")
        XCTAssertEqual(stmts("if ($x > 1) { @a = 1 } else if ($x > 0) { @b = 1 } else { @c = 1 }"),
                       "(if (binary > (variable x) (integer 1)) (block (assign (map a) (integer 1))) "
                       + "(block (if (binary > (variable x) (integer 0)) (block (assign (map b) (integer 1))) "
                       + "(block (assign (map c) (integer 1))))))")
        XCTAssertEqual(stmts("if (1) { if (2) { exit() } }"), "(if (integer 1) (block (if (integer 2) (block (expr (call exit))))))")
    }

    func testLoopsAndJumps() {
        XCTAssertEqual(stmts("unroll(5) { @n++ }"), "(unroll (integer 5) (block (expr (post++ (map n)))))")
        XCTAssertEqual(stmts("while ($i < 10) { $i++; if ($i == 5) { break } continue; }"),
                       "(while (binary < (variable i) (integer 10)) (block (expr (post++ (variable i))) "
                       + "(if (binary == (variable i) (integer 5)) (block (break))) (continue)))")
        XCTAssertEqual(stmts("for ($kv : @map) { print($kv.0); }"),
                       "(for kv (map map) (block (expr (call print (tuple-element (variable kv) 0)))))")
        XCTAssertEqual(stmts("return"), "(return)")
    }

    func testSemicolons() {
        XCTAssertEqual(stmts("$a = 1; $b = 2;"), "(assign (variable a) (integer 1)) (assign (variable b) (integer 2))")
        XCTAssertEqual(stmts("$a = 1; $b = 2"), "(assign (variable a) (integer 1)) (assign (variable b) (integer 2))")
        XCTAssertEqual(stmts("if (1) { } $a = 1"), "(if (integer 1) (block)) (assign (variable a) (integer 1))")
        XCTAssertEqual(stmts("while (1) { } unroll(2) { } $a = 1"),
                       "(while (integer 1) (block)) (unroll (integer 2) (block)) (assign (variable a) (integer 1))")
        XCTAssertEqual(stmts("if (1) { }; ; $a = 1;;"), "(if (integer 1) (block)) (assign (variable a) (integer 1))")
        XCTAssertEqual(stmts(""), "")
    }

    func testStatementRanges() {
        let source = "BEGIN { $x = 1 + 2; if ($x) { } else { } }"
        let program = parse(source)
        let statements = program.probes.first?.body.statements ?? []
        XCTAssertEqual(statements.map(\.range), [SourceRange(8, 18), SourceRange(20, 40)])
        XCTAssertEqual(program.probes.first?.body.range, SourceRange(6, 42))
        XCTAssertEqual(program.probes.first?.range, SourceRange(0, 42))
    }

    // MARK: - Probes

    func testAttachPointSplitting() {
        let examples: [(String, String, [String])] = [
            ("BEGIN", "BEGIN", []),
            ("END", "END", []),
            ("t:syscalls:sys_enter_execve", "t", ["syscalls", "sys_enter_execve"]),
            ("uprobe:/bin/bash:readline", "uprobe", ["/bin/bash", "readline"]),
            ("kprobe:vfs_*", "kprobe", ["vfs_*"]),
            ("kprobe:do_sys_open+0x10", "kprobe", ["do_sys_open+0x10"]),
            ("interval:s:1", "interval", ["s", "1"]),
            ("usdt:./a.out:prov:name", "usdt", ["./a.out", "prov", "name"]),
            ("tracepoint:syscalls:sys_enter_exec*", "tracepoint", ["syscalls", "sys_enter_exec*"]),
            ("u:/lib/x86_64-linux-gnu/libc.so.6:malloc", "u", ["/lib/x86_64-linux-gnu/libc.so.6", "malloc"]),
            ("software:cpu-clock:100000", "software", ["cpu-clock", "100000"]),
            ("hardware:cache-misses:1000000", "hardware", ["cache-misses", "1000000"]),
            ("profile:hz:99", "profile", ["hz", "99"]),
            ("kprobe:module:fn", "kprobe", ["module", "fn"]),
            (#"uprobe:"/path with space":fn"#, "uprobe", ["/path with space", "fn"]),
            (#"uprobe:/bin/x:"ns::f(int)""#, "uprobe", ["/bin/x", "ns::f(int)"]),
        ]
        for (text, provider, parts) in examples {
            let program = parse("\(text) { }")
            let point = program.probes.first?.attachPoints.first
            XCTAssertEqual(point?.provider, provider, text)
            XCTAssertEqual(point?.parts, parts, text)
            XCTAssertEqual(point?.text, text)
            XCTAssertEqual(point?.range, SourceRange(0, text.utf8.count))
        }
    }

    func testMultipleAttachPoints() {
        let program = parse("kprobe:a,kprobe:b ,\n  kprobe:c\n  , kprobe:d\n{ }")
        XCTAssertEqual(program.probes.first?.attachPoints.map(\.text), ["kprobe:a", "kprobe:b", "kprobe:c", "kprobe:d"])
    }

    func testSeveralProbes() {
        let program = parse("""
            BEGIN { @start = nsecs; }
            kprobe:vfs_read{@reads[comm] = count()}
            interval:s:1 { print(@reads); clear(@reads); }
            END{}
            """)
        XCTAssertEqual(program.probes.map { $0.attachPoints.map(\.text) }, [["BEGIN"], ["kprobe:vfs_read"], ["interval:s:1"], ["END"]])
        XCTAssertEqual(program.probes.map(\.body.statements.count), [1, 1, 2, 0])
    }

    func testPredicates() {
        func predicate(_ source: String) -> String? {
            parse(source).probes.first?.predicate.map(SExpression.expr)
        }
        XCTAssertEqual(predicate("kprobe:f /pid == 1/ { }"), "(binary == (identifier pid) (integer 1))")
        XCTAssertEqual(predicate("kprobe:f / $1 != 0 && comm == \"bash\" / { }"),
                       #"(binary && (binary != (positional 1) (integer 0)) (binary == (identifier comm) (string "bash")))"#)
        // Division needs parentheses inside a predicate.
        XCTAssertEqual(predicate("kprobe:f /(arg0 / 2) > 1/ { }"),
                       "(binary > (binary / (identifier arg0) (integer 2)) (integer 1))")
        XCTAssertEqual(predicate("kprobe:f /f(arg0 / 2)/ { }"), "(call f (binary / (identifier arg0) (integer 2)))")
        XCTAssertEqual(predicate("kprobe:f /@m[arg0 / 2]/ { }"), "(map m (binary / (identifier arg0) (integer 2)))")
        XCTAssertEqual(predicate("kprobe:f\n/retval < 0 ? 1 : 0/\n{ }"),
                       "(ternary (binary < (identifier retval) (integer 0)) (integer 1) (integer 0))")
        XCTAssertNil(predicate("kprobe:f { }"))
        // Outside the predicate `/` divides again.
        XCTAssertEqual(stmts("$x = 4 / 2"), "(assign (variable x) (binary / (integer 4) (integer 2)))")
    }

    // MARK: - Preamble

    func testIncludesAndDefines() {
        let program = parse("""
            #include <linux/sched.h>
            #include "local.h"
              #  include <net/sock.h> // comment
            #define MAX 100
            #define EXPR (1 + \\
                2) /* comment */
            #define URL "http://x" // comment
            #define EMPTY
            #define GONE 1
            #undef GONE
            #ifndef BPFTRACE_HAVE_BTF
            #endif
            BEGIN { }
            """)
        XCTAssertEqual(program.preamble.includes, ["linux/sched.h", "local.h", "net/sock.h"])
        XCTAssertEqual(program.preamble.defines.map(\.name), ["MAX", "EXPR", "URL", "EMPTY"])
        XCTAssertEqual(program.preamble.defines.map(\.body), ["100", "(1 +      2)", #""http://x""#, ""])
        XCTAssertEqual(program.probes.count, 1)
    }

    func testStructsAndUnions() {
        let program = parse("""
            struct foo {
                int a;
                char name[16];
                unsigned int flag : 3;
                struct other *next;
                char *s, **t;
                const char *c;
                u64 x, y[2];
                unsigned long long big;
            };
            union u { int i; uint64 l; }
            kprobe:f { $x = (struct foo *)arg0; }
            """)
        XCTAssertEqual(program.preamble.types.count, 2)
        guard let foo = program.preamble.types.first, let u = program.preamble.types.last else { return }
        XCTAssertEqual(foo.kind, .structType)
        XCTAssertEqual(foo.name, "foo")
        XCTAssertEqual(foo.fields.map(SExpression.field), [
            "a:<int>", "name:<char>[16]", "flag:<unsigned int>:3", "next:<struct other *>", "s:<char *>",
            "t:<char **>", "c:<char *>", "x:<u64>", "y:<u64>[2]", "big:<unsigned long long>",
        ])
        XCTAssertEqual(u.kind, .unionType)
        XCTAssertEqual(u.fields.map(SExpression.field), ["i:<int>", "l:<uint64>"])
        XCTAssertEqual(foo.range.start, 0)
        XCTAssertEqual(program.probes.count, 1)
    }

    func testEnums() {
        let program = parse("enum e { A, B = 5, C, D = -2, E, }; enum f { X } BEGIN { }")
        XCTAssertEqual(program.preamble.types.map(\.kind), [.enumType, .enumType])
        XCTAssertEqual(program.preamble.types.first?.enumerators.map { "\($0.name)=\($0.value)" },
                       ["A=0", "B=5", "C=6", "D=-2", "E=-1"])
        XCTAssertEqual(program.preamble.types.last?.enumerators.map(\.name), ["X"])
    }

    func testConfig() {
        let program = parse("""
            config = { max_map_keys = 1024; stack_mode = perf; str = "x"; neg = -1 }
            BEGIN { }
            """)
        XCTAssertEqual(program.config.map { "\($0.key)=\(SExpression.expr($0.value))" },
                       ["max_map_keys=(integer 1024)", "stack_mode=(identifier perf)", #"str=(string "x")"#,
                        "neg=(unary - (integer 1))"])
        XCTAssertEqual(parse("config={}").config.count, 0)
        XCTAssertEqual(parse("config = { a = 1; }\nBEGIN{}").config.map(\.key), ["a"])
    }

    func testPreambleItemsInAnyOrder() {
        let program = parse("""
            config = { a = 1 }
            struct s { int x; }
            #include <a.h>
            enum e { A }
            #define N 1
            BEGIN { }
            """)
        XCTAssertEqual(program.config.count, 1)
        XCTAssertEqual(program.preamble.types.map(\.name), ["s", "e"])
        XCTAssertEqual(program.preamble.includes, ["a.h"])
        XCTAssertEqual(program.preamble.defines.map(\.name), ["N"])
        XCTAssertEqual(program.probes.count, 1)
    }

    func testRealisticScript() {
        let program = parse(ParserRobustnessTests.realisticScripts[0])
        XCTAssertEqual(program.probes.count, 4)
        XCTAssertEqual(program.preamble.includes, ["linux/sched.h"])
    }

    // MARK: - Errors

    func testErrorMessagesAndSpans() {
        XCTAssertEqual(errors("BEGIN { $x = ; }"), ["1:14-15: syntax error, unexpected ;"])
        XCTAssertEqual(errors("BEGIN {"), ["1:7-8: syntax error, unexpected end of file, expecting }"])
        XCTAssertEqual(errors("BEGIN {\n"), ["1:8-9: syntax error, unexpected end of file, expecting }"])
        XCTAssertEqual(errors("BEGIN { if $x { } }"), ["1:12-14: syntax error, unexpected $x, expecting ("])
        XCTAssertEqual(errors("BEGIN { foo = 1; }"), ["1:13-14: syntax error, unexpected ="])
        XCTAssertEqual(errors("BEGIN { $x++ = 1; }"), ["1:14-15: syntax error, unexpected ="])
        XCTAssertEqual(errors("BEGIN { $x = 1 $y = 2 }"), ["1:16-18: syntax error, unexpected $y"])
        XCTAssertEqual(errors("kprobe:f /pid { }"), ["1:15-16: syntax error, unexpected {, expecting /"])
        XCTAssertEqual(errors("kprobe:f /pid/ exit(); }"), ["1:16-20: syntax error, unexpected exit, expecting {"])
        XCTAssertEqual(errors("kprobe:a, { }"), ["1:11-12: syntax error, unexpected {, expecting attach point"])
        XCTAssertEqual(errors("BEGIN { $x = 1 # 2; }"), ["1:16-17: invalid character '#'"])
        XCTAssertEqual(errors("BEGIN { $t.x.; }"), ["1:14-15: syntax error, unexpected ;, expecting identifier"])
        XCTAssertEqual(errors("BEGIN { for (x : @m) { } }"), ["1:14-15: syntax error, unexpected x, expecting variable"])
        XCTAssertEqual(errors("} BEGIN { }"), ["1:1-2: syntax error, unexpected }"])
        XCTAssertEqual(errors("BEGIN { } @x = 1; END { }"), ["1:11-13: syntax error, unexpected @x"])
    }

    func testPreambleAfterProbes() {
        XCTAssertEqual(errors("BEGIN { }\nstruct s { int a; }"), ["2:1-7: C definitions must come before the first probe"])
        XCTAssertEqual(errors("BEGIN { }\n#include <a.h>"), ["2:1-15: preprocessor directives must come before the first probe"])
        XCTAssertEqual(errors("BEGIN { }\nconfig = { a = 1 }"), ["2:1-7: config must come before the first probe"])
    }

    func testRecoveryReportsEveryError() {
        let source = """
            BEGIN { $a = ; $b = 1; @c = (1 + ; }
            kprobe:f /pid == / { printf("x") }
            END { if (1) { $x = } else { $y = 1 $z } exit(); }
            tracepoint:a:b { @ok = 1; }
            """
        XCTAssertEqual(errors(source), [
            "1:14-15: syntax error, unexpected ;",
            "1:34-35: syntax error, unexpected ;",
            "2:18-19: syntax error, unexpected /",
            "3:21-22: syntax error, unexpected }",
            "3:37-39: syntax error, unexpected $z",
        ])
        let (program, _) = Parser.parse(SourceFile(name: "t", text: source))
        XCTAssertEqual(program.probes.map(\.attachPoints.first?.text), ["BEGIN", "END", "tracepoint:a:b"])
        XCTAssertEqual(program.probes.first?.body.statements.map(SExpression.stmt), ["(assign (variable b) (integer 1))"])
        XCTAssertEqual(program.probes.last?.body.statements.count, 1)
        // After the broken `if`, the statement after it still parses.
        XCTAssertEqual(program.probes[1].body.statements.map(SExpression.stmt).last, "(expr (call exit))")
    }

    func testOneErrorPerToken() {
        // The bad character is reported by the lexer; the parser, meeting it, says nothing more.
        XCTAssertEqual(errors("BEGIN { @x = ` }"), ["1:14-15: invalid character '`'"])
        XCTAssertEqual(errors("BEGIN { @x = \"abc }"), ["1:14-20: unterminated string", "1:19-20: syntax error, unexpected end of file, expecting }"])
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let nestings = [("$y = ", "(", ")"), ("$y = ", "-", ""), ("$y = ", "!", ""), ("", "if (1) { ", " }"),
                        ("$y = ", "$x[", "]"), ("$y = ", "1 ? 2 : ", ""), ("", "if (1) { } else ", ""),
                        ("$y = ", "++", ""), ("$y = ", "(uint8)", "")]
        for (prefix, open, close) in nestings {
            let source = "BEGIN { " + prefix + String(repeating: open, count: 5000) + "1"
                + String(repeating: close, count: 5000) + "; }"
            let diagnostics = errors(source)
            XCTAssertEqual(diagnostics.count, 1, open)
            XCTAssertTrue(diagnostics.first?.hasSuffix("nesting is too deep") ?? false, "\(open): \(diagnostics)")
        }
        // Long chains build deep trees too.
        for chain in [" + 1", ".f", "++", "[0]", "->g", " * 2"] {
            let source = "BEGIN { $y = $x" + String(repeating: chain, count: 5000) + "; }"
            XCTAssertFalse(errors(source).isEmpty, chain)
        }
        // Within the limit, deep nesting parses.
        let nested = String(repeating: "(", count: 40) + "1" + String(repeating: ")", count: 40)
        XCTAssertEqual(expr(nested), "(integer 1)")
        XCTAssertTrue(expr(Array(repeating: "1", count: 100).joined(separator: " + ")).hasPrefix("(binary + (binary +"))
    }
}

/// Prints the syntax tree as S-expressions, so tests compare shapes in one line.
private enum SExpression {
    static func expr(_ e: Expr) -> String {
        switch e.kind {
        case .integer(let v): return "(integer \(v))"
        case .string(let bytes): return "(string \"\(escaped(bytes))\")"
        case .identifier(let name): return "(identifier \(name))"
        case .positional(let n): return "(positional \(n))"
        case .positionalCount: return "(positional-count)"
        case .variable(let name): return "(variable \(name))"
        case .map(let name, let keys): return list(["map \(name)"] + keys.map(expr))
        case .call(let name, let args): return list(["call \(name)"] + args.map(expr))
        case .unary(let op, let operand): return "(unary \(op.rawValue) \(expr(operand)))"
        case .binary(let op, let l, let r): return "(binary \(op.rawValue) \(expr(l)) \(expr(r)))"
        case .ternary(let c, let a, let b): return "(ternary \(expr(c)) \(expr(a)) \(expr(b)))"
        case .field(let base, let name, let arrow): return "(\(arrow ? "->" : ".") \(expr(base)) \(name))"
        case .index(let base, let index): return "(index \(expr(base)) \(expr(index)))"
        case .tupleElement(let base, let n): return "(tuple-element \(expr(base)) \(n))"
        case .tuple(let elements): return list(["tuple"] + elements.map(expr))
        case .cast(let type, let operand): return "(cast <\(typeName(type))> \(expr(operand)))"
        case .increment(let operand, let increment, let prefix, _):
            return "(\(prefix ? "pre" : "post")\(increment ? "++" : "--") \(expr(operand)))"
        case .sizeofType(let type): return "(sizeof-type <\(typeName(type))>)"
        case .sizeofExpr(let operand): return "(sizeof-expr \(expr(operand)))"
        case .offsetof(let type, let path): return "(offsetof <\(typeName(type))> \(path.joined(separator: ".")))"
        default:
            // The checker's resolved forms (builtins, tracepoint fields); the parser never makes them.
            return "(resolved \(e.kind))"
        }
    }

    static func stmt(_ s: Stmt) -> String {
        switch s.kind {
        case .expr(let e): return "(expr \(expr(e)))"
        case .assign(let target, let op, let value): return "(assign\(op.map { $0.rawValue + "=" } ?? "") \(expr(target)) \(expr(value)))"
        case .ifElse(let c, let then, let otherwise):
            return list(["if", expr(c), block(then)] + (otherwise.map { [block($0)] } ?? []))
        case .unroll(let count, let body): return "(unroll \(expr(count)) \(block(body)))"
        case .whileLoop(let c, let body): return "(while \(expr(c)) \(block(body)))"
        case .forMap(let variable, let map, let body): return "(for \(variable) \(expr(map)) \(block(body)))"
        case .breakLoop: return "(break)"
        case .continueLoop: return "(continue)"
        case .returnProbe: return "(return)"
        }
    }

    static func block(_ b: Block) -> String { list(["block"] + b.statements.map(stmt)) }

    static func field(_ f: CTypeDefinition.Field) -> String {
        "\(f.name):<\(typeName(f.type))>" + (f.arrayCount.map { "[\($0)]" } ?? "") + (f.bitWidth.map { ":\($0)" } ?? "")
    }

    /// `struct task_struct *`, `char **`: stars joined, unlike `TypeName.description`'s spacing between them.
    private static func typeName(_ t: TypeName) -> String {
        t.pointerDepth == 0 ? t.name : t.name + " " + String(repeating: "*", count: t.pointerDepth)
    }

    private static func list(_ items: [String]) -> String { "(" + items.joined(separator: " ") + ")" }

    private static func escaped(_ bytes: [UInt8]) -> String {
        bytes.map { b -> String in
            switch b {
            case 0x0A: return "\\n"
            case 0x09: return "\\t"
            case 0x22: return "\\\""
            case 0x5C: return "\\\\"
            case 0x20..<0x7F: return String(UnicodeScalar(b))
            default: return "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
            }
        }.joined()
    }
}
