import Glibc

/// The `--metrics-addr` endpoint: HTTP/1.1 on a thread of its own, `GET /metrics` only.
///
/// One thread multiplexes every connection with poll(): a connection that is slow to send its
/// head is cut after `headTimeoutMs`, one whose head grows past `ScrapeRequest.maxHeadBytes`
/// is refused, and past `maxConnections` new ones get 503 at once. Pages are built on this
/// thread from map reads (syscalls on the map fds), so the event loop never waits for a
/// scrape. Small and hand-written on purpose: a full HTTP stack (SwiftNIO) would cost more
/// build time than the whole runtime for one route.
public final class MetricsServer {
    public static let maxConnections = 16
    static let headTimeoutMs = 5_000
    static let writeTimeoutMs = 10_000

    /// Where it listens, with the port the kernel chose for `:0`.
    public let address: MetricsAddress
    private let listener: Int32
    private let wake: (read: Int32, write: Int32)
    private let page: (MetricsFormat) -> [UInt8]
    private var thread: pthread_t?

    private struct Connection {
        var fd: Int32
        var head: [UInt8] = []
        var deadline: Int
    }

    /// Binds and listens at once, so a taken port is an error before tracing starts.
    public init(address: MetricsAddress, page: @escaping (MetricsFormat) -> [UInt8]) throws {
        let (fd, port) = try address.listen().get()
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            close(fd)
            throw RuntimeError("--metrics-addr: pipe: \(String(cString: strerror(errno)))")
        }
        pipeFDs.forEach(Self.makeNonBlocking)
        listener = fd
        wake = (pipeFDs[0], pipeFDs[1])
        self.address = MetricsAddress(host: address.host, port: port)
        self.page = page
    }

    deinit {
        stop()
        close(listener)
        close(wake.read)
        close(wake.write)
    }

    public func start() throws {
        guard thread == nil else { return }
        var tid = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&tid, nil, { context in
            guard let context else { return nil }
            let server = Unmanaged<MetricsServer>.fromOpaque(context).takeRetainedValue()
            // SIGINT/SIGTERM belong to the event loop: its poll() must see them, not ours.
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGINT)
            sigaddset(&blocked, SIGTERM)
            sigaddset(&blocked, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            server.serve()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<MetricsServer>.fromOpaque(context).release()
            throw RuntimeError("--metrics-addr: could not start the server thread: \(String(cString: strerror(rc)))")
        }
        thread = tid
    }

    /// Ends the thread and waits for it; a scrape under way finishes first.
    public func stop() {
        guard let tid = thread else { return }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        pthread_join(tid, nil)
        thread = nil
    }

    private func serve() {
        var connections: [Connection] = []
        defer { for c in connections { close(c.fd) } }
        while true {
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            fds += connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let now = Self.nowMs()
            let timeout = connections.map { max(0, $0.deadline - now) }.min() ?? -1
            let n = poll(&fds, nfds_t(fds.count), Int32(clamping: timeout))
            if n < 0, errno != EINTR { return }
            if fds[0].revents != 0 { return }
            var keep: [Connection] = []
            for (i, var c) in connections.enumerated() {
                let revents = fds[i + 2].revents
                if revents != 0, !read(&c) { continue }
                if Self.nowMs() >= c.deadline {
                    respond(c.fd, .error(.requestTimeout))
                    close(c.fd)
                    continue
                }
                keep.append(c)
            }
            connections = keep
            if fds[1].revents != 0 { accept(into: &connections) }
        }
    }

    /// Reads what arrived; false once the connection is answered or gone (and closed).
    private func read(_ c: inout Connection) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(c.fd, &buffer, buffer.count, 0)
        if n < 0, errno == EAGAIN || errno == EINTR { return true }
        guard n > 0 else {
            close(c.fd)
            return false
        }
        c.head += buffer[..<n]
        switch ScrapeRequest.parse(c.head) {
        case .incomplete:
            return true
        case .reject(let status):
            respond(c.fd, .error(status))
        case .complete(let request):
            if let status = request.route() {
                respond(c.fd, .error(status))
            } else {
                let format = MetricsFormat.negotiate(accept: request.accept)
                respond(c.fd, ScrapeResponse(status: .ok, contentType: format.contentType, body: page(format)))
            }
        }
        close(c.fd)
        return false
    }

    private func accept(into connections: inout [Connection]) {
        while true {
            let fd = Glibc.accept(listener, nil, nil)
            guard fd >= 0 else {
                // Out of descriptors: the listener stays readable, so back off instead of spinning.
                if errno == EMFILE || errno == ENFILE { usleep(100_000) }
                return
            }
            Self.makeNonBlocking(fd)
            guard connections.count < Self.maxConnections else {
                respond(fd, .error(.unavailable))
                close(fd)
                continue
            }
            connections.append(Connection(fd: fd, deadline: Self.nowMs() + Self.headTimeoutMs))
        }
    }

    /// Writes the whole response or gives up after `writeTimeoutMs` (a scraper that stopped reading).
    private func respond(_ fd: Int32, _ response: ScrapeResponse) {
        let bytes = response.bytes
        let deadline = Self.nowMs() + Self.writeTimeoutMs
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { all -> Int in
                guard let base = all.baseAddress else { return 0 }
                return send(fd, base + sent, all.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { sent += n; continue }
            guard n < 0, errno == EAGAIN || errno == EINTR else { return }
            let left = deadline - Self.nowMs()
            guard left > 0 else { return }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&p, 1, Int32(clamping: left))
        }
        // Let the peer read everything before the close (no RST over unread request bytes).
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Glibc's module map hides pipe2 and accept4 (_GNU_SOURCE), so the flags are set after.
    static func makeNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    static func nowMicros() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
    }

    static func nowMs() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }
}
