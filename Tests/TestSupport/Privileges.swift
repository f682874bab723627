import Glibc
import XCTest

extension XCTestCase {
    /// Skips the test, with a visible reason, unless it runs as root.
    public func requireRoot(_ why: String = "needs root to load BPF programs") throws {
        try XCTSkipUnless(getuid() == 0, why)
    }
}

/// Thrown by a test helper that has already recorded an XCTest failure, so the test stops there
/// (an error, not a skip: a failed helper must never look like a skipped test).
public struct StoppedAfterFailure: Error {
    public init() {}
}
