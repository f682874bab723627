import TraceContract
import CLLVM
import ScriptParser

/// Calls that send records to user space: printf, join, exit. Each reserves a fixed-size record
/// in the ring buffer, fills it in place and submits it; a full buffer bumps the lost counter.
extension IRGen {
    func emitCall(_ e: Expr, _ function: BuiltinFunction, args: [Expr]) throws {
        switch function {
        case .printf: try emitPrintf(args)
        case .join: try emitJoin(args)
        case .exit where args.isEmpty: try emitExit()
        case .str, .hasKey: break  // values with no effect
        case .delete, .clear, .zero, .print: try emitMapFunction(e, function, args)
        default:
            if try emitFunctionEffect(e) { return }
            if e.type.isAggregate { return }
            _ = try emitInt(e)
        }
    }

    func addEvent(_ d: EventDescriptor) -> Int {
        manifest.events.append(d)
        return manifest.events.count - 1
    }

    /// Reserves `size` bytes, runs `fill` on the record, submits it; counts a loss when full.
    /// The transport (ring buffer or perf event array) is IRGen+EventOutput.swift's business.
    func withRecord(size: Int, eventID: Int, _ fill: (LLVMValueRef) throws -> Void) throws {
        largestRecord = max(largestRecord, size)
        let record = reserveRecord(size: size)
        let full = appendBlock("rb.full"), reserved = appendBlock("rb.reserved"), done = appendBlock("rb.done")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, record, ""), full, reserved)

        LLVMPositionBuilderAtEnd(builder, full)
        bumpLossCounter(slot: 0)
        LLVMBuildBr(builder, done)

        LLVMPositionBuilderAtEnd(builder, reserved)
        // Header: event id in the low half, CPU in the high half, so user space can keep each
        // CPU's partial lines (printf without "\n", then join) together.
        let cpu = LLVMBuildZExt(builder, m.callHelper(.getSmpProcessorId, [], name: "cpu"), m.i64, "")!
        let header = LLVMBuildOr(builder, m.const64(eventID), LLVMBuildShl(builder, cpu, m.const64(32), ""), "")!
        m.store64(header, at: record, 0)
        // While the record is held, leaving early (a scratch-map lookup that failed) must give
        // it back: the verifier refuses a program that can exit holding a reservation.
        let leave = frame.exitBlock, discard = appendBlock("rb.discard")
        frame.exitBlock = discard
        defer { frame.exitBlock = leave }
        try fill(record)
        try submitRecord(record, size: size)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, discard)
        discardRecord(record)
        if let leave { LLVMBuildBr(builder, leave) } else { LLVMBuildUnreachable(builder) }
        LLVMPositionBuilderAtEnd(builder, done)
    }

    /// Adds one to a slot of the per-CPU loss counters (0: ring buffer full, 1: map full,
    /// 2: perf buffer full).
    func bumpLossCounter(slot: Int) {
        let key = allocaInEntry(bytes: 8)
        if slot != 0 { LLVMBuildStore(builder, m.const32(slot), LLVMBuildBitCast(builder, key, LLVMPointerType(m.i32, 0), "")) }
        let lost = m.callHelper(.mapLookupElem, returns: m.i8p, [LLVMBuildBitCast(builder, lostMap, m.i8p, ""), key])
        let bump = appendBlock("lost.bump"), done = appendBlock("lost.done")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, lost, ""), done, bump)
        LLVMPositionBuilderAtEnd(builder, bump)
        let counter = LLVMBuildBitCast(builder, lost, m.i64p, "")!
        LLVMBuildStore(builder, LLVMBuildAdd(builder, LLVMBuildLoad2(builder, m.i64, counter, ""), m.const64(1), ""), counter)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
    }

    /// `printf(fmt, args…)`; `cat` and `system` send the same record as another event.
    func emitPrintf(_ args: [Expr], as event: (PrintfFormat, [ArgumentSlot]) -> EventDescriptor = EventDescriptor.printf) throws {
        guard case .string(let fmtBytes)? = args.first?.kind else { throw internalError("printf() without a literal format") }
        let values = Array(args.dropFirst())
        var slots: [ArgumentSlot] = []
        var offset = 8
        for v in values {
            let kind: ArgumentSlot.Kind
            switch v.type {
            case .string(let cap): kind = .string(capacity: cap)
            case .integer(_, let signed): kind = signed ? .signed : .unsigned
            case .rendered(let r): kind = .rendered(r)
            default: kind = .unsigned
            }
            let slot = ArgumentSlot(offset: offset, kind: kind)
            slots.append(slot)
            offset += slot.size
        }
        // Integers are computed before reserving so the record is held as briefly as possible.
        var ints: [LLVMValueRef?] = []
        for v in values { ints.append(v.type.isAggregate ? nil : try emitInt(v)) }
        let id = addEvent(event(PrintfFormat(String(decoding: fmtBytes, as: UTF8.self)), slots))
        try withRecord(size: offset, eventID: id) { record in
            for (i, v) in values.enumerated() {
                if let value = ints[i] {
                    m.store64(value, at: record, slots[i].offset)
                } else if case .string(let cap) = slots[i].kind {
                    try emitString(v, into: m.byteOffset(record, slots[i].offset), capacity: cap)
                } else {
                    try emitValue(v, into: m.byteOffset(record, slots[i].offset))
                }
            }
        }
    }

    func emitJoin(_ args: [Expr]) throws {
        guard let argv = args.first else { throw internalError("join() without an argument") }
        var separator = " "
        if args.count > 1, case .string(let s) = args[1].kind { separator = String(decoding: s, as: UTF8.self) }
        let count = program.settings.joinArgumentCount, size = program.settings.joinArgumentSize
        let user = isUserPointer(argv.type)
        let base = try emitInt(argv)
        let pointerSlot = allocaInEntry(bytes: 8)
        let id = addEvent(.join(separator: separator, argumentCount: count, argumentSize: size))
        try withRecord(size: 16 + count * size, eventID: id) { record in
            // A bounded loop (kernel >= 5.3), not 16 unrolled copies: a quarter of the code
            // for LLVM to select and for the verifier to walk.
            let counted = LLVMBuildBitCast(builder, m.byteOffset(record, 8), m.i64p, "")!
            LLVMBuildStore(builder, m.const64(count), counted)
            let indexSlot = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), m.i64p, "")!
            let head = appendBlock("join.head"), body = appendBlock("join.body"), read = appendBlock("join.read")
            let last = appendBlock("join.last"), finished = appendBlock("join.end")
            LLVMBuildBr(builder, head)
            LLVMPositionBuilderAtEnd(builder, head)
            let i = LLVMBuildLoad2(builder, m.i64, indexSlot, "i")!
            LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntULT, i, m.const64(count), ""), body, finished)
            LLVMPositionBuilderAtEnd(builder, body)
            let address = LLVMBuildIntToPtr(builder, LLVMBuildAdd(builder, base, LLVMBuildShl(builder, i, m.const64(3), ""), ""), m.i8p, "")!
            let rc = m.callHelper(memoryReadHelper(user: user, string: false), [pointerSlot, m.const64(8), address])
            let pointer = LLVMBuildLoad2(builder, m.i64, LLVMBuildBitCast(builder, pointerSlot, m.i64p, ""), "")!
            let stop = LLVMBuildOr(builder,
                                   LLVMBuildICmp(builder, LLVMIntNE, rc, m.const64(0), ""),
                                   LLVMBuildICmp(builder, LLVMIntEQ, pointer, m.const64(0), ""), "")
            LLVMBuildCondBr(builder, stop, last, read)
            LLVMPositionBuilderAtEnd(builder, last)
            LLVMBuildStore(builder, i, counted)
            LLVMBuildBr(builder, finished)
            LLVMPositionBuilderAtEnd(builder, read)
            let dest = m.byteOffset(record, LLVMBuildAdd(builder, m.const64(16), LLVMBuildMul(builder, i, m.const64(size), ""), ""))
            m.callHelper(memoryReadHelper(user: user, string: true),
                         [dest, m.const64(size), LLVMBuildIntToPtr(builder, pointer, m.i8p, "")])
            LLVMBuildStore(builder, LLVMBuildAdd(builder, i, m.const64(1), ""), indexSlot)
            let latch = LLVMBuildBr(builder, head)!
            markNoUnroll(latch)
            LLVMPositionBuilderAtEnd(builder, finished)
        }
    }

    /// `!llvm.loop !{self, !{"llvm.loop.unroll.disable"}}` on a loop's back edge.
    func markNoUnroll(_ branch: LLVMValueRef) {
        let key = "llvm.loop.unroll.disable"
        let disable = LLVMMDStringInContext2(m.context, key, key.utf8.count)
        var inner: [LLVMMetadataRef?] = [disable]
        let property = inner.withUnsafeMutableBufferPointer { LLVMMDNodeInContext2(m.context, $0.baseAddress, 1) }
        // A loop ID node refers to itself: build it with a placeholder, then point it home.
        let placeholder = LLVMTemporaryMDNode(m.context, nil, 0)
        var operands: [LLVMMetadataRef?] = [placeholder, property]
        let loopID = operands.withUnsafeMutableBufferPointer { LLVMMDNodeInContext2(m.context, $0.baseAddress, 2) }!
        LLVMMetadataReplaceAllUsesWith(placeholder, loopID)
        LLVMSetMetadata(branch, LLVMGetMDKindIDInContext(m.context, "llvm.loop", 9), LLVMMetadataAsValue(m.context, loopID))
    }

    func emitExit() throws {
        let id = addEvent(.exit)
        try withRecord(size: 8, eventID: id) { _ in }
        endActionAfterExit()
    }

    /// exit() ends the probe's action, as in bpftrace: nothing after it runs. Code that follows
    /// goes into a block nothing branches to, which LLVM drops.
    func endActionAfterExit() {
        guard let exitBlock = frame.exitBlock else { return }
        LLVMBuildBr(builder, exitBlock)
        LLVMPositionBuilderAtEnd(builder, appendBlock("after.exit"))
    }
}
