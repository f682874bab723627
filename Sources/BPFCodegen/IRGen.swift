import TraceContract
import CLLVM
import ScriptParser

/// A failure inside code generation: an LLVM error, or a construct codegen cannot lower.
public struct CodegenError: Error, CustomStringConvertible {
    public var message: String
    public var range: SourceRange?
    public init(_ message: String, range: SourceRange? = nil) { self.message = message; self.range = range }
    public var description: String { message }
}

/// Lowers a typed program to LLVM IR: one function per probe, maps, and the manifest.
final class IRGen {
    let program: TypedProgram
    let m: IRModule
    var manifest = Manifest()
    let eventsMap: LLVMValueRef
    let lostMap: LLVMValueRef
    var startMap: LLVMValueRef?
    /// Script maps by name (without `@`), with their descriptor index.
    var scriptMaps: [String: (global: LLVMValueRef, index: Int)] = [:]
    /// Per-CPU array whose one value is never written: the zeroes new aggregation entries start from.
    var zeroMap: LLVMValueRef?

    /// The function being emitted (IRGen+FunctionState.swift); callbacks swap it whole.
    var frame = FunctionState()
    var format: TracepointFormat?
    /// The attach points of the probe being emitted (probe builtins read them).
    var probeAttachPoints: [ResolvedAttachPoint] = []
    /// The probe's `while` loops that stay plain; the rest go through `bpf_loop` (TypedProbe.plainLoops).
    var plainLoops: Set<Int>?
    /// Whether the probe has a loop through `bpf_loop`: its frames then share the 512 bytes
    /// of stack down the chain of calls, so buffers go to the scratch map sooner (IRGen+Scratch).
    var callsLoopCallbacks = false
    /// The largest record any probe reserves; the ring buffer is sized from it.
    var largestRecord = 8
    /// Perf event array transport: the per-CPU buffer a record is built in before
    /// `bpf_perf_event_output` copies it out (IRGen+EventOutput.swift).
    var eventBuffer: LLVMValueRef?

    /// Room for 32 of the largest records, a power of two as the kernel requires, unless the
    /// script or environment set the size; at least 4 MiB when probes fire at the kernel's
    /// pace: a burst of a million short records outruns a reader that other tasks keep off the
    /// CPU for a few milliseconds (bench/drain). The kernel maps all of the ring's pages into
    /// swtrace at start, twice, so scripts of only BEGIN/END (which run once) keep 256 KiB.
    var ringBufferSize: Int {
        if let fixed = program.settings.ringBufferSize { return fixed }
        let runsOnce = program.probes.allSatisfy { probe in
            probe.attachPoints.allSatisfy { point in
                switch point {
                case .begin, .end: return true
                default: return false
                }
            }
        }
        var size = runsOnce ? 1 << 18 : 1 << 22
        while size < largestRecord * 32, size < 1 << 30 { size <<= 1 }
        return size
    }

    /// Context loads emitted so far: each passes through `llvm.bpf.passthrough` with its own number.
    var passthroughCount = 0
    /// For-loop callbacks emitted so far (their functions are named after the count).
    var forCallbackCount = 0
    /// Regions of the probe's per-CPU scratch map, for buffers too big for the stack (IRGen+Scratch).
    var scratch = ScratchSpace()

    init(program: TypedProgram) {
        self.program = program
        m = IRModule(name: "swtrace", fileName: program.source.name)
        m.defineLicense()
        manifest.eventTransport = program.settings.eventTransport
        eventsMap = m.declareMapGlobal(Self.eventsMapDefinition(manifest, ringBufferSize: 0))
        // The loss counters' slots: LossCounters (buffer full, map full, perf buffer full).
        lostMap = m.define(MapDefinition(name: manifest.lossCounters.map, type: .perCPUArray,
                                         maxEntries: LossCounters.count, keySize: 4, valueSize: 8))
        manifest.maxMapKeys = program.settings.maxMapKeys
        manifest.catBytesMax = program.settings.catBytesMax
        defineScriptMaps()
    }

    var builder: LLVMBuilderRef { m.builder }

    func generate() throws {
        for (i, probe) in program.probes.enumerated() {
            try emitProbe(probe, index: i)
        }
        describeEventMaps()
        if LLVMGetNamedGlobal(m.module, AttachCookies.probeStringsMap) != nil {
            let slot = AttachCookies.stringSlotSize(program.probes.flatMap(\.attachPoints))
            manifest.probeStrings = AttachCookies.probeStrings(manifest.programs, slotSize: slot)
        }
        LLVMDIBuilderFinalize(m.di)
    }

