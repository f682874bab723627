import TraceContract
import CLLVM
import ScriptParser

/// Integer-valued expressions; every integer is an i64 in registers, extended from its width.
extension IRGen {
    /// Emits an expression evaluated for its side effects (a call, an increment).
    func emitEffect(_ e: Expr) throws {
        if case .function(let function, let args) = e.kind {
            try emitCall(e, function, args: args)
            return
        }
        if case .ternary(let c, let a, let b) = e.kind, e.type == .void {
            let yes = appendBlock("vtern.true"), no = appendBlock("vtern.false"), done = appendBlock("vtern.end")
            LLVMBuildCondBr(builder, try emitTruth(c), yes, no)
            LLVMPositionBuilderAtEnd(builder, yes)
            try emitEffect(a)
            branchIfOpen(to: done)
            LLVMPositionBuilderAtEnd(builder, no)
            try emitEffect(b)
            branchIfOpen(to: done)
            LLVMPositionBuilderAtEnd(builder, done)
            return
        }
        if e.type.isAggregate { return }
        _ = try emitInt(e)
    }

    /// An i1: the expression is non-zero (integers, pointers) — the C truth rule.
    func emitTruth(_ e: Expr) throws -> LLVMValueRef {
        let v = try emitInt(e)
        return LLVMBuildICmp(builder, LLVMIntNE, v, m.const64(0), "")
    }

    func emitInt(_ e: Expr) throws -> LLVMValueRef {
        switch e.kind {
        case .integer(let v):
            return m.const64(v)
        case .builtin(let b):
            return emitBuiltin(b)
        case .tracepointField(let f):
            return try emitFieldLoad(f, e.type)
        case .probeValue(let v):
            return try emitProbeValue(v, e)
        case .map(let name, let keys):
            return try emitMapRead(name, keys, at: e.range)
        case .increment(let target, let inc, let prefix, let step):
            return try emitIncrement(target, increment: inc, prefix: prefix, step: step)
        case .function(.hasKey, let args):
            return try emitHasKey(args)
        case .function(.len, let args):
            return try emitMapLength(args)
        case .cast(_, let inner):
            return emitCast(try emitInt(inner), to: e.type)
        case .tupleElement(let base, let index):
            let (pointer, offset) = try tupleElementAddress(base, index)
            return load64(pointer, offset)
        case .copiedMember(let base, let offset):
            return try emitCopiedInteger(base, offset: offset, e.type)
        case .variable(let name):
            guard let v = lookupVariable(name) else { throw CodegenError("internal error: unknown variable $\(name)", range: e.range) }
            return LLVMBuildLoad2(builder, m.i64, LLVMBuildBitCast(builder, v.storage, m.i64p, ""), "")
        case .unary(let op, let a):
            let v = try emitInt(a)
            switch op {
            case .negate: return LLVMBuildNeg(builder, v, "")
            case .bitNot: return LLVMBuildNot(builder, v, "")
            case .logicalNot:
                return LLVMBuildZExt(builder, LLVMBuildICmp(builder, LLVMIntEQ, v, m.const64(0), ""), m.i64, "")
            case .deref, .addressOf:
                throw CodegenError("internal error: operator \(op.rawValue) was not resolved by the checker", range: e.range)
            }
        case .binary(let op, let a, let b):
            return try emitBinary(op, a, b)
        case .ternary(let c, let a, let b):
            let result = allocaInEntry(bytes: 8)
            let slot = LLVMBuildBitCast(builder, result, m.i64p, "")!
            let yes = appendBlock("tern.true"), no = appendBlock("tern.false"), done = appendBlock("tern.end")
            LLVMBuildCondBr(builder, try emitTruth(c), yes, no)
            LLVMPositionBuilderAtEnd(builder, yes)
            LLVMBuildStore(builder, try emitInt(a), slot)
            LLVMBuildBr(builder, done)
            LLVMPositionBuilderAtEnd(builder, no)
            LLVMBuildStore(builder, try emitInt(b), slot)
            LLVMBuildBr(builder, done)
            LLVMPositionBuilderAtEnd(builder, done)
            return LLVMBuildLoad2(builder, m.i64, slot, "")
        default:
            if let v = try emitKernelTypeValue(e) { return v }
            if let v = try emitFunctionValue(e) { return v }
            throw CodegenError("internal error: this expression has no integer lowering", range: e.range)
        }
    }

    /// Truncates to the cast's width, then sign- or zero-extends back to 64 bits.
    func emitCast(_ v: LLVMValueRef, to t: SType) -> LLVMValueRef {
        guard case .integer(let bits, let signed) = t, bits < 64 else { return v }
        let narrow = LLVMBuildTrunc(builder, v, LLVMIntTypeInContext(m.context, UInt32(bits)), "")
        return signed ? LLVMBuildSExt(builder, narrow, m.i64, "") : LLVMBuildZExt(builder, narrow, m.i64, "")
    }

