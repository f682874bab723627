import TraceContract
import CLLVM
import ScriptParser

/// String comparison and search: `==` on long strings, `strncmp`, `strcontains`.
///
/// Short strings (`comm`) are compared unrolled, byte by byte. Longer ones (the default
/// `str()` is 1024 bytes) go through `bpf_loop` (IRGen+HelperLoop.swift): unrolled, they would
/// outgrow BPF's 32767-instruction jump range, and as plain loops the verifier would walk
/// every iteration and every early exit.
extension IRGen {
    /// Strings up to this many bytes are compared unrolled. Beyond, LLVM would load the whole
    /// unrolled compare up front in 8-byte words, and spilling those words overflows the
    /// 512-byte stack as surely as the buffers themselves.
    static let unrolledStringBytes = 16

    /// A string expression in memory: a buffer holding it and its capacity.
    func materializeString(_ e: Expr) throws -> (pointer: LLVMValueRef, capacity: Int) {
        guard case .string(let capacity) = e.type else {
            throw CodegenError("internal error: expected a string", range: e.range)
        }
        if case .variable(let name) = e.kind, let v = lookupVariable(name) { return (v.storage, capacity) }
        let buffer = allocaInEntry(bytes: capacity)
        try emitString(e, into: buffer, capacity: capacity)
        return (buffer, capacity)
    }

