import Foundation
import Glibc
import XCTest

/// The real thing: Debian's Prometheus scrapes swtrace once a second on loopback, and its
/// query API must see the exec counter and a latency histogram `histogram_quantile()` can use.
final class PrometheusTests: XCTestCase {
    static let prometheus = "/usr/bin/prometheus"

    func testPrometheusSeesTheExecCounterAndALatencyQuantile() throws {
        try requireRoot()
        guard access(Self.prometheus, X_OK) == 0 else {
            return XCTFail("\(Self.prometheus) is missing: scripts/setup installs Debian's prometheus")
        }
        let token = "p" + String(UInt32.random(in: 0...UInt32.max), radix: 16).padding(toLength: 8, withPad: "0", startingAt: 0)
        let scriptPath = temporaryPath(".st")
        try """
            tracepoint:sched:sched_process_exec /comm == "\(token)"/ { @execs[comm] = count(); }
            tracepoint:syscalls:sys_enter_clock_nanosleep /comm == "\(token)"/ { @sleep_start[tid] = nsecs; }
            tracepoint:syscalls:sys_exit_clock_nanosleep /@sleep_start[tid]/ {
              @sleep_us = hist((nsecs - @sleep_start[tid]) / 1000);
              delete(@sleep_start[tid]);
            }
            """.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let swtrace = try startSwtrace(["--metrics-addr", ":0", scriptPath])
        guard let swtracePort = MetricsHTTP.servingPort(swtrace.stderr) else {
            return XCTFail("no 'Serving metrics' line:\n\(swtrace.stderr)")
        }

        let prometheusPort = try startPrometheus(scraping: swtracePort)

        // Ten 50 ms sleeps: ten execs, ten latencies in [32768, 65536) µs.
        for _ in 0..<10 {
            let workload = try runWorkload(["/bin/sh", "-c", ExamplesTests.runAsToken("/bin/sleep", "0.05"), "sh", token], timeout: 60)
            XCTAssertEqual(workload.status, 0, workload.stderr)
        }

        let counter = try waitForValue(port: prometheusPort, "swtrace_execs_total{comm=\"\(token)\"}") { $0 == 10 }
        XCTAssertEqual(counter, 10)
        let median = try waitForValue(port: prometheusPort, "histogram_quantile(0.5, swtrace_sleep_us_bucket)") { _ in true }
        XCTAssertNotNil(median)
        if let median {
            XCTAssertGreaterThan(median, 32767, "median sleep µs in the [32768, 65536) bucket")
            XCTAssertLessThanOrEqual(median, 65535, "median sleep µs in the [32768, 65536) bucket")
        }
        let up = try waitForValue(port: prometheusPort, "up{job=\"swtrace\"}") { _ in true }
        XCTAssertEqual(up, 1)
        let result = try swtrace.stop()
        XCTAssertTrue(result.stdout.contains("@execs[\(token)]: 10"), result.description)
    }

    /// Starts Prometheus on a free loopback port with its own temporary storage, scraping
    /// swtrace every second; killed (and its folder removed) when the test ends, pass or fail.
    func startPrometheus(scraping swtracePort: UInt16) throws -> UInt16 {
        let folder = temporaryPath("-prometheus")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = folder + "/prometheus.yml"
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: swtrace
                static_configs:
                  - targets: ["127.0.0.1:\(swtracePort)"]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let port = try MetricsHTTP.freePort()
        let prometheus = try ChildProcess([Self.prometheus, "--config.file=\(config)", "--storage.tsdb.path=\(folder)/data",
                                           "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"], name: "prometheus")
        addTeardownBlock { prometheus.kill() }
        let ready = prometheus.poll(timeout: 60) { (try? MetricsHTTP.get(port: port, "/-/ready").status) == 200 }
        guard ready else { throw SwtraceRunnerError("Prometheus did not get ready:\n\(excerpt(prometheus.stderr))") }
        return port
    }

    /// Polls `query` through `/api/v1/query` until its single value satisfies `accept` (or 30 s
    /// pass); returns the last value seen.
    func waitForValue(port: UInt16, _ query: String, _ accept: (Double) -> Bool) throws -> Double? {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        let deadline = Date().addingTimeInterval(30)
        var last: Double?
        var lastBody = ""
        while Date() < deadline {
            let response = try MetricsHTTP.get(port: port, "/api/v1/query?query=\(encoded)")
            lastBody = response.body
            if let data = response.body.data(using: .utf8),
               let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
               let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]],
               result.count == 1, let value = result[0]["value"] as? [Any], value.count == 2,
               let text = value[1] as? String, let number = Double(text) {
                last = number
                if accept(number) { return number }
            }
            usleep(500_000)
        }
        XCTFail("\(query): no accepted value in 30 s; last answer: \(lastBody)")
        return last
    }
}
