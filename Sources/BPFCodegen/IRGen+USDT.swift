import TraceContract
import CLLVM
import ScriptParser

/// The BPF half of libbpf's USDT support, emitted as IR (libbpf's own half is C in
/// `bpf/usdt.bpf.h`, which we cannot include without clang).
///
/// `bpf_program__attach_usdt` parses the note of every site, stores one `struct __bpf_usdt_spec`
/// per distinct argument layout in the `__bpf_usdt_specs` array, and attaches a uprobe per site
/// whose BPF cookie is that spec's id. It refuses an object without both maps below. At run
/// time the program reads the spec back through the cookie and fetches each argument from a
/// register, a constant, or memory a register points to. (The second map serves kernels without
/// BPF cookies, which predate the ring buffer we need anyway; it is defined but never read.)
extension IRGen {
    /// libbpf's names and `usdt.bpf.h`'s sizes; must match the libbpf we link (1.x).
    enum USDTSpec {
        static let specsMap = "__bpf_usdt_specs"
        static let ipToSpecIDMap = "__bpf_usdt_ip_to_spec_id"
        static let maxSpecs = 256
        /// `struct __bpf_usdt_arg_spec { u64 val_off; enum arg_type; short reg_off; bool arg_signed; char arg_bitshift; }`.
        static let argumentSpecSize = 16
        static let maxArguments = 12
        /// `u64 usdt_cookie` after the 12 argument specs, then `short arg_cnt`; padded to 8.
        static let cookieOffset = 192
        static let argumentCountOffset = 200
        static let size = 208
        /// `enum __bpf_usdt_arg_type`.
        static let constant: UInt64 = 0, register: UInt64 = 1, registerDeref: UInt64 = 2
    }

    /// Defines the two maps libbpf's USDT attach looks for, once per object.
    func defineUSDTMaps() {
        if LLVMGetNamedGlobal(m.module, USDTSpec.specsMap) != nil { return }
        _ = m.define(MapDefinition(name: USDTSpec.specsMap, type: .array, maxEntries: USDTSpec.maxSpecs,
                                   keySize: 4, valueSize: USDTSpec.size))
        _ = m.define(MapDefinition(name: USDTSpec.ipToSpecIDMap, type: .hash, maxEntries: 4 * USDTSpec.maxSpecs,
                                   keySize: 8, valueSize: 4))
    }

    /// The spec of the site that fired (an `i8*`), or null when libbpf stored none.
    private func emitUSDTSpecPointer() throws -> LLVMValueRef {
        defineUSDTMaps()
        guard let map = LLVMGetNamedGlobal(m.module, USDTSpec.specsMap) else {
            throw internalError("no \(USDTSpec.specsMap) map")
        }
        let cookie = m.callHelper(.getAttachCookie, [try probeContext()], name: "spec_id")
        let key = allocaInEntry(bytes: 8)
        LLVMBuildStore(builder, LLVMBuildTrunc(builder, cookie, m.i32, ""), LLVMBuildBitCast(builder, key, LLVMPointerType(m.i32, 0), ""))
        return m.callHelper(.mapLookupElem, returns: m.i8p, [LLVMBuildBitCast(builder, map, m.i8p, ""), key], name: "spec")
    }

    /// The `usdt_cookie` libbpf copied into the spec (our attach-point cookie); 0 without a spec.
    func emitUSDTCookie() throws -> LLVMValueRef {
        let spec = try emitUSDTSpecPointer()
        return withSpec(spec, orElse: 0) { spec in
            load(m.i64, spec, USDTSpec.cookieOffset)
        }
    }