    /// 1 when `a` and `b` agree on their first `limit` characters (a NUL in both ends the
    /// comparison early), else 0.
    func emitStringPrefixEquality(_ a: Expr, _ b: Expr, limit: Int) throws -> LLVMValueRef {
        let (x, cx) = try materializeString(a)
        let (y, cy) = try materializeString(b)
        let n = min(limit, cx, cy)
        let result = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), m.i64p, "")!
        let equal = appendBlock("strcmp.equal"), unequal = appendBlock("strcmp.unequal"), done = appendBlock("strcmp.end")
        if n == 0 {
            LLVMBuildBr(builder, equal)
        } else if n <= Self.unrolledStringBytes {
            for i in 0..<n {
                // Through `passthrough`, each byte's compare keeps its early exit (see there).
                let bx = passthrough(loadByte(x, m.const64(i))), by = loadByte(y, m.const64(i))
                let same = appendBlock("strcmp.same")
                LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntEQ, bx, by, ""), same, unequal)
                LLVMPositionBuilderAtEnd(builder, same)
                if i == n - 1 {
                    LLVMBuildBr(builder, equal)
                } else {
                    let next = appendBlock("strcmp.next")
                    LLVMBuildCondBr(builder, isNul(bx), equal, next)
                    LLVMPositionBuilderAtEnd(builder, next)
                }
            }
        } else {
            // The callback clears the result at the first difference; a NUL in both ends it.
            LLVMBuildStore(builder, m.const64(1), result)
            try emitHelperLoop(count: n, captures: [x, y, LLVMBuildBitCast(builder, result, m.i8p, "")!], at: a.range) { i, c, stop, next in
                let bx = loadByte(c[0], i), by = loadByte(c[1], i)
                let same = appendBlock("strcmp.same"), differ = appendBlock("strcmp.differ")
                LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntEQ, bx, by, ""), same, differ)
                LLVMPositionBuilderAtEnd(builder, differ)
                m.store64(m.const64(0), at: c[2], 0)
                LLVMBuildBr(builder, stop)
                LLVMPositionBuilderAtEnd(builder, same)
                LLVMBuildCondBr(builder, isNul(bx), stop, next)
            }
            LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntNE, LLVMBuildLoad2(builder, m.i64, result, "")!, m.const64(0), ""), equal, unequal)
        }
        return finishBoolean(result, yes: equal, no: unequal, done: done)
    }

    /// 1 when `needle` occurs in `haystack`. Each start position (a `bpf_loop` index) compares
    /// the needle until a mismatch; the haystack's NUL ends the search. A literal needle is
    /// compared against constants, unrolled; another string in a nested `bpf_loop`, up to its NUL.
    func emitStringContains(_ haystack: Expr, _ needle: Expr) throws -> LLVMValueRef {
        let (x, hayCapacity) = try materializeString(haystack)
        var literal: [UInt8]?
        var y: LLVMValueRef?
        var needleCapacity = 0
        if case .string(let bytes) = needle.kind {
            literal = Array(bytes.prefix { $0 != 0 })
        } else {
            (y, needleCapacity) = try materializeString(needle)
        }
        let result = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), m.i64p, "")!
        let found = appendBlock("strcontains.found"), missing = appendBlock("strcontains.missing")
        let search = appendBlock("strcontains.search"), searched = appendBlock("strcontains.searched")
        let done = appendBlock("strcontains.end")
        if literal?.isEmpty == true || hayCapacity == 0 {
            LLVMBuildBr(builder, literal?.isEmpty == true ? found : missing)
        } else if let y {
            // An empty needle is found everywhere.
            LLVMBuildCondBr(builder, isNul(loadByte(y, m.const64(0))), found, search)
        } else {
            LLVMBuildBr(builder, search)
        }
        LLVMPositionBuilderAtEnd(builder, search)
        LLVMBuildStore(builder, m.const64(0), result)
        let captures = [x, LLVMBuildBitCast(builder, result, m.i8p, "")!] + (y.map { [$0] } ?? [])
        try emitHelperLoop(count: hayCapacity, captures: captures, at: haystack.range) { start, c, stop, next in
            let hay = c[0]
            let matchedAll = appendBlock("strcontains.matched")
            // The haystack ended: no match here or later.
            let compare = appendBlock("strcontains.compare")
            LLVMBuildCondBr(builder, isNul(loadByte(hay, start)), stop, compare)
            LLVMPositionBuilderAtEnd(builder, compare)
            if let literal {
                for (j, byte) in literal.enumerated() {
                    // Past the haystack's end: no match here or later.
                    let position = LLVMBuildAdd(builder, start, m.const64(j), "")!
                    let inside = appendBlock("strcontains.inside"), same = appendBlock("strcontains.same")
                    LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntULT, position, m.const64(hayCapacity), ""), inside, stop)
                    LLVMPositionBuilderAtEnd(builder, inside)
                    let expected = LLVMConstInt(m.i8, UInt64(byte), 0)!
                    LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntEQ, loadByte(hay, position), expected, ""), same, next)
                    LLVMPositionBuilderAtEnd(builder, same)
                }
            } else {
                // The needle's bytes in a loop of their own, which reports through `outcome`:
                // 1 matched (up to the needle's NUL), 0 a mismatch, 2 the haystack ran out.
                let outcome = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), m.i64p, "")!
                LLVMBuildStore(builder, m.const64(1), outcome)
                let outcomePointer = LLVMBuildBitCast(builder, outcome, m.i8p, "")!
                try emitHelperLoop(count: needleCapacity, captures: [hay, c[2], outcomePointer, start], at: needle.range) { j, d, innerStop, innerNext in
                    let expected = loadByte(d[1], j)
                    let more = appendBlock("strcontains.more"), inside = appendBlock("strcontains.inside")
                    let past = appendBlock("strcontains.past"), differ = appendBlock("strcontains.differ")
                    LLVMBuildCondBr(builder, isNul(expected), innerStop, more)
                    LLVMPositionBuilderAtEnd(builder, more)
                    let position = LLVMBuildAdd(builder, d[3], j, "")!
                    LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntULT, position, m.const64(hayCapacity), ""), inside, past)
                    LLVMPositionBuilderAtEnd(builder, past)
                    m.store64(m.const64(2), at: d[2], 0)
                    LLVMBuildBr(builder, innerStop)
                    LLVMPositionBuilderAtEnd(builder, inside)
                    LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntEQ, loadByte(d[0], position), expected, ""), innerNext, differ)
                    LLVMPositionBuilderAtEnd(builder, differ)
                    m.store64(m.const64(0), at: d[2], 0)
                    LLVMBuildBr(builder, innerStop)
                }
                let verdict = LLVMBuildLoad2(builder, m.i64, outcome, "")!
                let notMatched = appendBlock("strcontains.notmatched")
                LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntEQ, verdict, m.const64(1), ""), matchedAll, notMatched)
                LLVMPositionBuilderAtEnd(builder, notMatched)
                LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntEQ, verdict, m.const64(0), ""), next, stop)
                LLVMPositionBuilderAtEnd(builder, appendBlock("strcontains.unreachable"))
                LLVMBuildUnreachable(builder)
            }
            if currentBlockIsOpen { LLVMBuildBr(builder, matchedAll) }
            LLVMPositionBuilderAtEnd(builder, matchedAll)
            m.store64(m.const64(1), at: c[1], 0)
            LLVMBuildBr(builder, stop)
        }
        LLVMBuildBr(builder, searched)
        LLVMPositionBuilderAtEnd(builder, searched)
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntNE, LLVMBuildLoad2(builder, m.i64, result, "")!, m.const64(0), ""), found, missing)
        return finishBoolean(result, yes: found, no: missing, done: done)
    }

    private func loadByte(_ base: LLVMValueRef, _ index: LLVMValueRef) -> LLVMValueRef {
        LLVMBuildLoad2(builder, m.i8, m.byteOffset(base, index), "")!
    }

    private func isNul(_ byte: LLVMValueRef) -> LLVMValueRef {
        LLVMBuildICmp(builder, LLVMIntEQ, byte, LLVMConstInt(m.i8, 0, 0), "")!
    }

    /// Stores 1 in `slot` from `yes` and 0 from `no`, joins at `done` and loads the answer.
    private func finishBoolean(_ slot: LLVMValueRef, yes: LLVMBasicBlockRef, no: LLVMBasicBlockRef,
                               done: LLVMBasicBlockRef) -> LLVMValueRef {
        if currentBlockIsOpen { LLVMBuildUnreachable(builder) }
        LLVMPositionBuilderAtEnd(builder, yes)
        LLVMBuildStore(builder, m.const64(1), slot)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, no)
        LLVMBuildStore(builder, m.const64(0), slot)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
        return LLVMBuildLoad2(builder, m.i64, slot, "")
    }
}
