import TraceContract
import CLLVM
import ScriptParser

/// Lowering of probe-type-dependent values (`.probeValue`) and the code every probe starts with.
extension IRGen {
    /// Code before the predicate: with `-p PID`, leave unless the current process is PID.
    /// Timers (interval) and BEGIN/END run in no process of interest, so they are not filtered.
    func emitProbeEntry() {
        // libbpf's USDT attach needs its maps in the object even if no argument is read.
        if case .usdt? = probeAttachPoints.first { defineUSDTMaps() }
        switch probeAttachPoints.first {
        case .begin?, .end?, nil: break
        default: emitStopCheck()
        }
        guard let pid = program.settings.targetPID, let first = probeAttachPoints.first else { return }
        switch first {
        case .begin, .end, .interval: return
        default: break
        }
        let tgid = LLVMBuildLShr(builder, m.callHelper(.getCurrentPidTgid, []), m.const64(32), "")!
        let match = LLVMBuildICmp(builder, LLVMIntEQ, tgid, m.const64(UInt64(UInt32(bitPattern: pid))), "")
        let body = appendBlock("pid.match")
        if let exitBlock = frame.exitBlock { LLVMBuildCondBr(builder, match, body, exitBlock) }
        LLVMPositionBuilderAtEnd(builder, body)
    }

    /// Whether integers used as addresses point into the traced process (uprobe, USDT): `str(arg0)`
    /// there reads user memory.
    var probeReadsUserMemory: Bool {
        switch probeAttachPoints.first {
        case .uprobe?, .uretprobe?, .usdt?: return true
        default: return false
        }
    }

    /// The i64 value of a probe-dependent builtin.
    func emitProbeValue(_ v: ProbeValue, _ e: Expr) throws -> LLVMValueRef {
        switch v {
        case .argument(let n):
            guard n < PtRegs.argumentOffsets.count else {
                throw CodegenError("internal error: arg\(n) is not passed in a register on this architecture", range: e.range)
            }
            return narrow(try loadContext64(at: PtRegs.argumentOffsets[n]), to: e.type)
        case .retval:
            return narrow(try loadContext64(at: PtRegs.returnValueOffset), to: e.type)
        case .contextSlot(let n):
            // raw_tp and fentry/fexit contexts are arrays of u64, one per argument.
            return narrow(try loadContext64(at: n * 8), to: e.type)
        case .usdtArgument(let n):
            return narrow(try emitUSDTArgument(n), to: e.type)
        case .childPID:
            return emitChildPID()
        case .context:
            // The verifier lets a program only add to or subtract from its context pointer
            // (`ctx * 2`, `ctx & 1` or `(int32)ctx` are refused), so the script's `ctx` is the
            // pointer's value as a number: copied through the stack by a helper, which the
            // verifier knows only as a scalar. Every read through it goes by probe_read anyway.
            let slot = allocaInEntry(bytes: 16, name: "ctx.value", onStack: true)
            m.store64(LLVMBuildPtrToInt(builder, try probeContext(), m.i64, "")!, at: slot, 0)
            m.callHelper(.probeReadKernel, [m.byteOffset(slot, 8), m.const64(8), slot])
            return load64(slot, 8)
        case .probe, .function:
            throw CodegenError("internal error: \(v == .probe ? "probe" : "func") is a string", range: e.range)
        }
    }

