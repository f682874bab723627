import Foundation
import Glibc

/// A bare HTTP/1.1 client over a loopback socket, so tests can send exactly the bytes they
/// mean (malformed heads included) to swtrace's `--metrics-addr` and to Prometheus.
enum MetricsHTTP {
    struct Response {
        var status: Int
        var head: String
        var body: String
    }

    /// Opens a TCP connection to 127.0.0.1:`port` (blocking, with a receive time-out).
    static func connect(port: UInt16, timeout: Int = 10) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SwtraceRunnerError("socket: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw SwtraceRunnerError("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until the server closes the connection (or the receive time-out).
    static func readAll(_ fd: Int32) -> Response {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return Response(status: status, head: head, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// Sends `request` as it is and returns the answer.
    static func exchange(port: UInt16, _ request: String) throws -> Response {
        let fd = try connect(port: port)
        defer { close(fd) }
        send(fd, request)
        return readAll(fd)
    }

    static func get(port: UInt16, _ target: String, accept: String? = nil) throws -> Response {
        // Close: readAll reads to the end of the connection, which a kept-alive one never reaches.
        var request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let accept { request += "Accept: \(accept)\r\n" }
        return try exchange(port: port, request + "\r\n")
    }

    /// A port nobody listens on right now (the kernel's pick, released at once).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw SwtraceRunnerError("no free port: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }

    /// The port from swtrace's `Serving metrics on http://127.0.0.1:PORT/metrics`.
    static func servingPort(_ stderr: String) -> UInt16? {
        guard let range = stderr.range(of: #"Serving metrics on http://127\.0\.0\.1:\d+/"#, options: .regularExpression) else { return nil }
        return UInt16(stderr[range].split(separator: ":").last?.dropLast() ?? "")
    }
}
