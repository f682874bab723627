import TraceContract
import CLLVM
import ScriptParser

/// Lowering of kernel-type expressions (see TypeChecker+KernelTypes and +RecordFields). Reads go
/// through `bpf_probe_read_kernel`, or `bpf_probe_read_user` where the front end marked the
/// memory as user memory, into a stack slot; addresses come from `IRGen+FieldAccess`.
/// Nil/false: not mine.
extension IRGen {
    func emitKernelTypeValue(_ e: Expr) throws -> LLVMValueRef? {
        switch e.kind {
        case .currentTask:
            return m.callHelper(.getCurrentTask, [], name: "curtask")
        case .recordField(_, let access):
            if let width = access.member.bitfieldSize {
                return try readBitfield(e, access.member, width: width)
            }
            return try readScalar(e)
        case .dereference, .index:
            return try readScalar(e)
        case .addressOf(let place):
            if case .dereference(let pointer) = place.kind { return try emitInt(pointer) }
            let path = try fieldPath(place)
            let p = address(of: path, from: try rootPointer(of: path))
            return LLVMBuildPtrToInt(builder, p, m.i64, "")
        case .pointerOffset(let pointer, let count, let size):
            let base = try emitInt(pointer)
            let scaled = LLVMBuildMul(builder, try emitInt(count), m.const64(size), "")
            return LLVMBuildAdd(builder, base, scaled, "")
        default:
            return nil
        }
    }

    func emitKernelTypeString(_ e: Expr, into dest: LLVMValueRef, capacity: Int) throws -> Bool {
        switch e.kind {
        case .recordField, .index:
            break
        default:
            return false
        }
        if case .index(let base, let index) = e.kind, case .tracepointField(let f) = base.kind {
            // A char array inside a tracepoint's array field: straight from the record.
            guard case .integer(let i) = index.kind, let count = f.arrayCount, count > 0 else {
                throw CodegenError("internal error: this array element cannot be read", range: e.range)
            }
            let elementSize = f.size / count
            let source = m.byteOffset(try probeContext(), f.offset + Int(i) * elementSize)
            m.callHelper(.probeReadKernel, [dest, m.const64(min(capacity, elementSize)), source])
            return true
        }
        guard case .array(_, let count)? = e.memberLayout, capacity > 0 else {
            throw CodegenError("internal error: this expression has no string lowering", range: e.range)
        }
        let path = try fieldPath(e)
        let source = address(of: path, from: try rootPointer(of: path))
        let bytes = min(capacity, count)
        try probeRead(readHelper(path), into: dest, size: m.const64(bytes), from: source, at: e.range)
        if count > capacity {
            // Cut short: the copy must still end in a NUL.
            LLVMBuildStore(builder, LLVMConstInt(m.i8, 0, 0), m.byteOffset(dest, capacity - 1))
        } else if count < capacity {
            // The array may be full (no NUL of its own): end it where the array ends.
            LLVMBuildStore(builder, LLVMConstInt(m.i8, 0, 0), m.byteOffset(dest, count))
        }
        // count == capacity: a `char s[5]` holding "hello" keeps all five bytes (bpftrace
        // prints them); a full string buffer needs no NUL (ArgumentSlot.Kind.string).
        return true
    }

    // MARK: Reads

    /// `bpf_probe_read_user` for user memory, `bpf_probe_read_kernel` otherwise.
    func readHelper(_ path: FieldPath) -> BPFHelper {
        memoryReadHelper(user: path.root.type.isUserPointer, string: false)
    }

    /// An integer or pointer in memory, read into a stack slot and widened to 64 bits.
    func readScalar(_ e: Expr) throws -> LLVMValueRef {
        if case .index(let base, let index) = e.kind, case .tracepointField(let f) = base.kind {
            return try tracepointElement(e, f, index)
        }
        let bytes: Int
        switch e.type {
        case .integer(let bits, _): bytes = bits / 8
        case .pointer: bytes = 8
        default:
            throw CodegenError("internal error: a whole \(e.type) reached codegen as a value", range: e.range)
        }
        let path = try fieldPath(e)
        let source = address(of: path, from: try rootPointer(of: path))
        return try readInteger(from: source, bytes: bytes, signed: e.type.isSigned, helper: readHelper(path), at: e.range)
    }

