import Glibc

/// `--metrics-addr`: `HOST:PORT`, `[V6]:PORT`, or `:PORT` (loopback: nothing is exposed
/// beyond the machine unless a host is named).
public struct MetricsAddress: Equatable, Sendable {
    public var host: String
    public var port: UInt16

    public static let defaultHost = "127.0.0.1"

    public init(host: String, port: UInt16) { self.host = host; self.port = port }

    public static func parse(_ text: String) -> Result<MetricsAddress, RuntimeError> {
        let bad = RuntimeError("--metrics-addr takes HOST:PORT or :PORT, not '\(text)'")
        guard let colon = text.lastIndex(of: ":") else { return .failure(bad) }
        var host = String(text[..<colon])
        guard let port = UInt16(text[text.index(after: colon)...]) else { return .failure(bad) }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return .failure(bad) }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            return .failure(bad)  // an IPv6 address needs its brackets: [::1]:9100
        }
        return .success(MetricsAddress(host: host.isEmpty ? defaultHost : host, port: port))
    }

    /// `127.0.0.1:9100`, `[::1]:9100`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// A listening socket (non-blocking, close-on-exec) bound to the address.
    func listen() -> Result<(fd: Int32, port: UInt16), RuntimeError> {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            return .failure(RuntimeError("--metrics-addr: cannot resolve '\(host)': \(String(cString: gai_strerror(rc)))"))
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = errno; continue }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard bind(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0, Glibc.listen(fd, 64) == 0 else {
                lastError = errno
                close(fd)
                continue
            }
            return .success((fd, Self.boundPort(fd) ?? port))
        }
        return .failure(RuntimeError("--metrics-addr: cannot listen on \(description): \(String(cString: strerror(lastError)))"))
    }

    /// The port the kernel chose for `:0`.
    private static func boundPort(_ fd: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { p -> UInt16 in
            if family == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }
}
