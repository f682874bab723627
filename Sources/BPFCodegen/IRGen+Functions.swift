import CLLVM
import ScriptParser

/// Lowering of the functions and builtins in TypeChecker+Functions. Nil/false: not mine.
extension IRGen {
    /// An integer-valued call or builtin.
    func emitFunctionValue(_ e: Expr) throws -> LLVMValueRef? { nil }
    /// A string-valued call or builtin written into `dest`.
    func emitFunctionString(_ e: Expr, into dest: LLVMValueRef, capacity: Int) throws -> Bool { false }
    /// A call evaluated for its effect (cat, system, signal, time, …).
    func emitFunctionEffect(_ e: Expr) throws -> Bool { false }
}