    /// USDT argument `n` widened to 64 bits by the spec's sign, as `bpf_usdt_arg()` does;
    /// 0 when the site has fewer arguments or a read fails.
    func emitUSDTArgument(_ n: Int) throws -> LLVMValueRef {
        let spec = try emitUSDTSpecPointer()
        let context = try probeContext()
        guard n < USDTSpec.maxArguments else { return m.const64(0) }
        return withSpec(spec, orElse: 0) { spec in
            let count = LLVMBuildSExt(builder, load(m.i16, spec, USDTSpec.argumentCountOffset), m.i64, "")!
            let result = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), m.i64p, "")!
            let present = appendBlock("usdt.present"), done = appendBlock("usdt.done")
            LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntSLT, m.const64(n), count, ""), present, done)

            LLVMPositionBuilderAtEnd(builder, present)
            let arg = n * USDTSpec.argumentSpecSize
            let valueOffset = load(m.i64, spec, arg)
            let kind = LLVMBuildZExt(builder, load(m.i32, spec, arg + 8), m.i64, "")!
            let registerOffset = LLVMBuildSExt(builder, load(m.i16, spec, arg + 12), m.i64, "")!
            let signed = load(m.i8, spec, arg + 14)
            let shift = LLVMBuildZExt(builder, load(m.i8, spec, arg + 15), m.i64, "")!
            let scratch = allocaInEntry(bytes: 8)
            let scratch64 = LLVMBuildBitCast(builder, scratch, m.i64p, "")!

            // The register's contents: pt_regs is the context; the offset is only known at run
            // time, so it is read with a helper rather than a context load.
            let register = appendBlock("usdt.reg"), constant = appendBlock("usdt.const")
            let deref = appendBlock("usdt.deref"), widen = appendBlock("usdt.widen")
            let isConstant = LLVMBuildICmp(builder, LLVMIntEQ, kind, m.const64(USDTSpec.constant), "")
            LLVMBuildCondBr(builder, isConstant, constant, register)

            LLVMPositionBuilderAtEnd(builder, constant)
            LLVMBuildStore(builder, valueOffset, scratch64)
            LLVMBuildBr(builder, widen)

            LLVMPositionBuilderAtEnd(builder, register)
            m.callHelper(.probeReadKernel, [scratch, m.const64(8), m.byteOffset(context, registerOffset)])
            let isDeref = LLVMBuildICmp(builder, LLVMIntEQ, kind, m.const64(USDTSpec.registerDeref), "")
            LLVMBuildCondBr(builder, isDeref, deref, widen)

            // Memory a register points to, plus the spec's offset: user memory of the process.
            LLVMPositionBuilderAtEnd(builder, deref)
            let address = LLVMBuildAdd(builder, LLVMBuildLoad2(builder, m.i64, scratch64, ""), valueOffset, "")!
            m.callHelper(.probeReadUser, [scratch, m.const64(8), LLVMBuildIntToPtr(builder, address, m.i8p, "")])
            LLVMBuildBr(builder, widen)

            // Keep the argument's own bytes and extend them by its sign.
            LLVMPositionBuilderAtEnd(builder, widen)
            let raw = LLVMBuildShl(builder, LLVMBuildLoad2(builder, m.i64, scratch64, ""), shift, "")!
            let value = LLVMBuildSelect(builder, LLVMBuildICmp(builder, LLVMIntNE, signed, LLVMConstInt(m.i8, 0, 0), ""),
                                        LLVMBuildAShr(builder, raw, shift, ""), LLVMBuildLShr(builder, raw, shift, ""), "")!
            LLVMBuildStore(builder, value, result)
            LLVMBuildBr(builder, done)

            LLVMPositionBuilderAtEnd(builder, done)
            return LLVMBuildLoad2(builder, m.i64, result, "usdt_arg")
        }
    }

    /// Runs `body` with a non-null spec; the value is `fallback` when the spec is null.
    private func withSpec(_ spec: LLVMValueRef, orElse fallback: UInt64,
                          _ body: (LLVMValueRef) -> LLVMValueRef) -> LLVMValueRef {
        let slot = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), m.i64p, "")!
        LLVMBuildStore(builder, m.const64(fallback), slot)
        let have = appendBlock("usdt.spec"), done = appendBlock("usdt.nospec")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, spec, ""), done, have)
        LLVMPositionBuilderAtEnd(builder, have)
        LLVMBuildStore(builder, body(spec), slot)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
        return LLVMBuildLoad2(builder, m.i64, slot, "")
    }

    private func load(_ type: LLVMTypeRef, _ base: LLVMValueRef, _ offset: Int) -> LLVMValueRef {
        let p = LLVMBuildBitCast(builder, m.byteOffset(base, offset), LLVMPointerType(type, 0), "")
        return LLVMBuildLoad2(builder, type, p, "")
    }
}
