import XCTest
@testable import ScriptParser

/// `#include`d headers' integer constants, read from a fixture include tree: the shapes glibc
/// and the kernel's uapi headers use.
final class HeaderConstantsTests: XCTestCase {
    static let files: [String: String] = [
        "/inc/sys/socket.h": """
            #ifndef _SYS_SOCKET_H
            #define _SYS_SOCKET_H 1
            #include <bits/socket.h>
            # include "local.h"
            #define SHUT_RDWR 2 /* both */
            #define CMSG_ALIGN(len) (((len) + sizeof (size_t) - 1) & (size_t) ~(sizeof (size_t) - 1))
            #endif
            """,
        "/inc/sys/local.h": "#define LOCAL_FLAG (1U << 4) | 0x3UL\n#define TEXT \"not a number\"\n",
        "/inc/bits/socket.h": """
            #define PF_INET 2 // IP protocol family.
            #define PF_INET6 10
            #define AF_INET PF_INET
            #define AF_INET6 PF_INET6
            #define SOMAXCONN \\
                    4096
            #define MSG_OOB_CAST ((int) 0x01)
            enum __socket_type {
              SOCK_STREAM = 1,
            #define SOCK_STREAM SOCK_STREAM
              SOCK_DGRAM = 2,
              SOCK_RAW,
              SOCK_NEXT = SOCK_RAW + 10,
              SOCK_AFTER
            };
            enum { FIRST, SECOND, THIRD = -1, FOURTH };
            #define IS_NEGATIVE (THIRD < 0 ? 7 : 8)
            #define SELF SELF
            """,
    ]

    /// The fixture tree as the system's include directory.
    static let search = HeaderSearch(directories: ["/inc"]) { files[$0] }

    static func options() -> FrontEndOptions {
        var options = FrontEndOptions()
        options.headers = search
        return options
    }

    func testDefinesAndEnumeratorsFoldToIntegers() {
        var headers = HeaderConstants()
        XCTAssertTrue(headers.include("sys/socket.h", quoted: false, search: Self.search))
        let values = headers.values()
        XCTAssertEqual(values["AF_INET"], 2)
        XCTAssertEqual(values["AF_INET6"], 10)
        XCTAssertEqual(values["SHUT_RDWR"], 2)
        XCTAssertEqual(values["SOMAXCONN"], 4096, "a continued line")
        XCTAssertEqual(values["MSG_OOB_CAST"], 1, "a cast is skipped")
        XCTAssertEqual(values["LOCAL_FLAG"], 19, "a quoted include next to its includer, suffixes")
        XCTAssertEqual(values["SOCK_STREAM"], 1, "#define X X names the enumerator")
        XCTAssertEqual(values["SOCK_RAW"], 3)
        XCTAssertEqual(values["SOCK_AFTER"], 14)
        XCTAssertEqual([values["FIRST"], values["SECOND"], values["THIRD"], values["FOURTH"]], [0, 1, -1, 0])
        XCTAssertEqual(values["IS_NEGATIVE"], 7)
        XCTAssertNil(values["CMSG_ALIGN"], "function-like macros are not constants")
        XCTAssertNil(values["TEXT"])
        XCTAssertNil(values["SELF"])
    }

    func testScriptsSeeIncludedConstantsAndTheirOwnDefinesWin() {
        let source = SourceFile(name: "t.st", text: """
            #include <sys/socket.h>
            #define PF_INET6 99
            BEGIN { printf("%d %d %d\\n", AF_INET, SOCK_DGRAM, PF_INET6); }
            """)
        let (program, diagnostics) = FrontEnd.compile(source, catalog: FixtureCatalog(), options: Self.options())
        XCTAssertNotNil(program, DiagnosticRenderer.render(diagnostics, in: source))
        guard case .expr(let call)? = program?.probes.first?.body.statements.first?.kind,
              case .function(_, let args) = call.kind else { return XCTFail("no printf") }
        let values = args.dropFirst().map { arg -> Int64? in
            if case .integer(let v) = arg.kind { return Int64(bitPattern: v) }
            return nil
        }
        XCTAssertEqual(values, [2, 2, 99])
    }

    func testAMissingHeaderIsAnErrorAtItsName() {
        let source = SourceFile(name: "t.st", text: "#include <lol/no.h>\nBEGIN { exit(); }")
        let (program, diagnostics) = FrontEnd.compile(source, catalog: FixtureCatalog(), options: Self.options())
        XCTAssertNil(program)
        XCTAssertEqual(DiagnosticRenderer.render(diagnostics, in: source).split(separator: "\n").first,
                       "t.st:1:10-20: ERROR: 'lol/no.h' file not found")
    }
}
