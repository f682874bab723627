import TraceContract
import CLLVM
import ScriptParser

/// Where a program keeps buffers too big for the 512-byte BPF stack: long strings (`str()` is
/// 1024 bytes by default), map keys and values holding them, buffers from `buf()`.
///
/// Each program has one per-CPU array map of one entry, `scratch_N`; its value is carved into
/// regions. A region is taken when `allocaInEntry` asks for more than `stackLimit` bytes and
/// given back where a stack slot's lifetime would end (the end of the statement, or of the
/// block for a variable), so the value only needs to be as large as the most bytes alive at
/// one point of the program. The map is sized once the program is emitted.
///
/// A program needing more than a per-CPU value may hold (32 KiB) gets a plain array with one
/// entry per possible CPU instead, looked up at the current CPU's index: the same one buffer
/// per CPU, only allocated differently. The runtime sizes it to the machine's CPUs at load time
/// (`Manifest.perCPUIndexedMaps`), so an object compiled elsewhere fits the machine it runs on.
///
/// Per-CPU data is safe to share within a program: the kernel never runs a tracing program
/// twice at once on one CPU (kprobe/tracepoint/perf programs take `bpf_prog_active`, trampoline
/// programs their own recursion counter). Giving each program its own map keeps a program that
/// interrupts another (a perf event in NMI) from writing over its buffers.
struct ScratchSpace {
    /// Buffers up to this many bytes stay on the stack, where they cost no map lookup…
    static let stackLimit = 128
    /// …as long as the stack buffers alive at once stay within this many bytes, leaving the
    /// rest of the 512 for LLVM's spills and small slots. Slots up to `smallSlot` bytes (keys,
    /// results) always go on the stack.
    static let stackBudget = 256
    static let smallSlot = 16
    /// The largest value a per-CPU array may have (the kernel's PCPU_MIN_UNIT_SIZE).
    static let capacity = 32768
    /// The largest value any array may have (the kernel's KMALLOC_MAX_SIZE with 4 KiB pages).
    static let indexedCapacity = 4 << 20

    /// Stands in for the map while the program is emitted; replaced by the real map at the end.
    var placeholder: LLVMValueRef?
    /// Regions in use, by the pointer handed out for them.
    var live: [LLVMValueRef: (offset: Int, bytes: Int)] = [:]
    /// The most bytes the program needs at once: the map's value size.
    var highWater = 0
    /// Each lookup and its key slot, so the key can become the CPU's index if the map must.
    var lookups: [(call: LLVMValueRef, key: LLVMValueRef)] = []

    /// The lowest offset where `bytes` fit between the regions in use (first fit).
    mutating func take(_ bytes: Int) -> Int {
        var offset = 0
        for region in live.values.sorted(by: { $0.offset < $1.offset }) {
            if region.offset - offset >= bytes { break }
            offset = max(offset, region.offset + region.bytes)
        }
        highWater = max(highWater, offset + bytes)
        return offset
    }
}

extension IRGen {
    /// Whether a buffer of `bytes` belongs in the scratch map rather than on the stack.
    func needsScratch(_ bytes: Int) -> Bool {
        // Every frame down a chain of loop callbacks shares the 512 bytes: keep to small slots.
        if callsLoopCallbacks { return bytes > ScratchSpace.smallSlot }
        if bytes > ScratchSpace.stackLimit { return true }
        guard bytes > ScratchSpace.smallSlot else { return false }
        let onStack = frame.temporaries.joined().reduce(0) { $0 + (scratch.live[$1.pointer] == nil ? $1.bytes : 0) }
        return onStack + bytes > ScratchSpace.stackBudget
    }

