import TraceContract
import CLLVM
import ScriptParser

/// Lowering of the functions and builtins in TypeChecker+Functions. Nil/false: not mine.
/// Rendered values (stacks, symbols, buffers, …) are in IRGen+Rendered.swift, string
/// comparisons in IRGen+StringSearch.swift.
extension IRGen {
    /// An integer-valued call or builtin.
    func emitFunctionValue(_ e: Expr) throws -> LLVMValueRef? {
        guard case .function(let function, let args) = e.kind else { return nil }
        switch function {
        case .cgroup:
            return m.callHelper(.getCurrentCgroupID, [], name: "cgroup")
        case .jiffies:
            return m.callHelper(.jiffies64, [], name: "jiffies")
        case .rand:
            return low32(m.callHelper(.getPrandomU32, [], name: "rand"))
        case .numaid:
            return low32(m.callHelper(.getNumaNodeID, [], name: "numaid"))
        case .reg:
            guard case .integer(let offset)? = args.first?.kind else {
                throw CodegenError("internal error: reg() without a literal offset", range: e.range)
            }
            return try loadContext64(at: Int(offset))
        case .strncmp:
            guard args.count == 3, case .integer(let n) = args[2].kind else { return nil }
            let equal = try emitStringPrefixEquality(args[0], args[1], limit: Int(min(n, 1 << 20)))
            return LLVMBuildXor(builder, equal, m.const64(1), "strncmp")
        case .strcontains:
            guard args.count == 2 else { return nil }
            return try emitStringContains(args[0], args[1])
        case .bswap:
            guard let x = args.first else { return nil }
            return emitByteSwap(try emitInt(x), type: e.type)
        default:
            return nil
        }
    }

    /// A string-valued call or builtin written into `dest`.
    func emitFunctionString(_ e: Expr, into dest: LLVMValueRef, capacity: Int) throws -> Bool {
        guard case .function(.path, let args) = e.kind, let p = args.first else { return false }
        let pointer = LLVMBuildIntToPtr(builder, try emitInt(p), m.i8p, "")!
        let written = m.callHelper(.dPath, [pointer, dest, m.const64(capacity)])
        // bpf_d_path leaves the buffer as it was on failure: make that an empty string.
        let failed = appendBlock("path.failed"), done = appendBlock("path.done")
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntSLT, written, m.const64(0), ""), failed, done)
        LLVMPositionBuilderAtEnd(builder, failed)
        LLVMBuildStore(builder, LLVMConstInt(m.i8, 0, 0), dest)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
        return true
    }

    /// A call evaluated for its effect (cat, system, signal, time, …).
    func emitFunctionEffect(_ e: Expr) throws -> Bool {
        guard case .function(let function, let args) = e.kind else { return false }
        switch function {
        case .time:
            guard case .string(let format)? = args.first?.kind else { throw internalError("time() without a literal format") }
            let id = addEvent(.time(format: String(decoding: format, as: UTF8.self)))
            try withRecord(size: 8, eventID: id) { _ in }
        case .cat:
            try emitPrintf(args, as: EventDescriptor.cat)
        case .system:
            try emitPrintf(args, as: EventDescriptor.system)
        case .exit:
            guard let codeExpr = args.first else { throw internalError("\(function.name)() without an argument") }
            let code = try emitInt(codeExpr)
            try withRecord(size: 16, eventID: addEvent(.exit)) { record in m.store64(code, at: record, 8) }
            endActionAfterExit()
        case .unwatch:
            guard let address = args.first else { return false }
            try emitUnwatch(address)
        case .signal:
            guard let signal = args.first else { throw internalError("\(function.name)() without an argument") }
            m.callHelper(.sendSignal, [LLVMBuildTrunc(builder, try emitInt(signal), m.i32, "")])
        case .override:
            guard let rc = args.first else { throw internalError("\(function.name)() without an argument") }
            m.callHelper(.overrideReturn, [try probeContext(), try emitInt(rc)])
        default:
            return false
        }
        return true
    }

    /// The low 32 bits of a helper's u32 result, zero-extended.
    func low32(_ v: LLVMValueRef) -> LLVMValueRef {
        LLVMBuildAnd(builder, v, m.const64(0xffff_ffff as UInt64), "")
    }

    /// `bswap(x)`: `llvm.bswap` at the width of `x`'s type (BPF's `be`/`le` instructions).
    func emitByteSwap(_ v: LLVMValueRef, type: SType) -> LLVMValueRef {
        guard case .integer(let bits, let signed) = type, bits >= 16 else { return v }
        let narrowType = LLVMIntTypeInContext(m.context, UInt32(bits))!
        let narrow = bits == 64 ? v : LLVMBuildTrunc(builder, v, narrowType, "")!
        let name = "llvm.bswap.i\(bits)"
        var params: [LLVMTypeRef?] = [narrowType]
        let fnType = params.withUnsafeMutableBufferPointer { LLVMFunctionType(narrowType, $0.baseAddress, 1, 0) }!
        let fn = LLVMGetNamedFunction(m.module, name) ?? LLVMAddFunction(m.module, name, fnType)
        var args: [LLVMValueRef?] = [narrow]
        let swapped = args.withUnsafeMutableBufferPointer { LLVMBuildCall2(builder, fnType, fn, $0.baseAddress, 1, "bswap")! }
        if bits == 64 { return swapped }
        return signed ? LLVMBuildSExt(builder, swapped, m.i64, "") : LLVMBuildZExt(builder, swapped, m.i64, "")
    }
}
