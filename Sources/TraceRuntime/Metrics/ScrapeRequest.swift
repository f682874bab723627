/// One HTTP/1.x request head as the metrics endpoint reads it, and the answer it gets.
///
/// Only what a scraper sends matters: the request line and the `Accept` header. A body is
/// never read (a GET has none; the connection closes after every answer).
struct ScrapeRequest: Equatable {
    var method: String
    var target: String
    var accept: String?

    /// Longest request head accepted; Prometheus sends ~300 bytes.
    static let maxHeadBytes = 8192

    enum Parse: Equatable {
        /// The head has not ended yet: read more.
        case incomplete
        case complete(ScrapeRequest)
        /// What to answer at once, then close.
        case reject(ScrapeResponse.Status)
    }

    /// Parses the bytes read so far (the head ends at the first empty line, CRLF or bare LF).
    static func parse(_ bytes: [UInt8]) -> Parse {
        guard let end = headEnd(bytes) else {
            return bytes.count > maxHeadBytes ? .reject(.headerTooLarge) : .incomplete
        }
        if end > maxHeadBytes { return .reject(.headerTooLarge) }
        var lines = bytes[..<end].split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == 0x0D ? line.dropLast() : line
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first,
              requestLine.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return .reject(.badRequest) }
        let words = requestLine.split(separator: 0x20, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard words.count == 3, !words[0].isEmpty, words[0].allSatisfy({ $0.isLetter && $0.isUppercase }),
              words[1].hasPrefix("/") || words[1] == "*" || words[1].hasPrefix("http"),
              words[2] == "HTTP/1.1" || words[2] == "HTTP/1.0" else { return .reject(.badRequest) }
        var accept: String?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: 0x3A), colon > line.startIndex else { return .reject(.badRequest) }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            // A space before the colon is a request-smuggling vector (RFC 9112 §5.1).
            guard !name.contains(" "), !name.contains("\t") else { return .reject(.badRequest) }
            if name.lowercased() == "accept" {
                let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingBlanks
                accept = accept.map { $0 + "," + value } ?? value
            }
        }
        return .complete(ScrapeRequest(method: words[0], target: words[1], accept: accept))
    }

    /// Index just past the blank line that ends the head, or nil.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0A {
                if i + 1 < bytes.count, bytes[i + 1] == 0x0A { return i + 2 }
                if i + 2 < bytes.count, bytes[i + 1] == 0x0D, bytes[i + 2] == 0x0A { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    /// The path without a query string; an absolute-form target (`http://host/metrics`) too.
    var path: String {
        var t = Substring(target)
        if t.hasPrefix("http://") || t.hasPrefix("https://") {
            let rest = t.drop(while: { $0 != ":" }).dropFirst(3)
            t = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        return String(t.prefix(while: { $0 != "?" && $0 != "#" }))
    }

    /// What the request gets: the page for `GET /metrics`, 404 for other paths, 405 for other methods.
    func route() -> ScrapeResponse.Status? {
        guard path == "/metrics" else { return .notFound }
        guard method == "GET" else { return .methodNotAllowed }
        return nil
    }
}

/// An answer, always with `Connection: close`.
struct ScrapeResponse {
    enum Status: Int, Equatable {
        case ok = 200, badRequest = 400, notFound = 404, methodNotAllowed = 405, requestTimeout = 408
        case headerTooLarge = 431, unavailable = 503

        var reason: String {
            switch self {
            case .ok: return "OK"
            case .badRequest: return "Bad Request"
            case .notFound: return "Not Found"
            case .methodNotAllowed: return "Method Not Allowed"
            case .requestTimeout: return "Request Timeout"
            case .headerTooLarge: return "Request Header Fields Too Large"
            case .unavailable: return "Service Unavailable"
            }
        }
    }

    var status: Status
    var contentType = "text/plain; charset=utf-8"
    var body: [UInt8]

    static func error(_ status: Status) -> ScrapeResponse {
        ScrapeResponse(status: status, body: Array("\(status.rawValue) \(status.reason)\n".utf8))
    }

    var bytes: [UInt8] {
        var head = "HTTP/1.1 \(status.rawValue) \(status.reason)\r\nContent-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n"
        if status == .methodNotAllowed { head += "Allow: GET\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }
}
