/// The kernel's stack-trace maps `kstack`/`ustack` store their frames in, shared by codegen
/// (which defines and fills them) and the runtime (which reads frames back by stack id).
public enum StackMaps {
    /// One map per depth: its values are `limit` u64 instruction pointers.
    public static func name(limit: Int) -> String { "stack_\(limit)" }

    /// Distinct stacks the map can hold. The kernel hashes a stack to one bucket and refuses a
    /// different stack in a taken bucket (the value then records no frames), so the map has
    /// four times the buckets of a script map's keys to keep such collisions rare.
    public static func entries(maxMapKeys: Int) -> Int { min(max(maxMapKeys, 1024) * 4, 1 << 16) }
}