    /// A region of at least `bytes` bytes in this program's scratch map, released with the
    /// statement's frame.temporaries, zeroed unless the caller writes every byte itself. Leaves
    /// the probe (as a failed lookup would) if the map is missing.
    func scratchBuffer(bytes: Int, zeroed: Bool = true) -> LLVMValueRef {
        let size = (bytes + 7) & ~7
        let offset = scratch.take(size)
        let placeholder: LLVMValueRef
        if let p = scratch.placeholder {
            placeholder = p
        } else {
            placeholder = LLVMAddGlobal(m.module, m.i8, "scratch.placeholder")
            scratch.placeholder = placeholder
        }
        // The key: a zero u32 on the stack.
        let key = allocaInEntry(bytes: 8)
        let value = m.callHelper(.mapLookupElem, returns: m.i8p, [placeholder, key], name: "scratch")
        scratch.lookups.append((value, key))
        let ok = appendBlock("scratch.ok")
        if let exitBlock = frame.exitBlock {
            LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, value, ""), exitBlock, ok)
        } else {
            LLVMBuildBr(builder, ok)
        }
        LLVMPositionBuilderAtEnd(builder, ok)
        let pointer = m.byteOffset(value, offset)
        // A GEP of offset 0 is the lookup itself; either way the value is new, so it names the region.
        scratch.live[pointer] = (offset, size)
        if !frame.temporaries.isEmpty { frame.temporaries[frame.temporaries.count - 1].append((pointer, size)) }
        if zeroed { zeroBytes(pointer, size) }
        return pointer
    }

    /// Gives a scratch region back; false when `pointer` is not one (a stack slot).
    func releaseScratch(_ pointer: LLVMValueRef) -> Bool {
        scratch.live.removeValue(forKey: pointer) != nil
    }

    /// Defines the program's scratch map at the size it turned out to need, in place of the
    /// placeholder the program's code refers to.
    func defineScratchMap(probeIndex: Int, range: SourceRange) throws {
        guard let placeholder = scratch.placeholder else { return }
        let size = max(8, scratch.highWater)
        let name = "scratch_\(probeIndex)"
        let map: LLVMValueRef
        if size <= ScratchSpace.capacity {
            map = m.define(MapDefinition(name: name, type: .perCPUArray, maxEntries: 1, keySize: 4, valueSize: size))
        } else if size <= ScratchSpace.indexedCapacity {
            map = m.define(MapDefinition(name: name, type: .array, maxEntries: 1, keySize: 4, valueSize: size))
            manifest.perCPUIndexedMaps.append(name)
            keyScratchLookupsByCPU()
        } else {
            // 4 MiB alive at once: thousands of the longest strings in one statement.
            throw CodegenError("internal error: this probe needs \(size) bytes for strings and buffers at once, more than "
                + "the kernel allows a BPF map value (\(ScratchSpace.indexedCapacity) bytes)", range: range)
        }
        LLVMReplaceAllUsesWith(placeholder, LLVMConstBitCast(map, LLVMTypeOf(placeholder)))
        LLVMDeleteGlobal(placeholder)
        scratch.placeholder = nil
    }

    /// Stores the current CPU's index into every scratch lookup's key, just before the lookup.
    private func keyScratchLookupsByCPU() {
        let block = LLVMGetInsertBlock(builder)
        for (call, key) in scratch.lookups {
            LLVMPositionBuilderBefore(builder, call)
            let cpu = m.callHelper(.getSmpProcessorId, [], name: "cpu")
            LLVMBuildStore(builder, LLVMBuildTrunc(builder, cpu, m.i32, ""),
                           LLVMBuildBitCast(builder, key, LLVMPointerType(m.i32, 0), ""))
        }
        if let block { LLVMPositionBuilderAtEnd(builder, block) }
        scratch.lookups = []
    }

    /// Zeroes `bytes` bytes at `pointer`. Small buffers get stores; big ones one helper call:
    /// `bpf_probe_read_kernel` from address 0 always fails, and a failed read zero-fills its
    /// destination. LLVM would otherwise turn a big memset into a call to `memset`, which BPF
    /// lacks (it expands at most 128 stores).
    func zeroBytes(_ pointer: LLVMValueRef, _ bytes: Int) {
        if bytes <= 8 * 64 {
            LLVMBuildMemSet(builder, pointer, LLVMConstInt(m.i8, 0, 0), m.const64(bytes), 8)
        } else {
            m.callHelper(.probeReadKernel, [pointer, m.const64(bytes), LLVMConstNull(m.i8p)])
        }
    }

    /// Copies `bytes` bytes. Copies LLVM can expand into at most 128 loads and stores of the
    /// alignment it knows stay a memcpy; longer ones (a 1024-byte string) become one
    /// `bpf_probe_read_kernel` call, since BPF has no `memcpy` to call.
    func copyBytes(_ dest: LLVMValueRef, _ source: LLVMValueRef, _ bytes: Int,
                   destAlign: UInt32 = 1, sourceAlign: UInt32 = 1) {
        guard bytes > 0 else { return }
        let align = Int(min(destAlign, sourceAlign))
        if bytes / max(align, 1) <= 128 {
            LLVMBuildMemCpy(builder, dest, destAlign, source, sourceAlign, m.const64(bytes))
        } else {
            m.callHelper(.probeReadKernel, [dest, m.const64(bytes), source])
        }
    }
}
