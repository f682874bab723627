/// `-p PID`, checked as bpftrace checks it: digits only, inside the kernel's pid range.
enum TargetPID {
    /// PID_MAX_LIMIT on 64-bit kernels: no pid is ever above it, whatever kernel.pid_max says.
    static let maximum = 4_194_304

    static func parse(_ text: String) -> Result<Int32, TargetPIDError> {
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .failure(TargetPIDError("pid '\(text)' is not a valid decimal number"))
        }
        // Too many digits for any integer is out of range too, not "not a number".
        guard let value = Int(text), value >= 1, value <= maximum else {
            return .failure(TargetPIDError("pid '\(text)' out of valid pid range [1,\(maximum)]"))
        }
        return .success(Int32(value))
    }
}

struct TargetPIDError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
