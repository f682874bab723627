import TraceContract
import CLLVM
import ScriptParser

extension IRGen {
    /// `kstack`/`ustack`: `[stack id][pid]`. `bpf_get_stackid` walks the stack now and stores the
    /// frames in the depth's stack map; user space symbolizes them when it prints the value.
    /// A failed walk leaves a negative id, which prints as an empty stack.
    func emitStack(_ stack: StackType, _ e: Expr, into dest: LLVMValueRef) throws {
        let context = try probeContext()
        let map = stackMap(limit: stack.limit)
        let userStack: UInt64 = 1 << 8  // BPF_F_USER_STACK
        let id = m.callHelper(.getStackID, [context, LLVMBuildBitCast(builder, map, m.i8p, ""),
                                            m.const64(stack.user ? userStack : 0)], name: "stackid")
        // The helper's int result, sign-extended: errors stay negative.
        let signed = LLVMBuildSExt(builder, LLVMBuildTrunc(builder, id, m.i32, ""), m.i64, "")!
        m.store64(signed, at: dest, 0)
        m.store64(stack.user ? currentProcessID() : m.const64(0), at: dest, 8)
    }

    /// The stack map for `limit` frames, defined on first use.
    private func stackMap(limit: Int) -> LLVMValueRef {
        let name = StackMaps.name(limit: limit)
        if let existing = LLVMGetNamedGlobal(m.module, name) { return existing }
        manifest.stackMaps.append(StackMapDescriptor(limit: limit, name: name))
        return m.define(MapDefinition(name: name, type: .stackTrace,
                                      maxEntries: StackMaps.entries(maxMapKeys: program.settings.maxMapKeys),
                                      keySize: 4, valueSize: 8 * limit))
    }
}
