/// The two exposition formats a scrape can get: Prometheus text 0.0.4, or OpenMetrics 1.0.0
/// when the scraper's `Accept` header prefers it (Prometheus itself does).
public enum MetricsFormat: Equatable, Sendable {
    case prometheusText
    case openMetrics

    public var contentType: String {
        switch self {
        case .prometheusText: return "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// Picks the format from an `Accept` header: OpenMetrics when its media type is accepted
    /// with a quality at least that of `text/plain` (or a wildcard); text otherwise.
    public static func negotiate(accept: String?) -> MetricsFormat {
        guard let accept else { return .prometheusText }
        var openMetrics = 0.0, text = 0.0
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingBlanks.lowercased() }
            guard let type = parts.first else { continue }
            var quality = 1.0
            var version: String?
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingBlanks }
                guard pair.count == 2 else { continue }
                if pair[0] == "q" { quality = Double(pair[1]) ?? 0 }
                if pair[0] == "version" { version = pair[1] }
            }
            switch type {
            case "application/openmetrics-text":
                // 0.0.1 is the draft Prometheus still lists; both read what we write.
                if version == nil || version == "1.0.0" || version == "0.0.1" { openMetrics = max(openMetrics, quality) }
            case "text/plain", "text/*", "*/*":
                text = max(text, quality)
            default:
                break
            }
        }
        return openMetrics > 0 && openMetrics >= text ? .openMetrics : .prometheusText
    }
}

extension Substring {
    var trimmingBlanks: String {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}

extension String {
    var trimmingBlanks: String { Substring(self).trimmingBlanks }
}
