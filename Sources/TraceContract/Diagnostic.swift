/// One finding about a script, from any stage, located in the source.
public struct Diagnostic: Error, Equatable, Sendable {
    public enum Severity: String, Sendable { case error = "ERROR", warning = "WARNING" }
    public var severity: Severity
    public var range: SourceRange
    public var message: String
    /// Extra lines printed after the underline (e.g. "HINT: did you mean 'comm'?").
    public var notes: [String]

    public init(_ severity: Severity, _ range: SourceRange, _ message: String, notes: [String] = []) {
        self.severity = severity
        self.range = range
        self.message = message
        self.notes = notes
    }
    public static func error(_ range: SourceRange, _ message: String, suggestion: String? = nil) -> Diagnostic {
        Diagnostic(.error, range, message, notes: suggestion.map { ["HINT: did you mean '\($0)'?"] } ?? [])
    }
    public static func warning(_ range: SourceRange, _ message: String) -> Diagnostic {
        Diagnostic(.warning, range, message)
    }
}

/// The diagnostics a compilation collected, in the order they were found.
public struct Diagnostics: Error, Sendable {
    public var items: [Diagnostic] = []
    public init(_ items: [Diagnostic] = []) { self.items = items }
    public var hasErrors: Bool { items.contains { $0.severity == .error } }
    public var errors: [Diagnostic] { items.filter { $0.severity == .error } }
    public mutating func append(_ d: Diagnostic) { items.append(d) }
    public mutating func append(contentsOf other: Diagnostics) { items += other.items }
}

/// Prints diagnostics the way bpftrace does: `FILE:L:C-C: ERROR: msg`, the line, a `~` underline.
public enum DiagnosticRenderer {
    public static func render(_ d: Diagnostic, in file: SourceFile) -> String {
        let (line, col) = file.location(of: d.range.start)
        let lineText = file.lineText(line)
        // A range that spans lines is underlined to the end of its first line.
        let lineLen = lineText.utf8.count
        let endCol: Int
        let (endLine, endColumn) = file.location(of: d.range.end)
        if endLine == line { endCol = max(endColumn, col + 1) } else { endCol = max(lineLen + 1, col + 1) }
        var out = "\(file.name):\(line):\(col)-\(endCol): \(d.severity.rawValue): \(d.message)\n"
        out += lineText + "\n"
        // Tabs in the prefix keep their width so the underline stays under the span.
        var prefix = ""
        for (i, b) in lineText.utf8.enumerated() where i < col - 1 {
            prefix.append(b == UInt8(ascii: "\t") ? "\t" : " ")
        }
        if col - 1 > lineLen { prefix += String(repeating: " ", count: col - 1 - lineLen) }
        out += prefix + String(repeating: "~", count: endCol - col) + "\n"
        for note in d.notes { out += note + "\n" }
        return out
    }

    public static func render(_ ds: Diagnostics, in file: SourceFile) -> String {
        ds.items.map { render($0, in: file) }.joined()
    }
}
