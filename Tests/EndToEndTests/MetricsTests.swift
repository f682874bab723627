import Foundation
import Glibc
import XCTest

/// `--metrics-addr`: the page a real scrape gets, the server's refusals, and that scrapes
/// never cost tracing an event.
final class MetricsTests: XCTestCase {
    /// A comm for this run's workload (short enough that the kernel keeps it whole).
    func shortToken() -> String { "m" + String(UInt32.random(in: 0...UInt32.max), radix: 16).padding(toLength: 8, withPad: "0", startingAt: 0) }

    /// Runs `program` under the name `token`, so that its comm is the token.
    func runAs(_ token: String, _ program: String) throws {
        let result = try runWorkload(["/bin/sh", "-c", ExamplesTests.runAsToken(program), "sh", token])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// Starts swtrace on `script` (written to a file, so help text names it) serving metrics on
    /// a port the kernel picks; returns the process, the port and the script's path.
    func startServing(_ script: String, extra: [String] = []) throws -> (SwtraceProcess, UInt16, String) {
        let path = temporaryPath(".st")
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let swtrace = try startSwtrace(["--metrics-addr", ":0"] + extra + [path])
        guard let port = MetricsHTTP.servingPort(swtrace.stderr) else {
            throw SwtraceRunnerError("no 'Serving metrics' line:\n\(swtrace.stderr)")
        }
        return (swtrace, port, path)
    }

    func testScrapeShowsCountersWithLabelsAndPromtoolAcceptsThePage() throws {
        try requireRoot()
        let token = shortToken()
        let (swtrace, port, path) = try startServing("""
            tracepoint:sched:sched_process_exec /comm == "\(token)"/ { @execs[comm] = count(); @ = count(); @last_pid = pid; }
            """)
        XCTAssertTrue(swtrace.stderr.contains("Serving metrics on http://127.0.0.1:\(port)/metrics"), "binds loopback by default")
        for _ in 0..<5 { try runAs(token, "/bin/true") }

        let text = try MetricsHTTP.get(port: port, "/metrics")
        XCTAssertEqual(text.status, 200, text.head)
        XCTAssertTrue(text.head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"), text.head)
        let lines = text.body.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("# HELP swtrace_execs_total count() of @execs[comm] (\(path):1)"), text.body)
        XCTAssertTrue(lines.contains("# TYPE swtrace_execs_total counter"), text.body)
        XCTAssertTrue(lines.contains("swtrace_execs_total{comm=\"\(token)\"} 5"), text.body)
        XCTAssertTrue(lines.contains("swtrace_map_total 5"), text.body)
        XCTAssertTrue(lines.contains("# TYPE swtrace_last_pid gauge"), text.body)

        let pageFile = temporaryPath(".prom")
        try text.body.write(toFile: pageFile, atomically: true, encoding: .utf8)
        let check = try runWorkload("promtool check metrics < \(pageFile)")
        XCTAssertEqual(check.status, 0, "promtool: \(check.stdout)\(check.stderr)\n\(text.body)")

        let open = try MetricsHTTP.get(port: port, "/metrics", accept: "application/openmetrics-text;version=1.0.0,text/plain;q=0.5")
        XCTAssertTrue(open.head.contains("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"), open.head)
        XCTAssertTrue(open.body.hasSuffix("# EOF\n"), open.body)
        XCTAssertTrue(open.body.contains("# TYPE swtrace_execs counter\nswtrace_execs_total{comm=\"\(token)\"} 5\n"), open.body)

        let result = try swtrace.stop()
        XCTAssertTrue(result.stdout.contains("@execs[\(token)]: 5"), result.description)
    }

    func testBadRequestsAreRefusedAndTracingGoesOn() throws {
        try requireRoot()
        let token = shortToken()
        let (swtrace, port, _) = try startServing("tracepoint:sched:sched_process_exec /comm == \"\(token)\"/ { @execs = count(); }")

        // A client that sends half a head and stalls holds no one else up…
        let stalled = try MetricsHTTP.connect(port: port, timeout: 15)
        defer { close(stalled) }
        MetricsHTTP.send(stalled, "GET /metrics HTTP/1.1\r\nHost: x\r\n")
        try runAs(token, "/bin/true")

        XCTAssertEqual(try MetricsHTTP.get(port: port, "/").status, 404)
        XCTAssertEqual(try MetricsHTTP.get(port: port, "/metrics/x").status, 404)
        XCTAssertEqual(try MetricsHTTP.exchange(port: port, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc").status, 405)
        XCTAssertEqual(try MetricsHTTP.exchange(port: port, "\u{16}\u{03}\u{01}\u{02}\u{00}\r\n\r\n").status, 400, "TLS hello bytes")
        XCTAssertEqual(try MetricsHTTP.exchange(port: port, "GET /metrics HTTP/1.1\r\nX: " + String(repeating: "y", count: 20_000)).status, 431)

        // …and past the limit of open connections the next one is told to come back later.
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        for _ in 0..<15 { idle.append(try MetricsHTTP.connect(port: port)) }
        usleep(200_000)
        XCTAssertEqual(MetricsHTTP.readAll(try MetricsHTTP.connect(port: port)).status, 503)
        idle.forEach { close($0) }
        idle = []
        usleep(200_000)

        try runAs(token, "/bin/true")
        let page = try MetricsHTTP.get(port: port, "/metrics")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains("swtrace_execs_total 2\n"), page.body)

        // The stalled client is cut off after the head time-out (5 s).
        let cut = MetricsHTTP.readAll(stalled)
        XCTAssertEqual(cut.status, 408, cut.head)

        let result = try swtrace.stop()
        XCTAssertTrue(result.stdout.contains("@execs: 2"), result.description)
    }

    func testAddressErrorsStopBeforeTracing() throws {
        try requireRoot()
        let taken = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(taken) }
        let port = try MetricsHTTP.freePort()
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(taken, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(taken, 1), 0)
        let busy = try runSwtrace(["--metrics-addr", "127.0.0.1:\(port)", "-e", "BEGIN { printf(\"started\\n\"); exit(); }"])
        XCTAssertEqual(busy.status, 1, busy.description)
        XCTAssertTrue(busy.stderr.contains("cannot listen on 127.0.0.1:\(port): Address already in use"), busy.description)
        XCTAssertFalse(busy.stdout.contains("started"), busy.description)

        let bad = try runSwtrace(["--metrics-addr", "9100", "-e", "BEGIN { exit(); }"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("--metrics-addr takes HOST:PORT or :PORT, not '9100'"), bad.description)
    }

    /// 100,000 events through the ring buffer and a count(), once without scrapes and once
    /// with scrapes all the while: the scraped run keeps every event the quiet run keeps.
    func testScrapesWhileAHundredThousandEventsArriveLoseNothing() throws {
        try requireRoot()
        func run(scraping: Bool) throws -> (lines: Int, calls: String, scrapes: Int) {
            let token = shortToken()
            // 1 MiB of ring buffer (~30,000 records) absorbs the debug build's slower printing.
            let script = """
                config = { perf_rb_pages = 256 }
                tracepoint:syscalls:sys_enter_getppid /comm == "\(token)"/ { @calls = count(); printf("e\\n"); }
                """
            let (swtrace, port, _) = try startServing(script)
            // 100,000 getppid() in 100 bursts over ~1.5 s, so scrapes land while events arrive.
            let python = "import os,time\nfor _ in range(100):\n    [os.getppid() for _ in range(1000)]\n    time.sleep(0.01)\n"
            let workload = try ChildProcess(["/bin/sh", "-c", ExamplesTests.runAsToken("/usr/bin/python3", "-c '\(python)'"), "sh", token])
            addTeardownBlock { workload.kill() }
            var scrapes = 0
            while workload.isRunning {
                if scraping, try MetricsHTTP.get(port: port, "/metrics").status == 200 { scrapes += 1 }
                usleep(scraping ? 20_000 : 50_000)
            }
            XCTAssertEqual(workload.exitStatus, 0, workload.stderr)
            swtrace.waitForOutput(timeout: 10) { $0.utf8.count >= 200_000 }
            let result = try swtrace.stop()
            let lines = result.lines.filter { $0 == "e" }.count
            let calls = result.lines.first { $0.hasPrefix("@calls: ") } ?? "none"
            return (lines, calls, scrapes)
        }
        let quiet = try run(scraping: false)
        let scraped = try run(scraping: true)
        XCTAssertGreaterThanOrEqual(scraped.scrapes, 2, "scrapes while events arrived")
        XCTAssertEqual(quiet.calls, "@calls: 100000")
        XCTAssertEqual(scraped.calls, quiet.calls)
        XCTAssertEqual(quiet.lines, 100_000)
        XCTAssertEqual(scraped.lines, quiet.lines)
    }
}
