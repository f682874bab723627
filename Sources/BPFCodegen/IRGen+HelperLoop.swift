import TraceContract
import CLLVM
import ScriptParser

/// Loops over long strings through the kernel's `bpf_loop` helper (kernel ≥ 5.17).
///
/// A plain loop is walked by the verifier iteration by iteration, and every early exit of
/// every iteration (a mismatch, a NUL) is a branch it must come back to: over 1024 bytes that
/// is thousands of pending branches, past its limit of 8192 once two such loops share a
/// probe. With `bpf_loop` the body is a callback the verifier checks once for any index, so
/// the cost no longer depends on the string's length. The callback sees the caller's values
/// through a small context on the caller's stack: pointers (to the strings, to a result slot)
/// stored there before the call.
extension IRGen {
    /// Runs `body` for each index in `0..<count` until it stops. `body` gets the index (i64,
    /// already checked below `count`), the captured values loaded back in the callback, and two
    /// blocks to end with: `next` (go on) and `stop` (leave the loop). It must end every block
    /// it opens with a branch.
    func emitHelperLoop(count: Int, captures: [LLVMValueRef], at range: SourceRange,
                        _ body: (LLVMValueRef, [LLVMValueRef], LLVMBasicBlockRef, LLVMBasicBlockRef) throws -> Void) throws {
        // bpf_loop takes its callback's context from the stack only (ARG_PTR_TO_STACK).
        let context = allocaInEntry(bytes: max(8, 8 * captures.count), onStack: true)
        for (i, value) in captures.enumerated() {
            let slot = LLVMBuildBitCast(builder, m.byteOffset(context, 8 * i), LLVMPointerType(LLVMTypeOf(value), 0), "")
            LLVMBuildStore(builder, value, slot)
        }
        let callback = try emitLoopCallback(captureTypes: captures.map { LLVMTypeOf($0) }, count: count, at: range, body)
        m.callHelper(.loop, [m.const64(count), LLVMBuildBitCast(builder, callback, m.i8p, ""), context, m.const64(0)])
    }

    /// `long callback(u64 index, void *context)`: returns 1 to stop, 0 to go on.
    private func emitLoopCallback(captureTypes: [LLVMTypeRef?], count: Int, at range: SourceRange,
                                  _ body: (LLVMValueRef, [LLVMValueRef], LLVMBasicBlockRef, LLVMBasicBlockRef) throws -> Void) throws -> LLVMValueRef {
        let state = newFunction(unusedFunctionName("loop"), parameters: [m.i64, m.i8p], at: range, isCallback: true,
                                exitName: "stop")
        guard let fn = state.function, let stop = state.exitBlock else {
            throw CodegenError("internal error: no callback function", range: range)
        }
        // The probe function's state is set aside while the callback is emitted (as for-loops do).
        try emitFunction(state, at: range) {
            let next = appendBlock("next"), run = appendBlock("body")
            // The verifier knows nothing of the index: the bound is what proves accesses safe.
            let index: LLVMValueRef = LLVMGetParam(fn, 0)
            LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntULT, index, m.const64(count), ""), run, stop)
            LLVMPositionBuilderAtEnd(builder, run)
            let contextPointer: LLVMValueRef = LLVMGetParam(fn, 1)
            var captured: [LLVMValueRef] = []
            for (i, type) in captureTypes.enumerated() {
                let slot = LLVMBuildBitCast(builder, m.byteOffset(contextPointer, 8 * i), LLVMPointerType(type, 0), "")
                captured.append(LLVMBuildLoad2(builder, type, slot, ""))
            }
            try body(index, captured, stop, next)
            if currentBlockIsOpen { LLVMBuildBr(builder, next) }
            LLVMPositionBuilderAtEnd(builder, stop)
            LLVMBuildRet(builder, m.const64(1))
            LLVMPositionBuilderAtEnd(builder, next)
            LLVMBuildRet(builder, m.const64(0))
        }
        return fn
    }
}
