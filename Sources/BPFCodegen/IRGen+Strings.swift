import TraceContract
import CLLVM
import ScriptParser

/// String-valued expressions are written straight into a destination buffer (a ring-buffer
/// record or a stack slot) rather than copied through temporaries.
extension IRGen {
    func emitString(_ e: Expr, into dest: LLVMValueRef, capacity: Int) throws {
        switch e.kind {
        case .string(let bytes):
            storeLiteral(Array(bytes.prefix(capacity - 1)) + [0], into: dest)
        case .builtin(.comm):
            m.callHelper(.getCurrentComm, [dest, m.const64(min(16, capacity))])
        case .tracepointField(let f) where f.isDataLoc:
            // A __data_loc u32: low 16 bits are the data's offset in the record.
            let loc = try loadContext(m.i32, at: f.offset)
            let off: LLVMValueRef = LLVMBuildZExt(builder, LLVMBuildAnd(builder, loc, m.const32(0xffff), ""), m.i64, "")
            m.callHelper(.probeReadKernelStr, [dest, m.const64(capacity), m.byteOffset(try probeContext(), off)])
        case .tracepointField(let f):
            m.callHelper(.probeReadKernel, [dest, m.const64(min(f.size, capacity)), m.byteOffset(try probeContext(), f.offset)])
        case .function(.str, let args):
            guard let source = args.first else { return }
            if source.type.isString {
                try emitString(source, into: dest, capacity: capacity)
                return
            }
            let address = LLVMBuildIntToPtr(builder, try emitInt(source), m.i8p, "")!
            try probeRead(memoryReadHelper(for: source.type, string: true),
                          into: dest, size: m.const64(capacity), from: address, at: e.range)
        case .probeValue(let v):
            try emitProbeValueString(v, e, into: dest, capacity: capacity)
        case .map(let name, let keys):
            try emitMapReadString(name, keys, into: dest, capacity: capacity)
        case .tupleElement(let base, let index):
            let (pointer, offset) = try tupleElementAddress(base, index)
            copyBytes(dest, m.byteOffset(pointer, offset), min(capacity, e.type.size))
        case .copiedMember(let base, let offset):
            try emitCopiedText(base, offset: offset, bytes: e.type.size, into: dest, capacity: capacity)
        case .variable(let name):
            guard let v = lookupVariable(name) else { throw CodegenError("internal error: unknown variable $\(name)", range: e.range) }
            copyBytes(dest, v.storage, min(capacity, v.type.size), sourceAlign: 8)
        case .ternary(let c, let a, let b):
            let yes = appendBlock("stern.true"), no = appendBlock("stern.false"), done = appendBlock("stern.end")
            LLVMBuildCondBr(builder, try emitTruth(c), yes, no)
            LLVMPositionBuilderAtEnd(builder, yes)
            try emitString(a, into: dest, capacity: capacity)
            LLVMBuildBr(builder, done)
            LLVMPositionBuilderAtEnd(builder, no)
            try emitString(b, into: dest, capacity: capacity)
            LLVMBuildBr(builder, done)
            LLVMPositionBuilderAtEnd(builder, done)
        default:
            if try emitKernelTypeString(e, into: dest, capacity: capacity) { return }
            if try emitFunctionString(e, into: dest, capacity: capacity) { return }
            throw CodegenError("internal error: this expression has no string lowering", range: e.range)
        }
    }

    /// Whether a pointer points into user space: syscall arguments do, kernel objects don't.
    /// The helper that reads memory at an address the script computed. User pointers read user
    /// memory and probes that run in the kernel's own context read kernel memory. Probes with no
    /// address space of their own (BEGIN, END, timers, perf events, watchpoints) read with the
    /// address-agnostic `bpf_probe_read`, which takes user memory below the kernel's start and
    /// kernel memory above it, as bpftrace does there.
    func memoryReadHelper(user: Bool, string: Bool) -> BPFHelper {
        if user { return string ? .probeReadUserStr : .probeReadUser }
        switch probeAttachPoints.first {
        case .begin?, .end?, .profile?, .interval?, .perfEvent?, .watchpoint?:
            return string ? .probeReadStr : .probeRead
        default:
            return string ? .probeReadKernelStr : .probeReadKernel
        }
    }

    func memoryReadHelper(for t: SType, string: Bool = false) -> BPFHelper {
        memoryReadHelper(user: isUserPointer(t), string: string)
    }

    func isUserPointer(_ t: SType) -> Bool {
        if case .pointer(_, let user) = t { return user }
        return format?.id.category == "syscalls" || probeReadsUserMemory
    }

    /// Stores constant bytes eight at a time.
    func storeLiteral(_ bytes: [UInt8], into dest: LLVMValueRef) {
        var offset = 0
        while offset < bytes.count {
            let chunk = bytes[offset..<min(offset + 8, bytes.count)]
            if chunk.count == 8 {
                var word: UInt64 = 0
                for (i, b) in chunk.enumerated() { word |= UInt64(b) << (8 * UInt64(i)) }
                m.store64(m.const64(word), at: dest, offset)
            } else {
                for (i, b) in chunk.enumerated() {
                    LLVMBuildStore(builder, LLVMConstInt(m.i8, UInt64(b), 0), m.byteOffset(dest, offset + i))
                }
            }
            offset += 8
        }
    }

    /// 1 when two strings are equal up to the first NUL (or the smaller capacity), else 0:
    /// unrolled when short, in a `bpf_loop` when long (IRGen+StringSearch.swift).
    func emitStringEquality(_ a: Expr, _ b: Expr) throws -> LLVMValueRef {
        guard case .string(let ca) = a.type, case .string(let cb) = b.type else { throw internalError("string comparison of non-strings") }
        return try emitStringPrefixEquality(a, b, limit: min(ca, cb))
    }
}