    func emitProbe(_ probe: TypedProbe, index: Int) throws {
        guard let first = probe.attachPoints.first else { return }
        let name = "probe_\(index)"
        format = probe.tracepointFormat
        probeAttachPoints = probe.attachPoints
        plainLoops = probe.plainLoops
        callsLoopCallbacks = probe.plainLoops.map { !probe.body.whileLoopStarts.subtracting($0).isEmpty } ?? false
        scratch = ScratchSpace()
        let state = newFunction(name, parameters: [m.i8p], at: probe.range, isCallback: false, exitName: "exit")
        if let fn = state.function { LLVMSetSection(fn, ProgramSection.name(for: first)) }
        try emitFunction(state, at: probe.range) {
            emitProbeEntry()
            if let pred = probe.predicate {
                let body = appendBlock("body")
                frame.temporaries.append([])
                let cond = try emitTruth(pred)
                let predicateSlots = frame.temporaries.removeLast()
                LLVMBuildCondBr(builder, cond, body, frame.exitBlock)
                LLVMPositionBuilderAtEnd(builder, body)
                // The predicate's stack slots are free for the body.
                endLifetimes(predicateSlots)
            }
            try emitBlock(probe.body)
            if let exit = frame.exitBlock {
                branchIfOpen(to: exit)
                LLVMPositionBuilderAtEnd(builder, exit)
            }
            LLVMBuildRet(builder, m.const64(0))
        }
        try defineScratchMap(probeIndex: index, range: probe.range)

        let cookies = AttachCookies.cookies(for: probe.attachPoints, after: manifest.programs)
        manifest.programs.append(ProgramDescriptor(name: name, attachPoints: probe.attachPoints, cookies: cookies,
                                                   displayName: probe.displayName, range: probe.range))
        try emitWatchpointSetups(programIndex: manifest.programs.count - 1, attachPoints: probe.attachPoints, range: probe.range)
    }

    // MARK: Blocks and statements

    func appendBlock(_ name: String) -> LLVMBasicBlockRef {
        LLVMAppendBasicBlockInContext(m.context, frame.function, name)
    }

