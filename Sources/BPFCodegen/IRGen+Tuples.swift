import TraceContract
import CLLVM
import ScriptParser

/// Values kept in memory (strings, tuples): written into a destination in place.
extension IRGen {
    /// Writes any value into `dest` in its slot layout: integers as 8 bytes, strings and
    /// tuples in place.
    func emitValue(_ e: Expr, into dest: LLVMValueRef) throws {
        switch e.type {
        case .string(let cap):
            try emitString(e, into: dest, capacity: cap)
        case .tuple:
            try emitTuple(e, into: dest)
        case .rendered:
            try emitRendered(e, into: dest)
        default:
            m.store64(try emitInt(e), at: dest, 0)
        }
    }

    func emitTuple(_ e: Expr, into dest: LLVMValueRef) throws {
        switch e.kind {
        case .tuple(let elements):
            for (element, offset) in zip(elements, e.type.tupleOffsets) {
                try emitValue(element, into: m.byteOffset(dest, offset))
            }
        case .variable, .map, .tupleElement:
            let (pointer, offset) = try valueAddress(e)
            copyBytes(dest, m.byteOffset(pointer, offset), e.type.size)
        default:
            throw CodegenError("internal error: this expression has no tuple lowering", range: e.range)
        }
    }

    /// Where an in-memory value lives: a variable's stack slot, a map entry (copied to the
    /// stack), or an element inside one of those.
    func valueAddress(_ e: Expr) throws -> (LLVMValueRef, Int) {
        switch e.kind {
        case .variable(let name):
            guard let v = lookupVariable(name) else { throw CodegenError("internal error: unknown variable $\(name)", range: e.range) }
            return (v.storage, 0)
        case .tupleElement(let base, let index):
            return try tupleElementAddress(base, index)
        default:
            let buffer = allocaInEntry(bytes: max(8, e.type.size))
            if case .map(let name, let keys) = e.kind {
                try copyMapValue(name, keys, into: buffer, bytes: e.type.size)
            } else {
                try emitValue(e, into: buffer)
            }
            return (buffer, 0)
        }
    }

    func tupleElementAddress(_ base: Expr, _ index: Int) throws -> (LLVMValueRef, Int) {
        let offsets = base.type.tupleOffsets
        guard index < offsets.count else { throw CodegenError("internal error: tuple index out of range", range: base.range) }
        let (pointer, offset) = try valueAddress(base)
        return (pointer, offset + offsets[index])
    }

    /// Copies a plain map value into `dest` (left zeroed when the key is absent).
    func copyMapValue(_ name: String, _ keys: [Expr], into dest: LLVMValueRef, bytes: Int) throws {
        let (map, d) = try mapGlobal(name)
        let key = try emitMapKey(d, keys)
        let p = lookup(map, key)
        let present = appendBlock("copy.present"), done = appendBlock("copy.done")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, p, ""), done, present)
        LLVMPositionBuilderAtEnd(builder, present)
        copyBytes(dest, p, min(bytes, d.valueSize), sourceAlign: 8)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
    }
}
