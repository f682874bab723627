import CLLVM
import ScriptParser

/// Lowering of kernel-type expressions (see TypeChecker+KernelTypes). Nil/false: not mine.
extension IRGen {
    func emitKernelTypeValue(_ e: Expr) throws -> LLVMValueRef? { nil }
    func emitKernelTypeString(_ e: Expr, into dest: LLVMValueRef, capacity: Int) throws -> Bool { false }
}
