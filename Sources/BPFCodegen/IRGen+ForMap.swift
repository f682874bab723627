import TraceContract
import CLLVM
import ScriptParser

/// `for ($kv : @m) { … }` through `bpf_for_each_map_elem`: the body becomes a callback
/// subprogram `long cb(map, key, value, ctx)`; returning 1 stops the walk (`break`).
extension IRGen {
    func emitForMap(_ stmt: Stmt, _ variable: String, _ mapExpr: Expr, _ body: Block) throws {
        guard case .map(let name, _) = mapExpr.kind, case .tuple(let parts) = mapExpr.type, parts.count == 2 else {
            throw CodegenError("internal error: untyped for loop", range: stmt.range)
        }
        let (map, d) = try mapGlobal(name)
        let callback = try emitForCallback(variable, pairType: mapExpr.type, keyBytes: d.keySize,
                                           valueBytes: d.valueSize, body: body, at: stmt.range)
        let callbackPointer = LLVMBuildBitCast(builder, callback, m.i8p, "")!
        m.callHelper(.forEachMapElem, [map, callbackPointer, callbackOutputContext(), m.const64(0)])
    }

    /// `len(@m)`: bpf_for_each_map_elem returns how many elements it visited; the callback
    /// only says "continue".
    func emitMapLength(_ args: [Expr]) throws -> LLVMValueRef {
        guard case .map(let name, _)? = args.first?.kind else { throw internalError("len() without a map") }
        let (map, _) = try mapGlobal(name)
        let callback: LLVMValueRef
        if let existing = LLVMGetNamedFunction(m.module, "count_entries") {
            callback = existing
        } else {
            let state = newFunction("count_entries", parameters: [m.i8p, m.i8p, m.i8p, m.i8p],
                                    at: args[0].range, isCallback: true, exitName: nil)
            emitFunction(state, at: args[0].range) { _ = LLVMBuildRet(builder, m.const64(0)) }
            guard let fn = state.function else { throw CodegenError("internal error: no count_entries function") }
            callback = fn
        }
        return m.callHelper(.forEachMapElem, [map, LLVMBuildBitCast(builder, callback, m.i8p, ""),
                                              LLVMConstNull(m.i8p), m.const64(0)])
    }

    private func emitForCallback(_ variable: String, pairType: SType, keyBytes: Int, valueBytes: Int,
                                 body: Block, at range: SourceRange) throws -> LLVMValueRef {
        forCallbackCount += 1
        let state = newFunction("for_each_\(forCallbackCount)", parameters: [m.i8p, m.i8p, m.i8p, m.i8p],
                                at: range, isCallback: true, exitName: "stop")
        guard let fn = state.function, let stop = state.exitBlock else {
            throw CodegenError("internal error: no callback function", range: range)
        }
        // The probe function's state is set aside while the callback is emitted.
        try emitFunction(state, at: range) {
            let next = appendBlock("next")
            frame.loops = [(stop, next)]
            receiveOutputContext(LLVMGetParam(fn, 3))
            try emitForBody(variable, pairType: pairType, keyBytes: keyBytes, valueBytes: valueBytes,
                            key: LLVMGetParam(fn, 1), value: LLVMGetParam(fn, 2), body: body)
            branchIfOpen(to: next)
            LLVMPositionBuilderAtEnd(builder, stop)
            LLVMBuildRet(builder, m.const64(1))
            LLVMPositionBuilderAtEnd(builder, next)
            LLVMBuildRet(builder, m.const64(0))
        }
        return fn
    }

    /// `$kv = (key, value)`, copied out of the map into the tuple layout, then the body.
    private func emitForBody(_ variable: String, pairType: SType, keyBytes: Int, valueBytes: Int,
                             key: LLVMValueRef, value: LLVMValueRef, body: Block) throws {
        // $kv = (key, value), copied out of the map into the tuple layout.
        let offsets = pairType.tupleOffsets
        let kv = allocaInEntry(bytes: max(8, pairType.size), name: "$" + variable)
        if case .tuple(let parts) = pairType {
            copyBytes(kv, key, min(keyBytes, parts[0].size == 0 ? 8 : (parts[0].size + 7) & ~7),
                      destAlign: 8)
            copyBytes(m.byteOffset(kv, offsets[1]), value, min(valueBytes, (parts[1].size + 7) & ~7),
                      destAlign: 8)
        }
        frame.variables[0][variable] = (kv, pairType)
        try emitBlock(body)
    }
}
