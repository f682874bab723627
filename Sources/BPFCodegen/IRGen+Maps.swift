import TraceContract
import CLLVM
import ScriptParser

/// Script maps: definitions, keys, plain values, aggregations, and whole-map functions.
/// Aggregations update this CPU's slot of a per-CPU hash without atomics; user space combines.
extension IRGen {
    func defineScriptMaps() {
        var largestAggregation = 0
        for (i, info) in program.maps.enumerated() {
            let layout = MapDescriptor.layout(for: info)
            let elfName = "m\(i)"
            var descriptor = MapDescriptor(elfName: elfName, info: info, keySlots: layout.keySlots,
                                           keySize: layout.keySize, valueSize: layout.valueSize, perCPU: layout.perCPU)
            descriptor.keyExpressions = info.keyRanges.map { program.source.text(of: $0) }
            descriptor.keyNames = info.keyNames
            descriptor.sourceLine = program.source.location(of: info.firstUse.start).line
            let type: BPFMapType = descriptor.isArray ? .perCPUArray : (layout.perCPU ? .perCPUHash : .hash)
            let global = m.define(MapDefinition(name: elfName, type: type,
                                                maxEntries: descriptor.isArray ? 1 : program.settings.maxMapKeys,
                                                keySize: layout.keySize, valueSize: layout.valueSize))
            scriptMaps[info.name] = (global, i)
            manifest.maps.append(descriptor)
            if layout.perCPU { largestAggregation = max(largestAggregation, layout.valueSize) }
        }
        if largestAggregation > 0 {
            zeroMap = m.define(MapDefinition(name: "zeroes", type: .perCPUArray, maxEntries: 1,
                                             keySize: 4, valueSize: largestAggregation))
        }
    }

    func mapGlobal(_ name: String) throws -> (LLVMValueRef, MapDescriptor) {
        guard let entry = scriptMaps[name] else { throw CodegenError("internal error: map @\(name) was not declared") }
        return (LLVMBuildBitCast(builder, entry.global, m.i8p, ""), manifest.maps[entry.index])
    }

    /// A zeroed stack buffer holding the key, each part at its slot.
    func emitMapKey(_ d: MapDescriptor, _ keys: [Expr]) throws -> LLVMValueRef {
        let key = allocaInEntry(bytes: d.keySize)
        for (k, slot) in zip(keys, d.keySlots) {
            if case .string(let cap) = slot.kind {
                try emitString(k, into: m.byteOffset(key, slot.offset), capacity: cap)
            } else if k.type.isTuple || k.type.isRendered {
                try emitValue(k, into: m.byteOffset(key, slot.offset))
            } else {
                m.store64(try emitInt(k), at: key, slot.offset)
            }
        }
        return key
    }

    func lookup(_ map: LLVMValueRef, _ key: LLVMValueRef) -> LLVMValueRef {
        m.callHelper(.mapLookupElem, returns: m.i8p, [map, key])
    }

