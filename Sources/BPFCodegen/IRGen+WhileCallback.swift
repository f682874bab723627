import CLLVM
import ScriptParser

/// A `while` loop the checker does not keep plain (TypedProbe.plainLoops), lowered
/// through the kernel's `bpf_loop` helper (kernel ≥ 5.17).
///
/// Lowered as a plain loop, the verifier walks every iteration on every path it explores, and
/// refuses a loop whose end it cannot see (a condition read afresh, a counter it knows only by
/// a range): "infinite loop detected", or "too complex" once a million instructions or 8,192
/// waiting branches are spent. As a `bpf_loop` callback the body is checked until its state at
/// the call settles, without following iterations, so any loop that ends loads. The price is
/// an indirect call an iteration, and a cap: `bpf_loop` runs its callback at most
/// `LoopLowering.iterationCap` times an event, after which the loop ends as if its condition
/// failed; each such run is counted, and swtrace warns at exit.
///
/// The callback sees the probe's state through a context block on the caller's stack: the
/// probe's context pointer (for `args`, registers, stacks), the output context, how the loop
/// ended (its condition or a break, or the probe itself left: `return`, `exit()`, a failed
/// lookup; untouched when the cap ended it, which is counted), and where the copies of the
/// caller's `$variables` the loop names are.
extension IRGen {

    private enum WhileContextSlot {
        static let probeContext = 0, outputContext = 1, outcome = 2, copies = 3, count = 4
    }

