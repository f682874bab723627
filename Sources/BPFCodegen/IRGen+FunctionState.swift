import CLLVM
import ScriptParser

/// Everything IRGen knows about the one BPF function it is emitting: a probe's program, a
/// `for`-map callback, a `bpf_loop` callback or `len()`'s counter. Callbacks are emitted in
/// the middle of their caller, so the caller's state is set aside as one value and put back
/// whole (`IRGen.emitFunction`), never field by field.
struct FunctionState {
    typealias Variable = (storage: LLVMValueRef, type: SType)
    typealias LoopTargets = (breakTo: LLVMBasicBlockRef, continueTo: LLVMBasicBlockRef)
    typealias Slot = (pointer: LLVMValueRef, bytes: Int)

    var function: LLVMValueRef?
    var scope: LLVMMetadataRef?
    /// The program's context argument (`pt_regs`, the tracepoint record, …). Nil in callbacks:
    /// the kernel calls them without one, so the checker refuses what would read it there.
    var context: LLVMValueRef?
    /// What `bpf_perf_event_output` takes as its context: the probe's own, or, in a `for`
    /// callback, the probe's context passed down to it (IRGen+EventOutput.swift).
    var outputContext: LLVMValueRef?
    /// Where stack slots are allocated, so LLVM sees one fixed frame.
    var entryBlock: LLVMBasicBlockRef?
    /// Where the function leaves: the probe's `exit`, a callback's `stop` (ends the walk).
    var exitBlock: LLVMBasicBlockRef?
    /// Scratch variables, innermost block last.
    var variables: [[String: Variable]] = [[:]]
    /// `break`/`continue` targets, innermost loop last.
    var loops: [LoopTargets] = []
    /// Stack slots whose lifetime ends with the innermost statement (or block, for variables).
    /// Ending lifetimes lets LLVM reuse the slots: the BPF stack is only 512 bytes.
    var temporaries: [[Slot]] = [[]]
    /// The statement being emitted, for locating internal errors.
    var location: SourceRange?

}

extension IRGen {
    /// Adds a function with an `entry` block and an exit block named `exitName` (none when nil),
    /// and its state.
    /// Probe programs get their context (parameter 0); callbacks get none.
    func newFunction(_ name: String, parameters: [LLVMTypeRef], at range: SourceRange, isCallback: Bool,
                     exitName: String?) -> FunctionState {
        let line = program.source.location(of: range.start).line
        let (fn, sp) = m.addFunction(name, parameters: parameters, line: line, isCallback: isCallback)
        let entry = LLVMAppendBasicBlockInContext(m.context, fn, "entry")
        let exit = exitName.map { LLVMAppendBasicBlockInContext(m.context, fn, $0) }
        var state = FunctionState()
        state.function = fn
        state.scope = sp
        state.context = isCallback ? nil : LLVMGetParam(fn, 0)
        state.outputContext = state.context
        state.entryBlock = entry
        state.exitBlock = exit ?? nil
        return state
    }

    /// `prefix_N` with the lowest N no function of the module has yet (callbacks).
    func unusedFunctionName(_ prefix: String) -> String {
        var number = 1
        while LLVMGetNamedFunction(m.module, "\(prefix)_\(number)") != nil { number += 1 }
        return "\(prefix)_\(number)"
    }

    /// Runs `body` with `state` as the function being emitted, the builder at the end of its
    /// entry block; then puts back the caller's state, builder position and debug location.
    func emitFunction<T>(_ state: FunctionState, at range: SourceRange, _ body: () throws -> T) rethrows -> T {
        let saved = frame
        let savedBlock = LLVMGetInsertBlock(builder)
        let savedLocation = LLVMGetCurrentDebugLocation2(builder)
        frame = state
        defer {
            frame = saved
            if let savedBlock { LLVMPositionBuilderAtEnd(builder, savedBlock) }
            LLVMSetCurrentDebugLocation2(builder, savedLocation)
        }
        if let entry = state.entryBlock { LLVMPositionBuilderAtEnd(builder, entry) }
        setLocation(range)
        return try body()
    }

    /// A fault of codegen's own (the checker guarantees the opposite), located at the statement
    /// being emitted.
    func internalError(_ what: String) -> CodegenError {
        CodegenError("internal error: " + what, range: frame.location)
    }

    /// The probe's context pointer. The checker refuses every read of the context where there
    /// is none (callbacks), so a nil here is codegen's own fault, reported as such.
    func probeContext() throws -> LLVMValueRef {
        guard let context = frame.context else {
            throw internalError("the probe's context is read inside a callback, which has none")
        }
        return context
    }
}
