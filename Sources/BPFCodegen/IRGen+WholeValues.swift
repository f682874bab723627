import CLLVM
import ScriptParser

/// Whole structs and arrays as values (ScriptParser's TypeChecker+WholeValues.swift): copied
/// out of memory as bytes, and members read back out of a copy.
extension IRGen {
    /// Writes the bytes of a whole struct or array into `dest`: read from memory for `*p`,
    /// `p->s`, `p->arr`; copied from a variable, map or tuple that already holds it.
    func emitMemoryCopy(_ e: Expr, _ layout: ValueLayout, into dest: LLVMValueRef) throws {
        switch e.kind {
        case .dereference(let pointer):
            let source = LLVMBuildIntToPtr(builder, try emitInt(pointer), m.i8p, "")!
            try probeRead(memoryReadHelper(for: pointer.type),
                          into: dest, size: m.const64(layout.size), from: source, at: e.range)
        case .recordField, .index:
            let path = try fieldPath(e)
            let source = address(of: path, from: try rootPointer(of: path))
            try probeRead(readHelper(path), into: dest, size: m.const64(layout.size), from: source, at: e.range)
        case .copiedMember(let base, let offset):
            let (pointer, at) = try valueAddress(base)
            copyBytes(dest, m.byteOffset(pointer, at + offset), layout.size)
        default:
            let (pointer, at) = try valueAddress(e)
            copyBytes(dest, m.byteOffset(pointer, at), layout.size)
        }
    }

    /// An integer member or element of a copy (`$s.m`, `$a[1]`), widened to 64 bits.
    func emitCopiedInteger(_ base: Expr, offset: Int, _ type: SType) throws -> LLVMValueRef {
        let (pointer, at) = try valueAddress(base)
        let bytes: Int
        switch type {
        case .integer(let bits, _): bytes = bits / 8
        default: bytes = 8
        }
        let width = LLVMIntTypeInContext(m.context, UInt32(bytes * 8))!
        let p = LLVMBuildBitCast(builder, m.byteOffset(pointer, at + offset), LLVMPointerType(width, 0), "")
        let value = LLVMBuildLoad2(builder, width, p, "")!
        LLVMSetAlignment(value, 1)
        if bytes >= 8 { return value }
        return type.isSigned ? LLVMBuildSExt(builder, value, m.i64, "") : LLVMBuildZExt(builder, value, m.i64, "")
    }

    /// A `char name[N]` member of a copy, as a string.
    func emitCopiedText(_ base: Expr, offset: Int, bytes: Int, into dest: LLVMValueRef, capacity: Int) throws {
        let (pointer, at) = try valueAddress(base)
        copyBytes(dest, m.byteOffset(pointer, at + offset), min(bytes, capacity))
        if bytes < capacity { LLVMBuildStore(builder, LLVMConstInt(m.i8, 0, 0), m.byteOffset(dest, bytes)) }
    }

    /// `==`/`!=` of two whole values (copies, buffers): both written into zeroed buffers, then
    /// compared word by word over the smaller one (a buffer's length word comes first, and
    /// bytes past its length are zero).
    func emitValueEquality(_ op: BinaryOp, _ a: Expr, _ b: Expr) throws -> LLVMValueRef {
        let x = allocaInEntry(bytes: a.type.size), y = allocaInEntry(bytes: b.type.size)
        try emitValue(a, into: x)
        try emitValue(b, into: y)
        let words = min(a.type.size, b.type.size) / 8
        var differ: LLVMValueRef = m.const64(0)
        if words <= 16 {
            for word in 0..<words {
                let diff = LLVMBuildXor(builder, load64(x, word * 8), load64(y, word * 8), "")!
                differ = LLVMBuildOr(builder, differ, diff, "")
            }
        } else {
            differ = differingBits(x, y, words: words)
        }
        let equal = LLVMBuildICmp(builder, op == .eq ? LLVMIntEQ : LLVMIntNE, differ, m.const64(0), "")
        return LLVMBuildZExt(builder, equal, m.i64, "")
    }

    /// The OR of `x[i] ^ y[i]` over `words` u64s, as a bounded loop: unrolled over a large
    /// buffer (1 KiB by default), LLVM schedules the loads first and spills them past the
    /// 512-byte stack.
    private func differingBits(_ x: LLVMValueRef, _ y: LLVMValueRef, words: Int) -> LLVMValueRef {
        let before = LLVMGetInsertBlock(builder)
        let loop = appendBlock("cmp.loop"), body = appendBlock("cmp.body"), done = appendBlock("cmp.done")
        LLVMBuildBr(builder, loop)
        LLVMPositionBuilderAtEnd(builder, loop)
        let index = LLVMBuildPhi(builder, m.i64, "i")!
        let accumulated = LLVMBuildPhi(builder, m.i64, "differ")!
        let more = LLVMBuildICmp(builder, LLVMIntULT, index, m.const64(words), "")
        LLVMBuildCondBr(builder, more, body, done)
        LLVMPositionBuilderAtEnd(builder, body)
        let offset = LLVMBuildMul(builder, index, m.const64(8), "")!
        let load = { (p: LLVMValueRef) -> LLVMValueRef in
            LLVMBuildLoad2(self.builder, self.m.i64, LLVMBuildBitCast(self.builder, self.m.byteOffset(p, offset), self.m.i64p, ""), "")
        }
        let next = LLVMBuildOr(builder, accumulated, LLVMBuildXor(builder, load(x), load(y), ""), "")!
        let step = LLVMBuildAdd(builder, index, m.const64(1), "")!
        let bodyEnd = LLVMGetInsertBlock(builder)
        LLVMBuildBr(builder, loop)
        var indexValues: [LLVMValueRef?] = [m.const64(0), step]
        var differValues: [LLVMValueRef?] = [m.const64(0), next]
        var blocks: [LLVMBasicBlockRef?] = [before, bodyEnd]
        LLVMAddIncoming(index, &indexValues, &blocks, 2)
        LLVMAddIncoming(accumulated, &differValues, &blocks, 2)
        LLVMPositionBuilderAtEnd(builder, done)
        return accumulated
    }
}