    /// Writes a string-valued probe builtin (`func`, `probe`) into `dest`.
    func emitProbeValueString(_ v: ProbeValue, _ e: Expr, into dest: LLVMValueRef, capacity: Int) throws {
        let isFunction: Bool
        switch v {
        case .probe: isFunction = false
        case .function: isFunction = true
        default: throw CodegenError("internal error: this value is not a string", range: e.range)
        }
        let names = probeAttachPoints.map { isFunction ? ($0.functionName ?? "") : $0.description }
        // One name for the whole program (the usual case): a constant, no lookup.
        if let only = names.first, names.allSatisfy({ $0 == only }) {
            storeLiteral(Array(only.utf8.prefix(max(0, capacity - 1))) + [0], into: dest)
            return
        }
        let map = probeStringsMap()
        let key = LLVMBuildAdd(builder, LLVMBuildShl(builder, try emitAttachCookie(), m.const64(1), ""),
                               m.const64(isFunction ? 1 : 0), "")!
        let keySlot = allocaInEntry(bytes: 8)
        LLVMBuildStore(builder, LLVMBuildTrunc(builder, key, m.i32, ""), LLVMBuildBitCast(builder, keySlot, LLVMPointerType(m.i32, 0), ""))
        let value = m.callHelper(.mapLookupElem, returns: m.i8p, [LLVMBuildBitCast(builder, map.global, m.i8p, ""), keySlot])
        let found = appendBlock("probestr.found"), missing = appendBlock("probestr.missing"), done = appendBlock("probestr.done")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, value, ""), missing, found)
        LLVMPositionBuilderAtEnd(builder, found)
        m.callHelper(.probeReadKernelStr, [dest, m.const64(min(capacity, map.slotSize)), value])
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, missing)
        storeLiteral([0], into: dest)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
    }

    /// This attach point's cookie (see `AttachCookies`). USDT keeps the BPF cookie for its spec
    /// id, so there it is the `usdt_cookie` stored in the spec.
    func emitAttachCookie() throws -> LLVMValueRef {
        if case .usdt? = probeAttachPoints.first { return try emitUSDTCookie() }
        return m.callHelper(.getAttachCookie, [try probeContext()], name: "cookie")
    }

    /// `probe_strings`, defined on first use with room for every attach point of the program.
    private func probeStringsMap() -> (global: LLVMValueRef, slotSize: Int) {
        let all = program.probes.flatMap(\.attachPoints)
        let slot = AttachCookies.stringSlotSize(all)
        let name = AttachCookies.probeStringsMap
        if let existing = LLVMGetNamedGlobal(m.module, name) { return (existing, slot) }
        // Function watchpoints add a setup program each (IRGen+Watchpoints.swift), one attach point more.
        let setups = all.filter { if case .watchpoint(let w) = $0 { return w.function != nil } else { return false } }.count
        let global = m.define(MapDefinition(name: name, type: .array, maxEntries: max(2, (all.count + setups) * 2),
                                            keySize: 4, valueSize: slot))
        return (global, slot)
    }

    /// The `-c` child's pid, from the one-slot map the runtime fills before attaching.
    private func emitChildPID() -> LLVMValueRef {
        let name = AttachCookies.childPIDMap
        manifest.childPIDMap = name
        let map = LLVMGetNamedGlobal(m.module, name)
            ?? m.define(MapDefinition(name: name, type: .array, maxEntries: 1, keySize: 4, valueSize: 8))
        let key = allocaInEntry(bytes: 8)
        let value = m.callHelper(.mapLookupElem, returns: m.i8p, [LLVMBuildBitCast(builder, map, m.i8p, ""), key])
        let slot = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), m.i64p, "")!
        let found = appendBlock("cpid.found"), done = appendBlock("cpid.done")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, value, ""), done, found)
        LLVMPositionBuilderAtEnd(builder, found)
        LLVMBuildStore(builder, LLVMBuildLoad2(builder, m.i64, LLVMBuildBitCast(builder, value, m.i64p, ""), ""), slot)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
        return LLVMBuildLoad2(builder, m.i64, slot, "cpid")
    }

    /// A u64 load from the context at a constant offset (the verifier wants it constant).
    func loadContext64(at offset: Int) throws -> LLVMValueRef {
        try loadContext(m.i64, at: offset)
    }

    /// A load of `type` (an integer) from the context at a constant offset.
    ///
    /// The verifier accepts a context load only at a constant offset from the context pointer
    /// itself. InstCombine turns a PHI of two loads (`c ? arg1 : arg2`, or a variable set in
    /// both arms of an `if`) into one load from a PHI of their addresses: a modified context
    /// pointer, rejected. Through `passthrough` (IRGen+Passthrough.swift) the PHI is one of
    /// calls, which InstCombine does not fold.
    ///
    /// The address goes through `passthrough` too: GVN would otherwise give every read of the
    /// same field one shared `ctx + offset`, which the backend keeps in a register across
    /// blocks when there are many (twenty `str(args->filename)` in one key), and a load through
    /// that register is again a modified context pointer.
    func loadContext(_ type: LLVMTypeRef, at offset: Int, name: String = "") throws -> LLVMValueRef {
        let context = try probeContext()
        let opaque = LLVMBuildIntToPtr(builder, passthrough(LLVMBuildPtrToInt(builder, context, m.i64, "")), LLVMTypeOf(context), "")!
        let p = LLVMBuildBitCast(builder, m.byteOffset(opaque, offset), LLVMPointerType(type, 0), "")
        return passthrough(LLVMBuildLoad2(builder, type, p, name))
    }

    /// A 64-bit register or slot cut to the value's C width and extended back by its sign, so
    /// an `int` of -1 reads as -1 and a `u8` as at most 255.
    func narrow(_ v: LLVMValueRef, to type: SType) -> LLVMValueRef {
        guard case .integer(let bits, let signed) = type, bits < 64 else { return v }
        let small = LLVMBuildTrunc(builder, v, LLVMIntTypeInContext(m.context, UInt32(bits)), "")
        return signed ? LLVMBuildSExt(builder, small, m.i64, "") : LLVMBuildZExt(builder, small, m.i64, "")
    }
}

/// Where the kernel's `struct pt_regs` keeps arguments and the return value: what kprobe and
/// uprobe programs see as their context.
enum PtRegs {
    #if arch(arm64)
    /// `regs[0]`…`regs[7]` of `struct user_pt_regs`.
    static let argumentOffsets = [0, 8, 16, 24, 32, 40, 48, 56]
    static let returnValueOffset = 0
    /// `pc`.
    static let instructionPointerOffset = 256
    #else
    /// x86-64 `di si dx cx r8 r9`.
    static let argumentOffsets = [112, 104, 96, 88, 72, 64]
    /// `ax`.
    static let returnValueOffset = 80
    /// `ip`.
    static let instructionPointerOffset = 128
    #endif
}
