/// Values whose meaning depends on the probe type: `arg0`, `args.x`, `retval`, `func`, `probe`,
/// `cpid`. The checker resolves each name to the case saying where the value lives
/// (`TypeChecker+ProbeBuiltins.swift`); codegen lowers the case (`IRGen+ProbeBuiltins.swift`).
public enum ProbeValue: Equatable, Hashable, Sendable {
    /// `argN` of a kprobe or uprobe: the Nth argument register in `pt_regs`.
    case argument(Int)
    /// The Nth u64 of a BTF-typed context: a raw tracepoint's or fentry's Nth argument, and
    /// fexit's return value (the slot after the arguments).
    case contextSlot(Int)
    /// `argN` of a USDT probe, located by the spec libbpf stored for the site that fired.
    case usdtArgument(Int)
    /// `retval` of a kretprobe or uretprobe: the return-value register.
    case retval
    /// `func`: the traced function's name (a string).
    case function
    /// `probe`: the full probe name that fired (a string).
    case probe
    /// `cpid`: the pid of the `-c` child.
    case childPID
    /// `ctx`: the address of the program's context (pt_regs, a tracepoint record, perf event
    /// data, …), for casts such as `((struct x *)ctx)->x`.
    case context
}
