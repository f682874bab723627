/// One sentence on why the verifier refused a program, from the verifier's own reason: the
/// raw reason names registers and instruction numbers, which say nothing about the script.
enum VerifierCause {
    /// (substring of the verifier's message, the cause in the script's terms).
    static let causes: [(pattern: String, cause: String)] = [
        ("combined stack size", "the probe needs more than the 512 bytes of stack BPF allows (large tuples, strings or many variables live at once)"),
        ("stack depth", "the probe needs more than the 512 bytes of stack BPF allows (large tuples, strings or many variables live at once)"),
        ("invalid stack off", "the probe needs more than the 512 bytes of stack BPF allows (large tuples, strings or many variables live at once)"),
        ("infinite loop detected", "a loop never ends: its condition does not change from one iteration to the next"),
        ("jumps is too complex", "a loop has too many iterations for the verifier to follow (it checks every one): lower its bound"),
        ("BPF program is too large", "the probe is too large or a loop has too many iterations for the verifier to follow (a million instructions at most): lower loop bounds or split the probe"),
        ("back-edge from insn", "a loop whose end the verifier cannot prove: give it a constant bound"),
        ("loop is not bounded", "a loop whose end the verifier cannot prove: give it a constant bound"),
        ("unbounded memory access", "a memory access whose offset the verifier cannot bound (an index or length computed at run time): compare it with a constant limit first"),
        ("min value is negative", "a memory access at an offset that may be negative (a signed index): cast it to an unsigned type or check it first"),
        ("outside of the allowed memory range", "a memory access past the end of a buffer or map value: check the index or length against the size first"),
        ("invalid access to map value", "a read or write past the end of a map value"),
        ("invalid access to packet", "a read past the end of the packet data"),
        ("invalid indirect read from stack", "a value is used before every byte of it was set (an uninitialised buffer or tuple)"),
        ("invalid read from stack", "a value is used before every byte of it was set (an uninitialised buffer or tuple)"),
        ("!read_ok", "a register is read before it was set: a swtrace code generation bug, please report the script"),
        ("dereference of modified ctx ptr", "the probe's context is read through a computed address (for example a ternary choosing between two arguments): a swtrace code generation bug, please report the script"),
        ("invalid mem access", "a pointer is dereferenced that the verifier cannot prove valid: read kernel or user memory through str(), buf() or a typed pointer"),
        ("cannot use helper", "the probe calls a function this probe type may not call"),
        ("unknown func", "the probe calls a kernel helper this kernel does not have"),
        ("misaligned", "a memory access is not aligned to its size"),
    ]

    /// The cause for the verifier's reason line, or nil when it is not one we know.
    static func explain(_ reason: String) -> String? {
        causes.first { reason.contains($0.pattern) }?.cause
    }
}
