/// Values whose meaning depends on the probe type: `arg0`, `retval`, `func`, `probe`, `cpid`.
/// The checker resolves them in `TypeChecker+ProbeBuiltins.swift`; codegen lowers them in
/// `IRGen+ProbeBuiltins.swift`.
public enum ProbeValue: Equatable, Hashable, Sendable {
    /// `argN`: the Nth argument register of a kprobe/uprobe.
    case argument(Int)
    /// `retval`: the return value in a kretprobe/uretprobe/fexit.
    case retval
    /// `func`: the traced function's name.
    case function
    /// `probe`: the full probe name that fired.
    case probe
    /// `cpid`: the pid of the `-c` child.
    case childPID
}
