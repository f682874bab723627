/// Names of the kernel things probes attach to, shared by the front end, the manifest and the
/// runtime.

/// A kernel function as kprobes and fentry name it: `vfs_read`, or `MODULE:fn` outside vmlinux.
public struct KernelFunction: Codable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// nil for vmlinux.
    public var module: String?
    public var name: String
    public init(module: String? = nil, name: String) { self.module = module; self.name = name }
    public var description: String { module.map { "\($0):\(name)" } ?? name }
    public static func < (a: KernelFunction, b: KernelFunction) -> Bool {
        (a.module ?? "", a.name) < (b.module ?? "", b.name)
    }
}

/// `category:name` of a tracepoint, e.g. `syscalls:sys_enter_execve`.
public struct TracepointID: Codable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var category: String
    public var name: String
    public init(category: String, name: String) { self.category = category; self.name = name }
    public var description: String { "\(category):\(name)" }
    public static func < (a: TracepointID, b: TracepointID) -> Bool {
        (a.category, a.name) < (b.category, b.name)
    }
}
