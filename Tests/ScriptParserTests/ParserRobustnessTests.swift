import XCTest
@testable import ScriptParser

/// The parser never traps, whatever it is given: every prefix of realistic scripts, random
/// mutations of them, and token soup. (ParserTests.swift holds the grammar.)
final class ParserRobustnessTests: XCTestCase {

    /// Scripts close to the real bpftrace tools; their prefixes exercise every unfinished state.
    static let realisticScripts = [
        """
        #include <linux/sched.h>
        /* Count syscalls by process. */
        BEGIN { printf("Tracing... Hit Ctrl-C to end.\\n"); @start = nsecs; }
        tracepoint:raw_syscalls:sys_enter /pid != $1 && comm != "bpftrace"/ {
            @syscalls[comm, args->id] = count();
            @start_ts[tid] = nsecs;
        }
        kretprobe:vfs_read / @start_ts[tid] / {
            $dur = (nsecs - @start_ts[tid]) / 1000;
            @us = hist($dur);
            if ($dur > 1e6) { printf("%-16s %d\\n", comm, $dur); } else if ($dur == 0) { @zero++; } else { @other += 1 }
            delete(@start_ts[tid]);
        }
        END { clear(@start_ts); print(@syscalls, 10); }
        """,
        """
        struct sock_common { unsigned short skc_family; unsigned int skc_rcv_saddr; };
        enum state { CLOSED = 7, LISTEN = 10 };
        config = { max_map_keys = 4096 }
        kprobe:tcp_connect, kprobe:tcp_v4_connect
        {
            $sk = (struct sock_common *)arg0;
            $t = (pid, comm, $sk->skc_family);
            @conns[$t.0, $t.1] = count();
            unroll(3) { @u++; }
            $i = 0;
            while ($i < 10) { $i += 1; if ($i % 2 == 0) { continue; } @odd[$i] = sizeof(struct sock_common); }
            for ($kv : @conns) { print($kv.1); }
            @off = offsetof(struct sock_common, skc_family);
            @x = $1 > 0 ? (uint8)-1 : ~0x10 << 2;
            @s = str(*(uint64 *)arg1);
        }
        uprobe:"/usr/bin/my app":main { printf("%s\\n", ustack); return; }
        """,
    ]

    func testEveryPrefixParsesWithoutTrapping() {
        for script in Self.realisticScripts {
            let bytes = Array(script.utf8)
            for end in 0...bytes.count {
                let text = String(decoding: bytes[0..<end], as: UTF8.self)
                _ = Parser.parse(SourceFile(name: "prefix", text: text))
                _ = Parser.parseExpression(SourceFile(name: "prefix", text: text))
            }
            XCTAssertTrue(errors(script).isEmpty, errors(script).joined(separator: "\n"))
        }
    }

    func testRandomMutationsParseWithoutTrapping() {
        var random = LinearCongruentialGenerator(seed: 0x5EED)
        let pieces = ["{", "}", "(", ")", "[", "]", ";", ",", "/", "\"", "*", "$", "@", "#", ":", "?", "\n", " ",
                      "if", "else", "struct", "config", "->", ".", "0x", "1e", "\\", "/*", "//", "é", "\u{0}", "BEGIN"]
        var mutated = 0
        for script in Self.realisticScripts {
            let bytes = Array(script.utf8)
            for _ in 0..<200 {
                var copy = bytes
                for _ in 0..<(1 + random.next(below: 6)) {
                    let position = random.next(below: copy.count + 1)
                    switch random.next(below: 3) {
                    case 0 where position < copy.count:
                        copy.remove(at: position)
                    case 1:
                        copy.insert(contentsOf: Array(pieces[random.next(below: pieces.count)].utf8), at: position)
                    default:
                        // Duplicate a slice: unbalanced brackets and repeated clauses.
                        let length = random.next(below: 20)
                        let start = random.next(below: copy.count)
                        copy.insert(contentsOf: copy[start..<min(copy.count, start + length)], at: position)
                    }
                }
                let file = SourceFile(name: "mutated", text: String(decoding: copy, as: UTF8.self))
                let (_, diagnostics) = Parser.parse(file)
                // Every diagnostic renders, whatever its range.
                _ = DiagnosticRenderer.render(diagnostics, in: file)
                mutated += 1
            }
        }
        XCTAssertEqual(mutated, 400)
    }

    func testRandomTokenSoupParsesWithoutTrapping() {
        var random = LinearCongruentialGenerator(seed: 42)
        let tokens = TokenKind.allCases.map(\.rawValue).filter { !$0.contains(" ") } + ["x", "$v", "@m", "1", "\"s\"", "BEGIN", "kprobe:f", "\n"]
        for _ in 0..<300 {
            let text = (0..<random.next(below: 60)).map { _ in tokens[random.next(below: tokens.count)] }.joined(separator: " ")
            _ = Parser.parse(SourceFile(name: "soup", text: text))
            _ = Parser.parseExpression(SourceFile(name: "soup", text: text))
        }
    }
}

/// A tiny deterministic random source (Knuth's MMIX constants) so failures reproduce.
private struct LinearCongruentialGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(below bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return bound <= 0 ? 0 : Int((state >> 33) % UInt64(bound))
    }
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
