/// `watchpoint:ADDR:LEN:MODE` and `watchpoint:FUNC+argN:LEN:MODE` (and `asyncwatchpoint`):
/// a hardware breakpoint on LEN bytes at an address. For a function, the address is the
/// function's argument N, known only when the traced process calls it: the breakpoint is set
/// then (the process held with SIGSTOP meanwhile, unless `asyncwatchpoint`).
public struct WatchpointTarget: Codable, Hashable, Sendable {
    /// The address, for `watchpoint:ADDR:…`.
    public var address: UInt64?
    /// The function whose argument is the address, in the traced process's binary.
    public var function: UserFunction?
    /// Which argument holds the address (`argN`).
    public var argument: Int
    /// Bytes watched: 1, 2, 4 or 8.
    public var length: Int
    /// Any of `r`, `w` (together or alone), or `x`.
    public var mode: String
    /// `asyncwatchpoint`: the process is not stopped while the breakpoint is set.
    public var isAsync: Bool

    public init(address: UInt64? = nil, function: UserFunction? = nil, argument: Int = 0, length: Int, mode: String, isAsync: Bool) {
        self.address = address; self.function = function; self.argument = argument
        self.length = length; self.mode = mode; self.isAsync = isAsync
    }

    /// `watchpoint:0x10000000:8:w`, `watchpoint:./prog:increment:4:w`: the `probe` builtin.
    public var description: String {
        let type = isAsync ? "asyncwatchpoint" : "watchpoint"
        if let function { return "\(type):\(function.binary):\(function.symbol):\(length):\(mode)" }
        return "\(type):0x\(String(address ?? 0, radix: 16)):\(length):\(mode)"
    }

    /// HW_BREAKPOINT_R (1), _W (2), _RW (3) or _X (4), as perf_event_attr.bp_type takes it.
    public var breakpointType: UInt32 {
        if mode == "x" { return 4 }
        return (mode.contains("r") ? 1 : 0) | (mode.contains("w") ? 2 : 0)
    }
}
