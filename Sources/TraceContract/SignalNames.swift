/// Linux's signal names, both ways: `signal("KILL")` takes a name, `signame(9)` prints one.
public enum SignalNames {
    /// The signal numbers by name without `SIG` (the same on x86-64 and arm64).
    public static let numbers: [String: Int] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
        "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
        "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "PWR": 30, "SYS": 31,
    ]

    static let names: [Int: String] = Dictionary(uniqueKeysWithValues: numbers.map { ($0.value, "SIG" + $0.key) })

    /// `SIGTERM` for 15; real-time signals as `SIGRTMIN+N` (glibc's SIGRTMIN is 34 and
    /// SIGRTMAX 64); `UNKNOWN` for anything else, as bcc's exitsnoop prints an unnamed signal.
    public static func name(of number: Int64) -> String {
        if let name = names[Int(clamping: number)] { return name }
        switch number {
        case 34: return "SIGRTMIN"
        case 35...63: return "SIGRTMIN+\(number - 34)"
        case 64: return "SIGRTMAX"
        default: return "UNKNOWN"
        }
    }
}
