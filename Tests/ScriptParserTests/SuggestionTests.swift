import XCTest
@testable import ScriptParser

final class SuggestionTests: XCTestCase {
    func testSwappedLettersCountAsOneEdit() {
        XCTAssertEqual(Suggestion.editDistance("prinft", "printf"), 1)
        XCTAssertEqual(Suggestion.editDistance("cuont", "count"), 1)
        // Plain Levenshtein would count a swap as two substitutions.
        XCTAssertEqual(Suggestion.editDistance("ab", "ba"), 1)
        XCTAssertEqual(Suggestion.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(Suggestion.editDistance("", "abc"), 3)
    }

    func testSwapPrefersTheNameOfTheSameLength() {
        // 'prinft' is one edit from both 'print' (a deletion) and 'printf' (a swap).
        XCTAssertEqual(Suggestion.closest(to: "prinft", among: ["print", "printf", "exit"]), "printf")
        XCTAssertEqual(Suggestion.closest(to: "prinft", among: ["printf", "print"]), "printf")
        XCTAssertEqual(Suggestion.closest(to: "pirnt", among: ["printf", "print"]), "print")
    }

    func testFarNamesAreNotSuggested() {
        XCTAssertNil(Suggestion.closest(to: "hello", among: ["printf", "exit"]))
        XCTAssertNil(Suggestion.closest(to: "print", among: ["print"]))
    }
}
