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
        m.callHelper(.forEachMapElem, [map, callbackPointer, LLVMConstNull(m.i8p), m.const64(0)])
    }

    /// `len(@m)`: bpf_for_each_map_elem returns how many elements it visited; the callback
    /// only says "continue".
    func emitMapLength(_ args: [Expr]) throws -> LLVMValueRef {
        guard case .map(let name, _)? = args.first?.kind else { return m.const64(0) }
        let (map, _) = try mapGlobal(name)
        let callback: LLVMValueRef
        if let existing = LLVMGetNamedFunction(m.module, "count_entries") {
            callback = existing
        } else {
            let sp: LLVMMetadataRef
            (callback, sp) = m.addFunction("count_entries", parameters: [m.i8p, m.i8p, m.i8p, m.i8p], line: 1, isCallback: true)
            let saved = LLVMGetInsertBlock(builder)
            let savedLocation = LLVMGetCurrentDebugLocation2(builder)
            LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(m.context, callback, "entry"))
            LLVMSetCurrentDebugLocation2(builder, LLVMDIBuilderCreateDebugLocation(m.context, 1, 1, sp, nil))
            LLVMBuildRet(builder, m.const64(0))
            LLVMPositionBuilderAtEnd(builder, saved)
            LLVMSetCurrentDebugLocation2(builder, savedLocation)
        }
        return m.callHelper(.forEachMapElem, [map, LLVMBuildBitCast(builder, callback, m.i8p, ""),
                                              LLVMConstNull(m.i8p), m.const64(0)])
    }

    private func emitForCallback(_ variable: String, pairType: SType, keyBytes: Int, valueBytes: Int,
                                 body: Block, at range: SourceRange) throws -> LLVMValueRef {
        // The probe function's state is set aside while the callback is emitted.
        let saved = (function, context, entryBlock, exitBlock, scope, variables, loops, temporaries,
                     LLVMGetInsertBlock(builder))
        defer {
            (function, context, entryBlock, exitBlock, scope, variables, loops, temporaries, _) = saved
            LLVMPositionBuilderAtEnd(builder, saved.8)
            setLocation(range)
        }
        forCallbackCount += 1
        let name = "for_each_\(forCallbackCount)"
        let line = program.source.location(of: range.start).line
        let (fn, sp) = m.addFunction(name, parameters: [m.i8p, m.i8p, m.i8p, m.i8p], line: line, isCallback: true)

        function = fn
        scope = sp
        context = nil
        variables = [[:]]
        temporaries = [[]]
        let entry = LLVMAppendBasicBlockInContext(m.context, fn, "entry")!
        let stop = LLVMAppendBasicBlockInContext(m.context, fn, "stop")!
        let next = LLVMAppendBasicBlockInContext(m.context, fn, "next")!
        entryBlock = entry
        exitBlock = stop
        loops = [(stop, next)]
        LLVMPositionBuilderAtEnd(builder, entry)
        setLocation(range)

        // $kv = (key, value), copied out of the map into the tuple layout.
        let offsets = pairType.tupleOffsets
        let kv = allocaInEntry(bytes: max(8, pairType.size), name: "$" + variable)
        if case .tuple(let parts) = pairType {
            copyBytes(kv, LLVMGetParam(fn, 1), min(keyBytes, parts[0].size == 0 ? 8 : (parts[0].size + 7) & ~7),
                      destAlign: 8)
            copyBytes(m.byteOffset(kv, offsets[1]), LLVMGetParam(fn, 2), min(valueBytes, (parts[1].size + 7) & ~7),
                      destAlign: 8)
        }
        variables[0][variable] = (kv, pairType)
        try emitBlock(body)
        branchIfOpen(to: next)
        LLVMPositionBuilderAtEnd(builder, stop)
        LLVMBuildRet(builder, m.const64(1))
        LLVMPositionBuilderAtEnd(builder, next)
        LLVMBuildRet(builder, m.const64(0))
        return fn
    }
}
