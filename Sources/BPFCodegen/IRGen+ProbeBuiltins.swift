import CLLVM
import ScriptParser

/// Lowering of probe-type-dependent values (`.probeValue`).
extension IRGen {
    /// The i64 value of a probe-dependent builtin.
    func emitProbeValue(_ v: ProbeValue, _ e: Expr) throws -> LLVMValueRef {
        throw CodegenError("\(v) is not supported for this probe type yet", range: e.range)
    }

    /// Writes a string-valued probe builtin (`func`, `probe`) into `dest`.
    func emitProbeValueString(_ v: ProbeValue, _ e: Expr, into dest: LLVMValueRef, capacity: Int) throws {
        throw CodegenError("\(v) is not supported for this probe type yet", range: e.range)
    }
}
