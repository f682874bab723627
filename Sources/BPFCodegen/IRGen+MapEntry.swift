import CLLVM
import ScriptParser

/// The shared path that creates a map entry: one BPF subprogram per object, called from every
/// map update whose key is missing, instead of a copy of its update, second lookup and loss
/// count at each use (the bulk of a map-heavy probe). The lookup of an existing key stays
/// inline, so the per-event cost of updating a known key is unchanged. The verifier checks
/// the subprogram at each call with the caller's map and key, as if it were inline.
extension IRGen {
    /// `map_entry(map, key, initial)`: the entry's address, creating it from `initial` when
    /// missing; 0 when the map is full (the dropped update is counted).
    /// `aggregation_entry(map, key)`: the same, created from the zero map's value (looked up
    /// only when an entry is created, not at each update).
    func mapEntryFunction(aggregation: Bool) -> (function: LLVMValueRef, type: LLVMTypeRef)? {
        let name = aggregation ? "aggregation_entry" : "map_entry"
        if let fn = LLVMGetNamedFunction(m.module, name) {
            return (fn, LLVMGlobalGetValueType(fn))
        }
        let range = frame.location ?? program.probes.first?.range ?? SourceRange(0, 0)
        let parameters = aggregation ? [m.i8p, m.i8p] : [m.i8p, m.i8p, m.i8p]
        let state = newFunction(name, parameters: parameters, at: range, isCallback: true, exitName: nil)
        guard let fn = state.function else { return nil }
        let noinline = LLVMCreateEnumAttribute(m.context, LLVMGetEnumAttributeKindForName("noinline", 8), 0)
        LLVMAddAttributeAtIndex(fn, UInt32.max /* function index */, noinline)
        emitFunction(state, at: range) {
            setSharedLocation()
            let map = LLVMGetParam(fn, 0)!, key = LLVMGetParam(fn, 1)!
            let found = lookup(map, key)
            let present = appendBlock("present"), missing = appendBlock("missing")
            LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, found, ""), missing, present)
            LLVMPositionBuilderAtEnd(builder, present)
            LLVMBuildRet(builder, LLVMBuildPtrToInt(builder, found, m.i64, ""))

            LLVMPositionBuilderAtEnd(builder, missing)
            let initial: LLVMValueRef
            if aggregation, let zeroMap {
                initial = lookup(LLVMBuildBitCast(builder, zeroMap, m.i8p, ""), allocaInEntry(bytes: 8))
                let haveZero = appendBlock("zero")
                let noZero = appendBlock("no.zero")
                LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, initial, ""), noZero, haveZero)
                LLVMPositionBuilderAtEnd(builder, noZero)
                LLVMBuildRet(builder, m.const64(0))
                LLVMPositionBuilderAtEnd(builder, haveZero)
            } else {
                initial = LLVMGetParam(fn, 2)
            }
            m.callHelper(.mapUpdateElem, [map, key, initial, m.const64(1) /* BPF_NOEXIST */])
            let created = lookup(map, key)
            let full = appendBlock("full"), done = appendBlock("created")
            LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, created, ""), full, done)
            LLVMPositionBuilderAtEnd(builder, full)
            bumpLossCounter(slot: 1)
            LLVMBuildRet(builder, m.const64(0))
            LLVMPositionBuilderAtEnd(builder, done)
            LLVMBuildRet(builder, LLVMBuildPtrToInt(builder, created, m.i64, ""))
        }
        return (fn, LLVMGlobalGetValueType(fn))
    }

    /// The entry of `key` in `map` through the shared subprogram: an `i8*`, null when full.
    /// `initial` nil: an aggregation's entry, created zeroed.
    func mapEntry(_ map: LLVMValueRef, _ key: LLVMValueRef, initial: LLVMValueRef?) -> LLVMValueRef? {
        guard initial != nil || zeroMap != nil,
              let (fn, type) = mapEntryFunction(aggregation: initial == nil) else { return nil }
        var args: [LLVMValueRef?] = [LLVMBuildBitCast(builder, map, m.i8p, ""), key]
        if let initial { args.append(LLVMBuildBitCast(builder, initial, m.i8p, "")) }
        let address = args.withUnsafeMutableBufferPointer {
            LLVMBuildCall2(builder, type, fn, $0.baseAddress, UInt32($0.count), "entry")!
        }
        return LLVMBuildIntToPtr(builder, address, m.i8p, "")
    }

    /// `hist()`'s bucket of `v` through one shared subprogram (`hist_bucket`): the ~40
    /// instructions of the log2 are emitted once per object, not at every `hist()`.
    func sharedHistBucket(_ v: LLVMValueRef) -> LLVMValueRef? {
        let name = "hist_bucket"
        var fn = LLVMGetNamedFunction(m.module, name)
        if fn == nil {
            let range = frame.location ?? program.probes.first?.range ?? SourceRange(0, 0)
            let state = newFunction(name, parameters: [m.i64], at: range, isCallback: true, exitName: nil)
            guard let created = state.function else { return nil }
            let noinline = LLVMCreateEnumAttribute(m.context, LLVMGetEnumAttributeKindForName("noinline", 8), 0)
            LLVMAddAttributeAtIndex(created, UInt32.max /* function index */, noinline)
            emitFunction(state, at: range) {
                setSharedLocation()
                LLVMBuildRet(builder, histBucket(LLVMGetParam(created, 0)))
            }
            fn = created
        }
        guard let fn else { return nil }
        var args: [LLVMValueRef?] = [v]
        return args.withUnsafeMutableBufferPointer {
            LLVMBuildCall2(builder, LLVMGlobalGetValueType(fn), fn, $0.baseAddress, 1, "bucket")
        }
    }

    /// The entry of `key`: looked up inline, created through the shared subprogram when it is
    /// missing. Null when the map is full; nil when the subprogram could not be made.
    func entryCreatingShared(_ map: LLVMValueRef, _ key: LLVMValueRef, initial: LLVMValueRef?) -> LLVMValueRef? {
        guard initial != nil || zeroMap != nil, mapEntryFunction(aggregation: initial == nil) != nil else { return nil }
        let found = lookup(LLVMBuildBitCast(builder, map, m.i8p, ""), key)
        let lookedUp = LLVMGetInsertBlock(builder)
        let create = appendBlock("map.create"), join = appendBlock("map.entry")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, found, ""), create, join)
        LLVMPositionBuilderAtEnd(builder, create)
        guard let created = mapEntry(map, key, initial: initial) else { return nil }
        let createdIn = LLVMGetInsertBlock(builder)
        LLVMBuildBr(builder, join)
        LLVMPositionBuilderAtEnd(builder, join)
        let entry = LLVMBuildPhi(builder, m.i8p, "entry")!
        var values: [LLVMValueRef?] = [found, created]
        var blocks: [LLVMBasicBlockRef?] = [lookedUp, createdIn]
        values.withUnsafeMutableBufferPointer { v in
            blocks.withUnsafeMutableBufferPointer { b in LLVMAddIncoming(entry, v.baseAddress, b.baseAddress, 2) }
        }
        return entry
    }
}