    func emitBuiltin(_ b: Builtin) -> LLVMValueRef {
        switch b {
        case .pid:
            return LLVMBuildLShr(builder, m.callHelper(.getCurrentPidTgid, []), m.const64(32), "pid")
        case .tid:
            return LLVMBuildAnd(builder, m.callHelper(.getCurrentPidTgid, []), m.const64(0xffff_ffff as UInt64), "tid")
        case .uid:
            return LLVMBuildAnd(builder, m.callHelper(.getCurrentUidGid, []), m.const64(0xffff_ffff as UInt64), "uid")
        case .gid:
            return LLVMBuildLShr(builder, m.callHelper(.getCurrentUidGid, []), m.const64(32), "gid")
        case .nsecs:
            return m.callHelper(.ktimeGetNs, [], name: "nsecs")
        case .cpu:
            return LLVMBuildZExt(builder, m.callHelper(.getSmpProcessorId, [], name: "cpu"), m.i64, "")
        case .elapsed:
            return emitElapsed()
        case .comm:
            // Strings never reach here: the checker only lets comm be used as a string.
            return m.const64(0)
        }
    }

    /// nsecs minus the start time the runtime stored in a one-slot array before attaching.
    func emitElapsed() -> LLVMValueRef {
        let map: LLVMValueRef
        if let startMap { map = startMap } else {
            let name = "start_time"
            map = m.define(MapDefinition(name: name, type: .array, maxEntries: 1, keySize: 4, valueSize: 8))
            startMap = map
            manifest.startTimeMap = name
        }
        let key = allocaInEntry(bytes: 8)
        let value = m.callHelper(.mapLookupElem, returns: m.i8p, [LLVMBuildBitCast(builder, map, m.i8p, ""), key])
        let now = m.callHelper(.ktimeGetNs, [])
        let found = appendBlock("elapsed.found"), done = appendBlock("elapsed.done")
        let before = LLVMGetInsertBlock(builder)
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, value, ""), done, found)
        LLVMPositionBuilderAtEnd(builder, found)
        let start = LLVMBuildLoad2(builder, m.i64, LLVMBuildBitCast(builder, value, m.i64p, ""), "")
        let diff = LLVMBuildSub(builder, now, start, "")
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
        let phi = LLVMBuildPhi(builder, m.i64, "elapsed")!
        var values: [LLVMValueRef?] = [now, diff]
        var blocks: [LLVMBasicBlockRef?] = [before, found]
        LLVMAddIncoming(phi, &values, &blocks, 2)
        return phi
    }

    /// An integer or pointer field of the tracepoint record: a direct load from the context.
    func emitFieldLoad(_ f: TracepointField, _ type: SType) throws -> LLVMValueRef {
        let width: LLVMTypeRef
        switch f.size {
        case 1: width = m.i8
        case 2: width = m.i16
        case 4: width = m.i32
        default: width = m.i64
        }
        let v = try loadContext(width, at: f.offset, name: f.name)
        if f.size >= 8 { return v }
        return type.isSigned ? LLVMBuildSExt(builder, v, m.i64, "") : LLVMBuildZExt(builder, v, m.i64, "")
    }

    func emitBinary(_ op: BinaryOp, _ a: Expr, _ b: Expr) throws -> LLVMValueRef {
        if a.type.isRendered, b.type.isRendered { return try emitValueEquality(op, a, b) }
        if a.type.isString, b.type.isString {
            let equal = try emitStringEquality(a, b)
            return op == .eq ? equal : LLVMBuildXor(builder, equal, m.const64(1), "")
        }
        if op == .logicalAnd || op == .logicalOr {
            return try emitShortCircuit(op, a, b)
        }
        let x = try emitInt(a), y = try emitInt(b)
        return applyIntegerOp(op, x, y, signed: Self.comparesSigned(a, b), leftSigned: a.type.isSigned)
    }

    /// Signed only when both sides are signed: as in C, and as bpftrace compares, an unsigned
    /// 64-bit side makes the other unsigned (`$u > -1` is false for a uint64 `$u`). A literal
    /// is a signed int64, so `uaddr > 0` is unsigned and `$i > 0` signed.
    static func comparesSigned(_ a: Expr, _ b: Expr) -> Bool {
        a.type.isSigned && b.type.isSigned
    }

    /// An arithmetic, bitwise or comparison operator on two i64 values.
    func applyIntegerOp(_ op: BinaryOp, _ x: LLVMValueRef, _ y: LLVMValueRef, signed: Bool, leftSigned: Bool) -> LLVMValueRef {
        func cmp(_ s: LLVMIntPredicate, _ u: LLVMIntPredicate) -> LLVMValueRef {
            LLVMBuildZExt(builder, LLVMBuildICmp(builder, signed ? s : u, x, y, ""), m.i64, "")
        }
        switch op {
        case .add: return LLVMBuildAdd(builder, x, y, "")
        case .sub: return LLVMBuildSub(builder, x, y, "")
        case .mul: return LLVMBuildMul(builder, x, y, "")
        case .div: return emitDivision(x, y, remainder: false, signed: signed)
        case .mod: return emitDivision(x, y, remainder: true, signed: signed)
        case .bitAnd: return LLVMBuildAnd(builder, x, y, "")
        case .bitOr: return LLVMBuildOr(builder, x, y, "")
        case .bitXor: return LLVMBuildXor(builder, x, y, "")
        // A shift by 64 or more is poison in LLVM (and dropped with the code around it); BPF
        // masks the amount to 6 bits, so the IR does too.
        case .shl: return LLVMBuildShl(builder, x, shiftAmount(y), "")
        case .shr: return leftSigned ? LLVMBuildAShr(builder, x, shiftAmount(y), "") : LLVMBuildLShr(builder, x, shiftAmount(y), "")
        case .eq: return cmp(LLVMIntEQ, LLVMIntEQ)
        case .ne: return cmp(LLVMIntNE, LLVMIntNE)
        case .lt: return cmp(LLVMIntSLT, LLVMIntULT)
        case .le: return cmp(LLVMIntSLE, LLVMIntULE)
        case .gt: return cmp(LLVMIntSGT, LLVMIntUGT)
        case .ge: return cmp(LLVMIntSGE, LLVMIntUGE)
        case .logicalAnd:
            let both = LLVMBuildAnd(builder, LLVMBuildICmp(builder, LLVMIntNE, x, m.const64(0), ""),
                                    LLVMBuildICmp(builder, LLVMIntNE, y, m.const64(0), ""), "")
            return LLVMBuildZExt(builder, both, m.i64, "")
        case .logicalOr:
            let either = LLVMBuildOr(builder, LLVMBuildICmp(builder, LLVMIntNE, x, m.const64(0), ""),
                                     LLVMBuildICmp(builder, LLVMIntNE, y, m.const64(0), ""), "")
            return LLVMBuildZExt(builder, either, m.i64, "")
        }
    }

    /// `x / y` and `x % y` with BPF's answer for a zero divisor: `x / 0` is 0 and `x % 0` is
    /// `x`. LLVM leaves division by zero undefined and then drops the code around it (the
    /// verifier sees a register never set), so the divisor is made non-zero first and the
    /// result chosen after.
    func emitDivision(_ x: LLVMValueRef, _ y: LLVMValueRef, remainder: Bool, signed: Bool) -> LLVMValueRef {
        let isZero = LLVMBuildICmp(builder, LLVMIntEQ, y, m.const64(0), "")
        let divisor = LLVMBuildSelect(builder, isZero, m.const64(1), y, "")!
        let result: LLVMValueRef
        if signed {
            result = emitSignedDivision(x, divisor, remainder: remainder)
        } else {
            // Through `passthrough`: InstCombine reads `x > UINT64_MAX / y` as a multiply-overflow
            // check, a 128-bit multiply the BPF backend cannot call (`__multi3`).
            result = passthrough(remainder ? LLVMBuildURem(builder, x, divisor, "") : LLVMBuildUDiv(builder, x, divisor, ""))
        }
        return LLVMBuildSelect(builder, isZero, remainder ? x : m.const64(0), result, "")
    }

    func shiftAmount(_ y: LLVMValueRef) -> LLVMValueRef {
        LLVMBuildAnd(builder, y, m.const64(63), "")
    }

    /// BPF before v4 has no signed division: divide magnitudes, then restore the sign (C semantics:
    /// the quotient truncates toward zero, the remainder takes the dividend's sign).
    func emitSignedDivision(_ x: LLVMValueRef, _ y: LLVMValueRef, remainder: Bool) -> LLVMValueRef {
        let zero = m.const64(0)
        let xNeg = LLVMBuildICmp(builder, LLVMIntSLT, x, zero, "")
        let yNeg = LLVMBuildICmp(builder, LLVMIntSLT, y, zero, "")
        let ax = LLVMBuildSelect(builder, xNeg, LLVMBuildNeg(builder, x, ""), x, "")
        let ay = LLVMBuildSelect(builder, yNeg, LLVMBuildNeg(builder, y, ""), y, "")
        if remainder {
            let r = LLVMBuildURem(builder, ax, ay, "")
            return LLVMBuildSelect(builder, xNeg, LLVMBuildNeg(builder, r, ""), r, "")
        }
        let q = LLVMBuildUDiv(builder, ax, ay, "")
        let neg = LLVMBuildXor(builder, xNeg, yNeg, "")
        return LLVMBuildSelect(builder, neg, LLVMBuildNeg(builder, q, ""), q, "")
    }

    func emitShortCircuit(_ op: BinaryOp, _ a: Expr, _ b: Expr) throws -> LLVMValueRef {
        let slot = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), m.i64p, "")!
        let rhs = appendBlock("logic.rhs"), done = appendBlock("logic.end")
        let lhsTrue = try emitTruth(a)
        LLVMBuildStore(builder, LLVMBuildZExt(builder, lhsTrue, m.i64, ""), slot)
        if op == .logicalAnd {
            LLVMBuildCondBr(builder, lhsTrue, rhs, done)
        } else {
            LLVMBuildCondBr(builder, lhsTrue, done, rhs)
        }
        LLVMPositionBuilderAtEnd(builder, rhs)
        LLVMBuildStore(builder, LLVMBuildZExt(builder, try emitTruth(b), m.i64, ""), slot)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
        return LLVMBuildLoad2(builder, m.i64, slot, "")
    }
}
