import XCTest
@testable import TraceRuntime

/// Request heads as scrapers, browsers and broken clients send them.
final class ScrapeRequestTests: XCTestCase {
    func parse(_ text: String) -> ScrapeRequest.Parse { ScrapeRequest.parse(Array(text.utf8)) }

    func testPrometheusScrapeIsParsedWithItsAcceptHeader() {
        let head = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9100\r\nUser-Agent: Prometheus/2.42.0\r\n"
            + "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
            + "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n"
        guard case .complete(let r) = parse(head) else { return XCTFail("\(parse(head))") }
        XCTAssertNil(r.route())
        XCTAssertEqual(MetricsFormat.negotiate(accept: r.accept), .openMetrics)
    }

    func testHeadArrivingInPiecesIsIncompleteUntilTheBlankLine() {
        XCTAssertEqual(parse("GET /metrics HT"), .incomplete)
        XCTAssertEqual(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n"), .incomplete)
        guard case .complete = parse("GET /metrics HTTP/1.0\n\n") else { return XCTFail("bare LF head") }
    }

    func testRoutes() {
        func route(_ line: String) -> ScrapeResponse.Status? {
            guard case .complete(let r) = parse(line + "\r\n\r\n") else { return .badRequest }
            return r.route()
        }
        XCTAssertNil(route("GET /metrics?name[]=x HTTP/1.1"))
        XCTAssertNil(route("GET http://host:9100/metrics HTTP/1.1"))
        XCTAssertEqual(route("GET / HTTP/1.1"), .notFound)
        XCTAssertEqual(route("GET /metrics/ HTTP/1.1"), .notFound)
        XCTAssertEqual(route("GET /metricsx HTTP/1.1"), .notFound)
        XCTAssertEqual(route("POST /metrics HTTP/1.1"), .methodNotAllowed)
        XCTAssertEqual(route("HEAD /metrics HTTP/1.1"), .methodNotAllowed)
        XCTAssertEqual(route("DELETE /other HTTP/1.1"), .notFound)
    }

    func testMalformedHeadsAreRejected() {
        for bad in ["GET /metrics\r\n\r\n", "GET  /metrics HTTP/1.1\r\n\r\n", "get /metrics HTTP/1.1\r\n\r\n",
                    "GET /metrics HTTP/2.0\r\n\r\n", "GET /metrics HTTP/1.1\r\nNoColon\r\n\r\n",
                    "GET /metrics HTTP/1.1\r\nAccept : x\r\n\r\n", "GET /me\u{1}trics HTTP/1.1\r\n\r\n",
                    "\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n"] {
            XCTAssertEqual(parse(bad), .reject(.badRequest), bad.debugDescription)
        }
    }

    func testOversizedHeadIsRefusedWithoutWaitingForItsEnd() {
        let long = "GET /metrics HTTP/1.1\r\nX-Fill: " + String(repeating: "a", count: ScrapeRequest.maxHeadBytes)
        XCTAssertEqual(parse(long), .reject(.headerTooLarge))
        XCTAssertEqual(parse(long + "\r\n\r\n"), .reject(.headerTooLarge))
    }

    func testAcceptNegotiation() {
        XCTAssertEqual(MetricsFormat.negotiate(accept: nil), .prometheusText)
        XCTAssertEqual(MetricsFormat.negotiate(accept: "*/*"), .prometheusText)
        XCTAssertEqual(MetricsFormat.negotiate(accept: "text/plain;version=0.0.4"), .prometheusText)
        XCTAssertEqual(MetricsFormat.negotiate(accept: "application/openmetrics-text"), .openMetrics)
        XCTAssertEqual(MetricsFormat.negotiate(accept: "text/plain;q=0.9, application/openmetrics-text;q=0.5"), .prometheusText)
        XCTAssertEqual(MetricsFormat.negotiate(accept: "application/openmetrics-text;version=2.0.0"), .prometheusText)
        XCTAssertEqual(MetricsFormat.negotiate(accept: "application/openmetrics-text;q=0"), .prometheusText)
    }

    func testResponsesCloseAndSayWhatIsAllowed() {
        let text = String(decoding: ScrapeResponse.error(.methodNotAllowed).bytes, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), text)
        XCTAssertTrue(text.contains("Allow: GET\r\n"))
        XCTAssertTrue(text.contains("Connection: close\r\n"))
        XCTAssertTrue(text.hasSuffix("\r\n\r\n405 Method Not Allowed\n"))
    }

    func testAddresses() throws {
        XCTAssertEqual(try MetricsAddress.parse(":9100").get(), MetricsAddress(host: "127.0.0.1", port: 9100))
        XCTAssertEqual(try MetricsAddress.parse("0.0.0.0:80").get(), MetricsAddress(host: "0.0.0.0", port: 80))
        XCTAssertEqual(try MetricsAddress.parse("[::1]:9100").get(), MetricsAddress(host: "::1", port: 9100))
        for bad in ["9100", "::1:9100", "host:", "host:70000", "[::1:9100", "h:p"] {
            XCTAssertThrowsError(try MetricsAddress.parse(bad).get(), bad)
        }
    }
}

/// Random and mangled heads: the parser answers every one of them without trapping.
final class ScrapeRequestNoiseTests: XCTestCase {
    func testRandomBytesNeverTrap() {
        var rng = SplitMix(seed: 14)
        let valid = Array("GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text\r\n\r\n".utf8)
        var outcomes = [0, 0, 0]
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                // A valid head with a few bytes changed, cut or repeated.
                bytes = valid
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 3 {
                    case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: bytes.removeSubrange(at...)
                    default: bytes.insert(contentsOf: bytes[at...].prefix(8), at: at)
                    }
                    if bytes.isEmpty { bytes = [0x0A] }
                }
            }
            switch ScrapeRequest.parse(bytes) {
            case .incomplete: outcomes[0] += 1
            case .complete(let r):
                outcomes[1] += 1
                _ = r.route()
                _ = MetricsFormat.negotiate(accept: r.accept)
            case .reject: outcomes[2] += 1
            }
        }
        XCTAssertTrue(outcomes.allSatisfy { $0 > 0 }, "every outcome seen: \(outcomes)")
    }
}

/// A small deterministic generator, so a failure replays.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
