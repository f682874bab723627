/// A failure at load, attach or run time, already phrased for the user as one sentence.
public struct RuntimeError: Error, CustomStringConvertible {
    public var message: String
    /// Raw detail (the verifier log) printed only with `-v`.
    public var detail: String?
    public init(_ message: String, detail: String? = nil) { self.message = message; self.detail = detail }
    public var description: String { message }
}