    func emitWhileCallback(_ stmt: Stmt, condition: Expr, body: Block) throws {
        let captured = stmt.variableNames.sorted().compactMap { name in lookupVariable(name).map { (name, $0) } }
        // Four words whatever the loop names: every frame down a chain of calls shares the
        // 512 bytes of BPF stack.
        let context = allocaInEntry(bytes: 8 * WhileContextSlot.count, onStack: true)
        let slot = { (i: Int) in LLVMBuildBitCast(self.builder, self.m.byteOffset(context, 8 * i), LLVMPointerType(self.m.i8p, 0), "")! }
        let null = LLVMConstNull(m.i8p)!
        LLVMBuildStore(builder, frame.context.map { LLVMBuildBitCast(builder, $0, m.i8p, "")! } ?? null,
                       slot(WhileContextSlot.probeContext))
        LLVMBuildStore(builder, frame.outputContext.map { LLVMBuildBitCast(builder, $0, m.i8p, "")! } ?? null,
                       slot(WhileContextSlot.outputContext))
        let flag = LLVMBuildBitCast(builder, m.byteOffset(context, 8 * WhileContextSlot.outcome), m.i64p, "")!
        LLVMBuildStore(builder, m.const64(0), flag)
        // The loop works on copies of the variables in the probe's scratch map, whose contents
        // the verifier does not track: every read there is any value to it, so no counter is
        // followed value by value and its check of the callback settles in a pass or two,
        // however long the loop runs. Code is safe for any value of a variable anyway (a
        // variable can always come from a map).
        let sizes = captured.map { (max(8, $0.1.type.size) + 7) & ~7 }
        let offsets = sizes.indices.map { sizes[..<$0].reduce(0, +) }
        // Every byte of the region is copied over just below.
        let copies = captured.isEmpty ? nil : scratchBuffer(bytes: sizes.reduce(0, +), zeroed: false)
        LLVMBuildStore(builder, copies ?? null, slot(WhileContextSlot.copies))
        for (i, (_, variable)) in captured.enumerated() {
            guard let copies else { break }
            copyBytes(m.byteOffset(copies, offsets[i]), variable.storage, sizes[i], destAlign: 8, sourceAlign: 8)
        }
        let callback = try emitWhileBody(stmt, condition: condition, body: body,
                                         captured: zip(captured, offsets).map { ($0.0.0, $0.0.1.type, $0.1) },
                                         passesContext: frame.context != nil, passesOutput: frame.outputContext != nil)
        m.callHelper(.loop, [m.const64(LoopLowering.iterationCap), LLVMBuildBitCast(builder, callback, m.i8p, ""),
                             context, m.const64(0)])
        // Only what the loop may change comes back: the verifier still knows the rest (and the
        // checker counts on it: TypeChecker+Loops.swift forgets the same names).
        let assigned = stmt.assignedVariableNames
        for (i, (name, variable)) in captured.enumerated() where assigned.contains(name) {
            guard let copies else { break }
            copyBytes(variable.storage, m.byteOffset(copies, offsets[i]), sizes[i], destAlign: 8, sourceAlign: 8)
        }
        let outcome = LLVMBuildLoad2(builder, m.i64, flag, "")!
        let capped = appendBlock("while.capped"), notCapped = appendBlock("while.ended"), after = appendBlock("while.after")
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntEQ, outcome, m.const64(WhileOutcome.capped), ""), capped, notCapped)
        LLVMPositionBuilderAtEnd(builder, capped)
        bumpLossCounter(slot: Int(manifest.lossCounters.loopCapSlot))
        LLVMBuildBr(builder, after)
        LLVMPositionBuilderAtEnd(builder, notCapped)
        // The body left the probe: so does the caller.
        if let exit = frame.exitBlock {
            LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntEQ, outcome, m.const64(WhileOutcome.leftProbe), ""), exit, after)
        } else {
            LLVMBuildBr(builder, after)
        }
        LLVMPositionBuilderAtEnd(builder, after)
    }

    /// What the callback leaves in the context's outcome slot.
    private enum WhileOutcome {
        /// Still 0 after `bpf_loop`: neither the condition nor a break ended the loop.
        static let capped: UInt64 = 0
        static let ended: UInt64 = 1
        static let leftProbe: UInt64 = 2
    }

    /// `long while_N(u64 index, void *context)`: tests the condition, runs the body once;
    /// returns 1 to end the loop, 0 to go round.
    private func emitWhileBody(_ stmt: Stmt, condition: Expr, body: Block, captured: [(String, SType, Int)],
                               passesContext: Bool, passesOutput: Bool) throws -> LLVMValueRef {
        let state = newFunction(unusedFunctionName("while"), parameters: [m.i64, m.i8p], at: stmt.range, isCallback: true,
                                exitName: "left_probe")
        guard let fn = state.function, let leave = state.exitBlock else {
            throw CodegenError("internal error: no callback function", range: stmt.range)
        }
        try emitFunction(state, at: stmt.range) {
            let context: LLVMValueRef = LLVMGetParam(fn, 1)
            let load = { (i: Int) in
                LLVMBuildLoad2(self.builder, self.m.i8p, LLVMBuildBitCast(self.builder, self.m.byteOffset(context, 8 * i),
                                                                        LLVMPointerType(self.m.i8p, 0), ""), "")!
            }
            let outcome = LLVMBuildBitCast(builder, m.byteOffset(context, 8 * WhileContextSlot.outcome), m.i64p, "")!
            if passesContext { frame.context = load(WhileContextSlot.probeContext) }
            if passesOutput { frame.outputContext = load(WhileContextSlot.outputContext) }
            var outer: [String: FunctionState.Variable] = [:]
            if !captured.isEmpty {
                let copies = load(WhileContextSlot.copies)
                for (name, type, offset) in captured { outer[name] = (m.byteOffset(copies, offset), type) }
            }
            frame.variables = [outer]
            let stop = appendBlock("stop"), next = appendBlock("next"), run = appendBlock("while.body")
            frame.loops = [(stop, next)]
            frame.temporaries.append([])
            let holds = try emitTruth(condition)
            endLifetimes(frame.temporaries.removeLast())
            LLVMBuildCondBr(builder, holds, run, stop)
            LLVMPositionBuilderAtEnd(builder, run)
            try emitBlock(body)
            branchIfOpen(to: next)
            LLVMPositionBuilderAtEnd(builder, leave)
            LLVMBuildStore(builder, m.const64(WhileOutcome.leftProbe), outcome)
            LLVMBuildRet(builder, m.const64(1))
            LLVMPositionBuilderAtEnd(builder, stop)
            LLVMBuildStore(builder, m.const64(WhileOutcome.ended), outcome)
            LLVMBuildRet(builder, m.const64(1))
            LLVMPositionBuilderAtEnd(builder, next)
            LLVMBuildRet(builder, m.const64(0))
        }
        return fn
    }
}
