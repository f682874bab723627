import XCTest
@testable import ScriptParser

/// Trip counts of counted loops, checked against a direct simulation where that is short.
final class LoopTripCountTests: XCTestCase {
    /// Runs the loop for real (64-bit wrapping, signed or unsigned compare), up to `cap` times.
    func simulate(start: UInt64, step: UInt64, _ op: BinaryOp, bound: UInt64, signed: Bool, cap: UInt64 = 100_000) -> UInt64? {
        var v = start, n: UInt64 = 0
        func holds(_ v: UInt64) -> Bool {
            let (a, b) = signed ? (UInt64(bitPattern: Int64(bitPattern: v) &+ .min), UInt64(bitPattern: Int64(bitPattern: bound) &+ .min)) : (v, bound)
            switch op {
            case .lt: return a < b
            case .le: return a <= b
            case .gt: return a > b
            case .ge: return a >= b
            default: return v != bound
            }
        }
        while holds(v) {
            n += 1
            if n > cap { return nil }
            v = v &+ step
        }
        return n
    }

    func testAgreesWithSimulationOnShortLoops() {
        let values: [UInt64] = [0, 1, 2, 3, 7, 10, 100, UInt64.max, UInt64.max - 5, 1 << 63, (1 << 63) - 2]
        let steps: [UInt64] = [1, 2, 3, 0 &- 1, 0 &- 2, 0 &- 3, 1 << 62]
        for start in values { for bound in values { for step in steps {
            for op in [BinaryOp.lt, .le, .gt, .ge, .ne] { for signed in [false, true] {
                guard let expected = simulate(start: start, step: step, op, bound: bound, signed: signed) else { continue }
                let count = LoopTripCount.of(start: start, step: step, op, bound: bound, signed: signed)
                XCTAssertEqual(count, .exactly(expected), "\(start) \(op.rawValue) \(bound) step \(step) signed \(signed)")
            } }
        } } }
    }

    func testLongLoops() {
        XCTAssertEqual(LoopTripCount.of(start: 0, step: 1, .lt, bound: 0x1ffffffff, signed: true), .exactly(8_589_934_591))
        XCTAssertEqual(LoopTripCount.of(start: 0, step: 3, .ne, bound: 10, signed: true), .exactly(12_297_829_382_473_034_414))
        XCTAssertEqual(LoopTripCount.of(start: 0, step: 2, .ne, bound: 9, signed: true), .forever)
        XCTAssertEqual(LoopTripCount.of(start: 0, step: 1, .le, bound: .max, signed: false), .forever)
        XCTAssertEqual(LoopTripCount.of(start: 0, step: 1, .ge, bound: 0, signed: false), .forever)
        // Unsigned 1, 3, 5, … wraps past the top back to 1 without ever being 0.
        XCTAssertEqual(LoopTripCount.of(start: 1, step: 2, .gt, bound: 0, signed: false), .atLeast(1 << 63))
        XCTAssertNil(LoopTripCount.of(start: 0, step: 0, .lt, bound: 5, signed: true))
    }

    func testGroupedDigits() {
        XCTAssertEqual(UInt64(0).groupedDigits, "0")
        XCTAssertEqual(UInt64(333_334).groupedDigits, "333,334")
        XCTAssertEqual(UInt64(8_589_934_591).groupedDigits, "8,589,934,591")
    }
}