    func readInteger(from source: LLVMValueRef, bytes: Int, signed: Bool, helper: BPFHelper,
                     at range: SourceRange) throws -> LLVMValueRef {
        let slot = allocaInEntry(bytes: 8)
        try probeRead(helper, into: slot, size: m.const64(bytes), from: source, at: range)
        let width = LLVMIntTypeInContext(m.context, UInt32(bytes * 8))!
        let value = LLVMBuildLoad2(builder, width, LLVMBuildBitCast(builder, slot, LLVMPointerType(width, 0), ""), "")!
        if bytes >= 8 { return value }
        return signed ? LLVMBuildSExt(builder, value, m.i64, "") : LLVMBuildZExt(builder, value, m.i64, "")
    }

    /// `args->array[i]` on a tracepoint: the context is readable directly.
    private func tracepointElement(_ e: Expr, _ f: TracepointField, _ index: Expr) throws -> LLVMValueRef {
        guard case .integer(let i) = index.kind, let count = f.arrayCount, count > 0,
              case .integer(let bits, let signed) = e.type else {
            throw CodegenError("internal error: this array element cannot be read", range: e.range)
        }
        let width = LLVMIntTypeInContext(m.context, UInt32(bits))!
        let v = try loadContext(width, at: f.offset + Int(i) * (f.size / count))
        if bits >= 64 { return v }
        return signed ? LLVMBuildSExt(builder, v, m.i64, "") : LLVMBuildZExt(builder, v, m.i64, "")
    }

    /// A bitfield, read as libbpf's `BPF_CORE_READ_BITFIELD_PROBED` reads one: the bytes that
    /// hold it (`byteSize` at `byteOffset`) into the low end of a zeroed u64, shifted left to
    /// drop the bits above it and right to drop those below. All four numbers are CO-RE
    /// relocations, which libbpf recomputes for the running kernel's layout.
    private func readBitfield(_ e: Expr, _ member: RecordMember, width: Int) throws -> LLVMValueRef {
        let path = try fieldPath(e)
        let root = try rootPointer(of: path)
        let slot = allocaInEntry(bytes: 8)
        let word = LLVMBuildBitCast(builder, slot, m.i64p, "")!
        // Bits from the root pointer to the bitfield.
        let bit = (path.byteOffset - member.byteOffset) * 8 + member.bitOffset
        let offset: LLVMValueRef, size: LLVMValueRef, left: LLVMValueRef, right: LLVMValueRef
        if let record = path.relocationRoot, let load = Self.bitfieldLoad(bit: bit, width: width, unit: member.type.size) {
            offset = relocatedValue(.byteOffset, load.offset, record, path)
            size = relocatedValue(.byteSize, load.size, record, path)
            left = relocatedValue(.leftShift, 64 - (bit + width - load.offset * 8), record, path)
            right = relocatedValue(.rightShift, 64 - width, record, path)
        } else {
            // Not relocatable, or wider than any aligned load: the bytes from its first one
            // (the checker made sure they fit in 8).
            let first = bit / 8
            offset = m.const64(first)
            size = m.const64((bit - first * 8 + width + 7) / 8)
            left = m.const64(64 - (bit - first * 8) - width)
            right = m.const64(64 - width)
        }
        try probeRead(readHelper(path), into: slot, size: size, from: m.byteOffset(root, offset), at: e.range)
        let shifted = LLVMBuildShl(builder, LLVMBuildLoad2(builder, m.i64, word, ""), left, "")
        return e.type.isSigned ? LLVMBuildAShr(builder, shifted, right, "") : LLVMBuildLShr(builder, shifted, right, "")
    }

    /// Where libbpf loads a bitfield from (the local values of its relocations, which it
    /// recomputes on the target the same way): the bitfield's declared integer size, aligned,
    /// doubled until the load holds every bit; nil when even 8 bytes do not.
    static func bitfieldLoad(bit: Int, width: Int, unit: Int) -> (offset: Int, size: Int)? {
        var size = max(1, unit)
        var offset = bit / 8 / size * size
        while bit + width - offset * 8 > size * 8 {
            guard size < 8 else { return nil }
            size *= 2
            offset = bit / 8 / size * size
        }
        return (offset, size)
    }
}
