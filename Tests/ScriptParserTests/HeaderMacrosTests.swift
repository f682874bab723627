import XCTest
@testable import ScriptParser

/// How `#include`d headers are found (`-I`, `--include`, the system directories), and the
/// error for one that is nowhere. Which lines give constants: HeaderConstantsTests.
final class HeaderMacrosTests: XCTestCase {
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
