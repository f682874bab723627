import CLLVM
import ScriptParser

/// The kernel's stack-trace maps `kstack`/`ustack` store their frames in, shared by codegen
/// (which defines and fills them) and the runtime (which reads frames back by stack id).
public enum StackMaps {
    /// One map per depth: its values are `limit` u64 instruction pointers.
    public static func name(limit: Int) -> String { "stack_\(limit)" }

    /// Distinct stacks the map can hold. The kernel hashes a stack to one bucket and refuses a
    /// different stack in a taken bucket (the value then records no frames), so the map has
    /// four times the buckets of a script map's keys to keep such collisions rare.
    static func entries(maxMapKeys: Int) -> Int { min(max(maxMapKeys, 1024) * 4, 1 << 16) }
}

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
        return m.define(MapDefinition(name: name, type: .stackTrace,
                                      maxEntries: StackMaps.entries(maxMapKeys: program.settings.maxMapKeys),
                                      keySize: 4, valueSize: 8 * limit))
    }
}
