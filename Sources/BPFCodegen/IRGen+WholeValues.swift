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
            m.callHelper(isUserPointer(pointer.type) ? .probeReadUser : .probeReadKernel,
                         [dest, m.const64(layout.size), source])
        case .recordField, .index:
            let path = try fieldPath(e)
            let source = address(of: path, from: try rootPointer(of: path))
            m.callHelper(readHelper(path), [dest, m.const64(layout.size), source])
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
        var differ: LLVMValueRef = m.const64(0)
        for word in 0..<(min(a.type.size, b.type.size) / 8) {
            let diff = LLVMBuildXor(builder, load64(x, word * 8), load64(y, word * 8), "")!
            differ = LLVMBuildOr(builder, differ, diff, "")
        }
        let equal = LLVMBuildICmp(builder, op == .eq ? LLVMIntEQ : LLVMIntNE, differ, m.const64(0), "")
        return LLVMBuildZExt(builder, equal, m.i64, "")
    }
}
