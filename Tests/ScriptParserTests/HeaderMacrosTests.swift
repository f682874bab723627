import XCTest
@testable import ScriptParser

/// Constants from `#include`d headers: which lines count, how headers are found, and the
/// error for one that is nowhere.
final class HeaderMacrosTests: XCTestCase {
    func testOnlyObjectLikeConstantDefinesAreKept() {
        XCTAssertEqual(HeaderLine("#define EPERM 1"), .define("EPERM", "1"))
        XCTAssertEqual(HeaderLine("  #  define O_RDONLY\t00 /* read */"), .define("O_RDONLY", "00"))
        XCTAssertEqual(HeaderLine("#define LIMIT 0x40UL // bytes"), .define("LIMIT", "0x40"))
        XCTAssertEqual(HeaderLine("#define NEG (-7)"), .define("NEG", "(-7)"))
        XCTAssertEqual(HeaderLine("#define EWOULDBLOCK EAGAIN"), .define("EWOULDBLOCK", "EAGAIN"))
        XCTAssertEqual(HeaderLine("#define TWICE(x) ((x) * 2)"), .other)
        XCTAssertEqual(HeaderLine("#define STR \"text\""), .other)
        XCTAssertEqual(HeaderLine("#define EXPR (A | B)"), .other)
        XCTAssertEqual(HeaderLine("#define GUARD_H"), .other)
        XCTAssertEqual(HeaderLine("int x = 1;"), .other)
        XCTAssertEqual(HeaderLine("#include <bits/errno.h>"), .include("bits/errno.h", quoted: false))
        XCTAssertEqual(HeaderLine("#include \"local.h\""), .include("local.h", quoted: true))
    }

    func testHeadersAreFoundInTheSearchPathAndFollowed() {
        let files = [
            "/opt/inc/app.h": "#include <app/more.h>\n#define APP_MAX 10\n",
            "/usr/include/app/more.h": "#define APP_MORE \\\n  20\n#include <app.h>\n",
            "/usr/include/app.h": "#define APP_MAX 99\n",
        ]
        let search = HeaderSearch(directories: ["/opt/inc"]) { files[$0] }
        var preamble = Preamble()
        preamble.includes = ["app.h"]
        preamble.includeRanges = [SourceRange(10, 17)]
        preamble.includeQuoted = [false]
        let (defines, errors) = search.macros(for: preamble)
        XCTAssertEqual(errors.count, 0)
        // -I first; a header that includes one already read is not read twice.
        XCTAssertEqual(defines.map { "\($0.name)=\($0.body)" }, ["APP_MORE=20", "APP_MAX=10"])
    }

    func testAMissingHeaderIsAnErrorAtItsInclude() {
        let search = HeaderSearch(forcedIncludes: ["nowhere.h"]) { _ in nil }
        var preamble = Preamble()
        preamble.includes = ["lol/no.h"]
        preamble.includeRanges = [SourceRange(9, 19)]
        preamble.includeQuoted = [false]
        let (_, errors) = search.macros(for: preamble)
        XCTAssertEqual(errors.map(\.message), ["'nowhere.h' file not found (--include)", "'lol/no.h' file not found"])
        XCTAssertEqual(errors.last?.range, SourceRange(9, 19))
    }
}