    /// Runs `body` with a pointer to the entry, creating it from `initial` when missing.
    /// A full map skips `body` and counts the dropped update.
    func withEntry(_ map: LLVMValueRef, _ key: LLVMValueRef, initial: LLVMValueRef,
                   _ body: (LLVMValueRef) throws -> Void) rethrows {
        // The shared subprogram (IRGen+MapEntry); the inline path below only if it is missing.
        if let entry = entryCreatingShared(map, key, initial: initial) {
            let present = appendBlock("map.present"), done = appendBlock("map.done")
            LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, entry, ""), done, present)
            LLVMPositionBuilderAtEnd(builder, present)
            try body(entry)
            LLVMBuildBr(builder, done)
            LLVMPositionBuilderAtEnd(builder, done)
            return
        }
        let found = lookup(map, key)
        let missing = appendBlock("map.missing"), present = appendBlock("map.present"), done = appendBlock("map.done")
        let slot = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), LLVMPointerType(m.i8p, 0), "")!
        LLVMBuildStore(builder, found, slot)
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, found, ""), missing, present)

        LLVMPositionBuilderAtEnd(builder, missing)
        m.callHelper(.mapUpdateElem, [map, key, initial, m.const64(1) /* BPF_NOEXIST */])
        let created = lookup(map, key)
        let full = appendBlock("map.full"), retry = appendBlock("map.created")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, created, ""), full, retry)
        LLVMPositionBuilderAtEnd(builder, full)
        bumpLossCounter(slot: 1)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, retry)
        LLVMBuildStore(builder, created, slot)
        LLVMBuildBr(builder, present)

        LLVMPositionBuilderAtEnd(builder, present)
        try body(LLVMBuildLoad2(builder, m.i8p, slot, "entry"))
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
    }

    func load64(_ p: LLVMValueRef, _ offset: Int) -> LLVMValueRef {
        LLVMBuildLoad2(builder, m.i64, LLVMBuildBitCast(builder, m.byteOffset(p, offset), m.i64p, ""), "")
    }

    func emitMapAssignment(_ name: String, _ keys: [Expr], _ op: BinaryOp?, _ value: Expr) throws {
        let (map, d) = try mapGlobal(name)
        if case .function(let fn, let args) = value.kind, fn.isAggregation, d.info.value.isAggregation {
            try emitAggregation(map, d, keys, args)
            return
        }
        let key = try emitMapKey(d, keys)
        if let op {
            let v = try emitInt(value)
            let signed = d.info.value == .plain(.int64)
            try emitReadModifyWrite(map, key) { old in
                applyIntegerOp(op, old, v, signed: signed && value.type.isSigned, leftSigned: signed)
            }
            return
        }
        let buffer = allocaInEntry(bytes: d.valueSize)
        if case .plain(.string(let cap)) = d.info.value {
            try emitString(value, into: buffer, capacity: cap)
        } else if value.type.isTuple || value.type.isRendered {
            try emitValue(value, into: buffer)
        } else {
            m.store64(try emitInt(value), at: buffer, 0)
        }
        let rc = m.callHelper(.mapUpdateElem, [map, key, buffer, m.const64(0) /* BPF_ANY */])
        let full = appendBlock("update.full"), done = appendBlock("update.done")
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntNE, rc, m.const64(0), ""), full, done)
        LLVMPositionBuilderAtEnd(builder, full)
        bumpLossCounter(slot: 1)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
    }

    /// `@m[k] op= v` and `++`/`--` on plain integer maps; returns (old, new).
    @discardableResult
    func emitReadModifyWrite(_ map: LLVMValueRef, _ key: LLVMValueRef,
                             _ update: (LLVMValueRef) -> LLVMValueRef) throws -> (LLVMValueRef, LLVMValueRef) {
        let initial = allocaInEntry(bytes: 8)
        let oldSlot = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), m.i64p, "")!
        let newSlot = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), m.i64p, "")!
        withEntry(map, key, initial: initial) { entry in
            let old = load64(entry, 0)
            let new = update(old)
            LLVMBuildStore(builder, old, oldSlot)
            LLVMBuildStore(builder, new, newSlot)
            m.store64(new, at: entry, 0)
        }
        return (LLVMBuildLoad2(builder, m.i64, oldSlot, "")!, LLVMBuildLoad2(builder, m.i64, newSlot, "")!)
    }

    func emitIncrement(_ target: Expr, increment: Bool, prefix: Bool, step: Int) throws -> LLVMValueRef {
        let delta = m.const64(step)
        switch target.kind {
        case .variable(let name):
            guard let v = lookupVariable(name) else { throw CodegenError("internal error: unknown variable $\(name)", range: target.range) }
            let p = LLVMBuildBitCast(builder, v.storage, m.i64p, "")!
            let old = LLVMBuildLoad2(builder, m.i64, p, "")!
            let new = increment ? LLVMBuildAdd(builder, old, delta, "")! : LLVMBuildSub(builder, old, delta, "")!
            LLVMBuildStore(builder, new, p)
            return prefix ? new : old
        case .map(let name, let keys):
            let (map, d) = try mapGlobal(name)
            let key = try emitMapKey(d, keys)
            let (old, new) = try emitReadModifyWrite(map, key) { old in
                increment ? LLVMBuildAdd(builder, old, delta, "")! : LLVMBuildSub(builder, old, delta, "")!
            }
            return prefix ? new : old
        default:
            throw CodegenError("internal error: ++ and -- apply to variables and maps only", range: target.range)
        }
    }

    /// The value of a plain integer map entry, 0 when absent.
    func emitMapRead(_ name: String, _ keys: [Expr], at range: SourceRange? = nil) throws -> LLVMValueRef {
        let (map, d) = try mapGlobal(name)
        let key = try emitMapKey(d, keys)
        let p = lookup(map, key)
        if let range { try reportMissingEntry(p, at: range) }
        let result = LLVMBuildBitCast(builder, allocaInEntry(bytes: 8), m.i64p, "")!
        let present = appendBlock("read.present"), done = appendBlock("read.done")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, p, ""), done, present)
        LLVMPositionBuilderAtEnd(builder, present)
        LLVMBuildStore(builder, load64(p, 0), result)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
        return LLVMBuildLoad2(builder, m.i64, result, "")
    }

    /// A plain string map entry copied into `dest`; empty when absent.
    func emitMapReadString(_ name: String, _ keys: [Expr], into dest: LLVMValueRef, capacity: Int) throws {
        let (map, d) = try mapGlobal(name)
        let key = try emitMapKey(d, keys)
        let p = lookup(map, key)
        let present = appendBlock("sread.present"), absent = appendBlock("sread.absent"), done = appendBlock("sread.done")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, p, ""), absent, present)
        LLVMPositionBuilderAtEnd(builder, present)
        copyBytes(dest, p, min(capacity, d.valueSize), sourceAlign: 8)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, absent)
        LLVMBuildStore(builder, LLVMConstInt(m.i8, 0, 0), dest)
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
    }

    func emitHasKey(_ args: [Expr]) throws -> LLVMValueRef {
        guard case .map(let name, _)? = args.first?.kind else { throw internalError("has_key() without a map") }
        let (map, d) = try mapGlobal(name)
        let key = try emitMapKey(d, Array(args.dropFirst()))
        let p = lookup(map, key)
        return LLVMBuildZExt(builder, LLVMBuildIsNotNull(builder, p, ""), m.i64, "")
    }

    func emitAggregation(_ map: LLVMValueRef, _ d: MapDescriptor, _ keys: [Expr], _ args: [Expr]) throws {
        let value = try args.first.map { try emitInt($0) } ?? m.const64(1)
        let key = try emitMapKey(d, keys)
        // Updates the entry when there is one (a full map leaves none: the drop is counted).
        func update(_ entry: LLVMValueRef) throws {
            let present = appendBlock("agg.present"), done = appendBlock("agg.done")
            LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, entry, ""), done, present)
            LLVMPositionBuilderAtEnd(builder, present)
            try updateAggregate(entry, d.info.value, value)
            LLVMBuildBr(builder, done)
            LLVMPositionBuilderAtEnd(builder, done)
        }
        if d.isArray {
            // Slot 0 always exists: no creation path, no zero buffer.
            return try update(lookup(map, key))
        }
        guard let zeroMap else { throw CodegenError("internal error: no zero buffer for aggregations") }
        // The shared subprogram creates the entry from the zero map itself (IRGen+MapEntry).
        if let entry = entryCreatingShared(map, key, initial: nil) {
            return try update(entry)
        }
        let zero = lookup(LLVMBuildBitCast(builder, zeroMap, m.i8p, ""), allocaInEntry(bytes: 8))
        let haveZero = appendBlock("agg.zero"), done = appendBlock("agg.done")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, zero, ""), done, haveZero)
        LLVMPositionBuilderAtEnd(builder, haveZero)
        try withEntry(map, key, initial: zero) { entry in
            try updateAggregate(entry, d.info.value, value)
        }
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
    }

    func add64(_ p: LLVMValueRef, _ offset: Int, _ v: LLVMValueRef) {
        m.store64(LLVMBuildAdd(builder, load64(p, offset), v, ""), at: p, offset)
    }

    func updateAggregate(_ entry: LLVMValueRef, _ kind: MapValueType, _ v: LLVMValueRef) throws {
        switch kind {
        case .count:
            add64(entry, 0, m.const64(1))
        case .sum:
            add64(entry, 0, v)
        case .avg, .stats:
            add64(entry, 0, m.const64(1))
            add64(entry, 8, v)
        case .min(let signed), .max(let signed):
            // [value, set]: the first update always wins.
            let isMin: Bool = { if case .min = kind { return true }; return false }()
            let old = load64(entry, 0), set = load64(entry, 8)
            let better = LLVMBuildICmp(builder, isMin ? (signed ? LLVMIntSLT : LLVMIntULT) : (signed ? LLVMIntSGT : LLVMIntUGT), v, old, "")
            let unset = LLVMBuildICmp(builder, LLVMIntEQ, set, m.const64(0), "")
            let take = LLVMBuildOr(builder, better, unset, "")
            m.store64(LLVMBuildSelect(builder, take, v, old, ""), at: entry, 0)
            m.store64(m.const64(1), at: entry, 8)
        case .hist:
            bumpBucket(entry, sharedHistBucket(v) ?? histBucket(v), buckets: MapDescriptor.bucketCount(kind))
        case .lhist(let lo, let hi, let step):
            let n = MapDescriptor.bucketCount(kind)
            let below = LLVMBuildICmp(builder, LLVMIntSLT, v, m.const64(Int(lo)), "")
            let above = LLVMBuildICmp(builder, LLVMIntSGE, v, m.const64(Int(hi)), "")
            let inRange = LLVMBuildAdd(builder, LLVMBuildUDiv(builder, LLVMBuildSub(builder, v, m.const64(Int(lo)), ""),
                                                              m.const64(Int(step)), ""), m.const64(1), "")
            let idx = LLVMBuildSelect(builder, below, m.const64(0), LLVMBuildSelect(builder, above, m.const64(n - 1), inRange, ""), "")!
            bumpBucket(entry, idx, buckets: n)
        case .plain:
            break
        }
    }

    /// Bucket of a power-of-two histogram: 0 for negatives, 1 for zero, 2 + floor(log2 v) above.
    func histBucket(_ v: LLVMValueRef) -> LLVMValueRef {
        var n: LLVMValueRef = v
        var log: LLVMValueRef = m.const64(0)
        for shift in [32, 16, 8, 4, 2, 1] {
            let big = LLVMBuildICmp(builder, LLVMIntUGE, n, m.const64(UInt64(1) << UInt64(shift)), "")!
            n = LLVMBuildSelect(builder, big, LLVMBuildLShr(builder, n, m.const64(shift), ""), n, "")
            log = LLVMBuildSelect(builder, big, LLVMBuildAdd(builder, log, m.const64(shift), ""), log, "")
        }
        let negative = LLVMBuildICmp(builder, LLVMIntSLT, v, m.const64(0), "")
        let zero = LLVMBuildICmp(builder, LLVMIntEQ, v, m.const64(0), "")
        let positive = LLVMBuildAdd(builder, log, m.const64(2), "")
        return LLVMBuildSelect(builder, negative, m.const64(0), LLVMBuildSelect(builder, zero, m.const64(1), positive, ""), "")
    }

    /// Adds one to bucket `index`, clamped so the verifier can prove the access is in bounds.
    func bumpBucket(_ entry: LLVMValueRef, _ index: LLVMValueRef, buckets: Int) {
        let last = m.const64(buckets - 1)
        let over = LLVMBuildICmp(builder, LLVMIntUGT, index, last, "")
        let clamped = LLVMBuildSelect(builder, over, last, index, "")!
        let p = LLVMBuildBitCast(builder, m.byteOffset(entry, LLVMBuildMul(builder, clamped, m.const64(8), "")), m.i64p, "")!
        LLVMBuildStore(builder, LLVMBuildAdd(builder, LLVMBuildLoad2(builder, m.i64, p, ""), m.const64(1), ""), p)
    }

    /// delete(@m[k]) in the kernel; print/clear/zero are asks to user space, which owns whole-map work.
    func emitMapFunction(_ e: Expr, _ fn: BuiltinFunction, _ args: [Expr]) throws {
        if fn == .print, let v = args.first, !isWholeMap(v) {
            let slot = ArgumentSlot.of(v.type, at: 8)
            let int = v.type.isAggregate ? nil : try emitInt(v)
            let id = addEvent(.printValue(slot))
            try withRecord(size: 8 + slot.size, eventID: id) { record in
                if let int { m.store64(int, at: record, 8) } else { try emitValue(v, into: m.byteOffset(record, 8)) }
            }
            return
        }
        guard case .map(let name, let keys)? = args.first?.kind else { throw internalError("\(fn.name)() without a map") }
        let (map, d) = try mapGlobal(name)
        guard let index = scriptMaps[name]?.index else { throw internalError("map @\(name) was not declared") }
        switch fn {
        case .delete where d.isArray:
            // A per-CPU array slot cannot be deleted, and a program sees only its own CPU's
            // copy: user space clears it, as for clear().
            try withRecord(size: 8, eventID: addEvent(.clearMap(map: index))) { _ in }
        case .delete:
            let rc = m.callHelper(.mapDeleteElem, [map, try emitMapKey(d, keys)])
            try reportHelperFailure("map_delete_elem", level: 1, at: e.range, code: rc)
        case .clear:
            try withRecord(size: 8, eventID: addEvent(.clearMap(map: index))) { _ in }
        case .zero:
            try withRecord(size: 8, eventID: addEvent(.zeroMap(map: index))) { _ in }
        default:
            func literal(_ i: Int) -> UInt64 {
                if args.count > i, case .integer(let v) = args[i].kind { return v }
                return 0
            }
            let id = addEvent(.printMap(map: index, top: Int(min(literal(1), UInt64(Int.max))), divisor: literal(2)))
            try withRecord(size: 8, eventID: id) { _ in }
        }
    }

    func isWholeMap(_ e: Expr) -> Bool {
        if case .map(_, let keys) = e.kind { return keys.isEmpty && scriptMaps[mapName(e)] != nil }
        return false
    }

    func mapName(_ e: Expr) -> String {
        if case .map(let name, _) = e.kind { return name }
        return ""
    }
}