    var currentBlockIsOpen: Bool {
        LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(builder)) == nil
    }

    func branchIfOpen(to block: LLVMBasicBlockRef) {
        if currentBlockIsOpen { LLVMBuildBr(builder, block) }
    }

    /// Debug locations give BTF line info, so verifier messages can point at script lines.
    /// Code shared by every probe (the map-entry and hist subprograms) belongs to no script
    /// line: line 0, so a verifier failure inside it is placed at the caller's statement.
    func setSharedLocation() {
        let loc = LLVMDIBuilderCreateDebugLocation(m.context, 0, 0, frame.scope, nil)
        LLVMSetCurrentDebugLocation2(builder, loc)
    }

    func setLocation(_ range: SourceRange) {
        frame.location = range
        let (line, col) = program.source.location(of: range.start)
        let loc = LLVMDIBuilderCreateDebugLocation(m.context, UInt32(line), UInt32(col), frame.scope, nil)
        LLVMSetCurrentDebugLocation2(builder, loc)
    }

    func emitBlock(_ block: Block) throws {
        frame.variables.append([:])
        frame.temporaries.append([])  // the block's variables
        defer {
            frame.variables.removeLast()
            endLifetimes(frame.temporaries.removeLast())
        }
        for stmt in block.statements {
            if !currentBlockIsOpen {
                // Code after break/continue/return: emit into an unreachable block LLVM drops.
                LLVMPositionBuilderAtEnd(builder, appendBlock("dead"))
            }
            setLocation(stmt.range)
            frame.temporaries.append([])
            try emitStmt(stmt)
            var done = frame.temporaries.removeLast()
            // A variable first assigned in this statement belongs to the block, not the statement.
            if case .assign(let target, _, _) = stmt.kind, case .variable(let name) = target.kind,
               let storage = frame.variables.last?[name]?.storage,
               let i = done.firstIndex(where: { $0.pointer == storage }) {
                frame.temporaries[frame.temporaries.count - 1].append(done.remove(at: i))
            }
            endLifetimes(done)
        }
    }

    func endLifetimes(_ slots: [(pointer: LLVMValueRef, bytes: Int)]) {
        // Scratch regions are given back even after a return: they are codegen's bookkeeping.
        let onStack = slots.filter { !releaseScratch($0.pointer) }
        guard currentBlockIsOpen else { return }
        for slot in onStack { callLifetime("llvm.lifetime.end.p0i8", slot.pointer, slot.bytes) }
    }

    func callLifetime(_ intrinsic: String, _ pointer: LLVMValueRef, _ bytes: Int) {
        var params: [LLVMTypeRef?] = [m.i64, m.i8p]
        let type = params.withUnsafeMutableBufferPointer { LLVMFunctionType(m.void, $0.baseAddress, 2, 0) }!
        let fn = LLVMGetNamedFunction(m.module, intrinsic) ?? LLVMAddFunction(m.module, intrinsic, type)
        var args: [LLVMValueRef?] = [m.const64(bytes), pointer]
        _ = args.withUnsafeMutableBufferPointer { LLVMBuildCall2(builder, type, fn, $0.baseAddress, 2, "") }
    }

    func emitStmt(_ stmt: Stmt) throws {
        switch stmt.kind {
        case .expr(let e):
            try emitEffect(e)
        case .assign(let target, let op, let value):
            try emitAssignment(target, op, value)
        case .ifElse(let cond, let then, let otherwise):
            let thenBB = appendBlock("if.then"), elseBB = appendBlock("if.else"), done = appendBlock("if.end")
            LLVMBuildCondBr(builder, try emitTruth(cond), thenBB, otherwise == nil ? done : elseBB)
            LLVMPositionBuilderAtEnd(builder, thenBB)
            try emitBlock(then)
            branchIfOpen(to: done)
            LLVMPositionBuilderAtEnd(builder, elseBB)
            if let otherwise { try emitBlock(otherwise) }
            branchIfOpen(to: done)
            LLVMPositionBuilderAtEnd(builder, done)
        case .whileLoop(let cond, let body) where plainLoops.map({ !$0.contains(stmt.range.start) }) ?? false:
            try emitWhileCallback(stmt, condition: cond, body: body)
        case .whileLoop(let cond, let body):
            let head = appendBlock("while.cond"), bodyBB = appendBlock("while.body"), done = appendBlock("while.end")
            LLVMBuildBr(builder, head)
            LLVMPositionBuilderAtEnd(builder, head)
            LLVMBuildCondBr(builder, try emitTruth(cond), bodyBB, done)
            LLVMPositionBuilderAtEnd(builder, bodyBB)
            frame.loops.append((done, head))
            try emitBlock(body)
            frame.loops.removeLast()
            branchIfOpen(to: head)
            LLVMPositionBuilderAtEnd(builder, done)
        case .unroll(let count, let body):
            guard case .integer(let n) = count.kind else { throw CodegenError("internal error: unroll count must be a literal", range: count.range) }
            let done = appendBlock("unroll.end")
            for _ in 0..<n {
                let next = appendBlock("unroll.next")
                frame.loops.append((done, next))
                try emitBlock(body)
                frame.loops.removeLast()
                branchIfOpen(to: next)
                LLVMPositionBuilderAtEnd(builder, next)
            }
            LLVMBuildBr(builder, done)
            LLVMPositionBuilderAtEnd(builder, done)
        case .breakLoop:
            if let l = frame.loops.last { LLVMBuildBr(builder, l.breakTo) }
        case .continueLoop:
            if let l = frame.loops.last { LLVMBuildBr(builder, l.continueTo) }
        case .returnProbe:
            if let exit = frame.exitBlock { LLVMBuildBr(builder, exit) }
        case .forMap(let variable, let map, let body):
            try emitForMap(stmt, variable, map, body)
        }
    }

    func emitAssignment(_ target: Expr, _ op: BinaryOp?, _ value: Expr) throws {
        if case .map(let name, let keys) = target.kind {
            try emitMapAssignment(name, keys, op, value)
            return
        }
        guard case .variable(let name) = target.kind else {
            throw CodegenError("internal error: only variables can be assigned", range: target.range)
        }
        // A whole-struct variable is never read (the checker refuses every use of one): no copy.
        if case .record = target.type { return }
        let storage: LLVMValueRef
        if let existing = lookupVariable(name) {
            storage = existing.storage
        } else {
            storage = allocaInEntry(bytes: max(8, target.type.size), name: "$" + name)
            frame.variables[frame.variables.count - 1][name] = (storage, target.type)
        }
        switch target.type {
        case .string(let cap):
            try emitString(value, into: storage, capacity: cap)
        case .tuple, .rendered:
            try emitValue(value, into: storage)
        default:
            let v = try emitInt(value)
            LLVMBuildStore(builder, v, LLVMBuildBitCast(builder, storage, m.i64p, ""))
        }
    }

    func lookupVariable(_ name: String) -> (storage: LLVMValueRef, type: SType)? {
        for scope in frame.variables.reversed() { if let v = scope[name] { return v } }
        return nil
    }

    /// A zeroed stack buffer, allocated in the entry block so LLVM sees one fixed frame.
    /// `onStack` keeps it there whatever the budget: some helpers take only stack memory.
    func allocaInEntry(bytes: Int, name: String = "", onStack: Bool = false) -> LLVMValueRef {
        // Too big for the 512-byte stack: a zeroed region of the scratch map (IRGen+Scratch.swift).
        if !onStack, needsScratch(bytes) { return scratchBuffer(bytes: bytes) }
        let current = LLVMGetInsertBlock(builder)
        if let entryBlock = frame.entryBlock {
            if let first = LLVMGetFirstInstruction(entryBlock) {
                LLVMPositionBuilderBefore(builder, first)
            } else {
                LLVMPositionBuilderAtEnd(builder, entryBlock)
            }
        }
        let words = (bytes + 7) / 8
        let a = LLVMBuildAlloca(builder, LLVMArrayType(m.i64, UInt32(words)), name)!
        LLVMSetAlignment(a, 8)
        let p = LLVMBuildBitCast(builder, a, m.i8p, "")!
        LLVMPositionBuilderAtEnd(builder, current)
        callLifetime("llvm.lifetime.start.p0i8", p, words * 8)
        if !frame.temporaries.isEmpty { frame.temporaries[frame.temporaries.count - 1].append((p, words * 8)) }
        // The verifier rejects reads of stack bytes never written.
        LLVMBuildMemSet(builder, p, LLVMConstInt(m.i8, 0, 0), m.const64(words * 8), 8)
        return p
    }
}
