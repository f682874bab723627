import TraceContract
import CLLVM
import ScriptParser

/// Rendered values (ScriptParser's Rendering.swift): the raw data each one needs, written into
/// its destination in the layout the runtime's `ValueRenderer` reads.
extension IRGen {
    func emitRendered(_ e: Expr, into dest: LLVMValueRef) throws {
        guard case .rendered(let rendering) = e.type else {
            throw CodegenError("internal error: not a rendered value", range: e.range)
        }
        if case .memoryCopy(let layout) = rendering {
            try emitMemoryCopy(e, layout, into: dest)
            return
        }
        switch e.kind {
        case .variable, .map, .tupleElement:
            let (pointer, offset) = try valueAddress(e)
            copyBytes(dest, m.byteOffset(pointer, offset), e.type.size, destAlign: 8, sourceAlign: 8)
            return
        case .function(_, let args):
            try emitRenderedCall(rendering, args, e, into: dest)
        default:
            throw CodegenError("internal error: this expression has no rendered lowering", range: e.range)
        }
    }

    private func emitRenderedCall(_ rendering: Rendering, _ args: [Expr], _ e: Expr, into dest: LLVMValueRef) throws {
        switch rendering {
        case .stack(let stack):
            try emitStack(stack, e, into: dest)
        case .kernelSymbol, .timestamp, .errorText, .signalName, .cgroupPath:
            guard let value = args.last else { throw internalError("\(rendering) with the wrong arguments") }
            m.store64(try emitInt(value), at: dest, 0)
        case .userSymbol:
            guard let address = args.first else { throw internalError("\(rendering) with the wrong arguments") }
            m.store64(try emitInt(address), at: dest, 0)
            m.store64(currentProcessID(), at: dest, 8)
        case .username:
            m.store64(low32(m.callHelper(.getCurrentUidGid, [])), at: dest, 0)
        case .buffer(let capacity):
            guard args.count == 2 else { throw internalError("\(rendering) with the wrong arguments") }
            try emitBuffer(args[0], length: args[1], capacity: capacity, into: dest, at: e.range)
        case .inetAddress:
            guard args.count == 2 else { throw internalError("\(rendering) with the wrong arguments") }
            m.store64(try emitInt(args[0]), at: dest, 0)
            let address = args[1]
            if address.type.isInteger || address.type.isPointer {
                // IPv4 as an integer: its four bytes in memory order are the address.
                LLVMBuildStore(builder, LLVMBuildTrunc(builder, try emitInt(address), m.i32, ""),
                               LLVMBuildBitCast(builder, m.byteOffset(dest, 8), LLVMPointerType(m.i32, 0), ""))
            } else {
                try emitBytes(address, count: min(16, address.type.size), into: m.byteOffset(dest, 8))
            }
        case .macAddress:
            guard let address = args.first else { throw internalError("\(rendering) with the wrong arguments") }
            if address.type.isPointer || address.type.isInteger {
                let pointer = LLVMBuildIntToPtr(builder, try emitInt(address), m.i8p, "")!
                try probeRead(memoryReadHelper(for: address.type),
                              into: dest, size: m.const64(6), from: pointer, at: e.range)
            } else {
                try emitBytes(address, count: 6, into: dest)
            }
        case .byteArray:
            guard case .string(let bytes)? = args.first?.kind else { throw internalError("\(rendering) with the wrong arguments") }
            storeLiteral(bytes, into: dest)
        case .memoryCopy:
            throw internalError("a struct copy is not a call")
        }
    }

    /// The current process (thread group) id.
    func currentProcessID() -> LLVMValueRef {
        LLVMBuildLShr(builder, m.callHelper(.getCurrentPidTgid, []), m.const64(32), "pid")!
    }

    /// `count` raw bytes of an array-like value: a tracepoint array field (read from the
    /// record), an array member of a kernel struct (read where it lies), `pton()`'s constant
    /// bytes, or a string value (its buffer, NUL bytes included).
    func emitBytes(_ e: Expr, count: Int, into dest: LLVMValueRef) throws {
        switch e.kind {
        case .tracepointField(let f):
            let context = try probeContext()
            m.callHelper(.probeReadKernel, [dest, m.const64(min(count, f.size)), m.byteOffset(context, f.offset)])
        case .string(let bytes):
            // Past its end a literal reads as zeroes: buf("ok_key", 8) is "ok_key\0\0".
            let prefix = Array(bytes.prefix(count))
            storeLiteral(prefix + [UInt8](repeating: 0, count: count - prefix.count), into: dest)
        case .recordField, .index where e.memberLayout != nil:
            let path = try fieldPath(e)
            let source = address(of: path, from: try rootPointer(of: path))
            m.callHelper(readHelper(path), [dest, m.const64(min(count, e.type.size)), source])
        default:
            switch e.type {
            case .rendered:
                let buffer = allocaInEntry(bytes: e.type.size)
                try emitValue(e, into: buffer)
                copyBytes(dest, buffer, min(count, e.type.size))
            case .string(let capacity):
                let buffer = allocaInEntry(bytes: capacity)
                try emitString(e, into: buffer, capacity: capacity)
                copyBytes(dest, buffer, min(count, capacity))
            default:
                throw CodegenError("internal error: the bytes of this expression cannot be read", range: e.range)
            }
        }
    }

    /// `buf(source, length)`: `[length][bytes]`. A pointer is read for `min(length, capacity)`
    /// bytes (the clamp is what lets the verifier bound a computed length); arrays and strings
    /// are copied as they are.
    private func emitBuffer(_ source: Expr, length: Expr, capacity: Int, into dest: LLVMValueRef,
                            at range: SourceRange) throws {
        let data = m.byteOffset(dest, 8)
        guard source.type.isInteger || source.type.isPointer else {
            try emitBytes(source, count: capacity, into: data)
            m.store64(m.const64(capacity), at: dest, 0)
            return
        }
        let pointer = LLVMBuildIntToPtr(builder, try emitInt(source), m.i8p, "")!
        let size: LLVMValueRef
        if case .integer(let n) = length.kind {
            size = m.const64(Int(min(n, UInt64(capacity))))
        } else {
            let requested = try emitInt(length)
            let tooLong = LLVMBuildICmp(builder, LLVMIntUGT, requested, m.const64(capacity), "")
            size = LLVMBuildSelect(builder, tooLong, m.const64(capacity), requested, "buf.len")
        }
        try probeRead(memoryReadHelper(for: source.type),
                      into: data, size: size, from: pointer, at: range)
        m.store64(size, at: dest, 0)
    }
}
