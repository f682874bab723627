import CLLVM
import ScriptParser

/// `llvm.bpf.passthrough`: returns its value unchanged and is removed by the BPF backend, but
/// the optimiser cannot see through it or move it across branches. Two rewrites LLVM makes are
/// correct for a CPU and wrong for the verifier, and this is how they are held off:
/// - InstCombine folds a PHI of two loads into one load from a PHI of their addresses: for
///   context loads, a modified context pointer, refused (IRGen+ProbeBuiltins.swift);
/// - SimplifyCFG folds a chain of early-exit compares into one branchless and-chain. BPF has
///   no setcc, so each link becomes a branch again, now without the early exit: the verifier
///   walks every combination of outcomes (2^n paths for n bytes) through the rest of the
///   program (IRGen+StringSearch.swift).
extension IRGen {
    func passthrough(_ value: LLVMValueRef) -> LLVMValueRef {
        let type = LLVMTypeOf(value)
        let bits = LLVMGetIntTypeWidth(type)
        let intrinsic = "llvm.bpf.passthrough.i\(bits).i\(bits)"
        var params: [LLVMTypeRef?] = [m.i32, type]
        let fnType = params.withUnsafeMutableBufferPointer { LLVMFunctionType(type, $0.baseAddress, 2, 0) }
        let fn = LLVMGetNamedFunction(m.module, intrinsic) ?? LLVMAddFunction(m.module, intrinsic, fnType)
        passthroughCount += 1
        var args: [LLVMValueRef?] = [m.const32(passthroughCount), value]
        return args.withUnsafeMutableBufferPointer { LLVMBuildCall2(builder, fnType, fn, $0.baseAddress, 2, "") }
    }
}
