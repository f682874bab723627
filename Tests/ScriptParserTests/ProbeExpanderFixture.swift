import ScriptParser

/// A `Catalog` for the non-tracepoint probe types: a few kernel functions with BTF prototypes,
/// raw tracepoints, and two binaries with symbols and USDT notes. Shaped like what the runtime
/// reads on this machine (x86-64, kernel 6.18), small enough to read at a glance.
final class ProbeFixtureCatalog: Catalog {
    static let tracepointIDs = ["sched:sched_switch", "sched:sched_wakeup", "syscalls:sys_enter_openat",
                                "syscalls:sys_enter_read", "syscalls:sys_exit_read"]

    func tracepoints() -> [TracepointID] {
        Self.tracepointIDs.compactMap { text in
            let parts = text.split(separator: ":").map(String.init)
            return parts.count == 2 ? TracepointID(category: parts[0], name: parts[1]) : nil
        }.sorted()
    }

    func tracepointFormat(_ id: TracepointID) -> TracepointFormat? {
        guard tracepoints().contains(id) else { return nil }
        let common = TracepointField(declaration: "int common_pid", cType: "int", name: "common_pid", offset: 4, size: 4,
                                     isSigned: true, arrayCount: nil, isDataLoc: false, isCommon: true)
        let own = TracepointField(declaration: "long ret", cType: "long", name: "ret", offset: 16, size: 8,
                                  isSigned: true, arrayCount: nil, isDataLoc: false, isCommon: false)
        return TracepointFormat(id: id, eventID: 1, fields: [common, own])
    }

    static let vfsRead = FunctionSignature(
        name: "vfs_read",
        parameters: [
            FunctionParameter(name: "file", type: .pointer(to: .record(name: "struct file"), user: false), declaration: "struct file *"),
            FunctionParameter(name: "buf", type: .pointer(to: .char, user: false), declaration: "char *"),
            FunctionParameter(name: "count", type: .uint64, declaration: "size_t"),
            FunctionParameter(name: "pos", type: .pointer(to: .int64, user: false), declaration: "loff_t *"),
        ],
        returnValue: FunctionParameter(name: "retval", type: .int64, declaration: "ssize_t"))
    static let syncFilesystems = FunctionSignature(name: "ksys_sync", parameters: [], returnValue: nil)
    static let schedSwitch = FunctionSignature(
        name: "sched_switch",
        parameters: [
            FunctionParameter(name: "preempt", type: .integer(bits: 8, signed: false), declaration: "bool"),
            FunctionParameter(name: "prev", type: .pointer(to: .record(name: "struct task_struct"), user: false), declaration: "struct task_struct *"),
            FunctionParameter(name: "next", type: .pointer(to: .record(name: "struct task_struct"), user: false), declaration: "struct task_struct *"),
            FunctionParameter(name: "prev_state", type: .uint32, declaration: "unsigned int"),
        ],
        returnValue: nil)
    static let sysEnter = FunctionSignature(
        name: "sys_enter",
        parameters: [
            FunctionParameter(name: "regs", type: .pointer(to: .record(name: "struct pt_regs"), user: false), declaration: "struct pt_regs *"),
            FunctionParameter(name: "id", type: .int64, declaration: "long int"),
        ],
        returnValue: nil)

    func kernelFunctions() -> [KernelFunction] {
        ["vfs_read", "vfs_readv", "vfs_write", "do_sys_open", "tcp_connect", "ksys_sync"].map { KernelFunction(name: $0) }
            + [KernelFunction(module: "ext4", name: "ext4_file_open")]
    }

    func btfFunctions() -> [KernelFunction] {
        ["ksys_sync", "vfs_read", "vfs_write"].map { KernelFunction(name: $0) }
    }

    func btfFunction(_ function: KernelFunction) -> FunctionSignature? {
        guard function.module == nil else { return nil }
        switch function.name {
        case "vfs_read": return Self.vfsRead
        case "vfs_write":
            var s = Self.vfsRead
            s.name = "vfs_write"
            return s
        case "ksys_sync": return Self.syncFilesystems
        default: return nil
        }
    }

    func rawTracepoints() -> [String] { ["sched_switch", "sched_wakeup", "sys_enter"] }

    func rawTracepoint(_ name: String) -> FunctionSignature? {
        switch name {
        case "sched_switch": return Self.schedSwitch
        case "sched_wakeup":
            return FunctionSignature(name: name, parameters: [Self.schedSwitch.parameters[1]], returnValue: nil)
        case "sys_enter": return Self.sysEnter
        default: return nil
        }
    }

    func resolveBinary(_ name: String) -> String? {
        switch name {
        case "/usr/bin/app", "app": return "/usr/bin/app"
        case "libc", "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6": return "/lib/x86_64-linux-gnu/libc.so.6"
        case "/etc/passwd": return "/etc/passwd"
        default: return nil
        }
    }

    func functionSymbols(inBinary path: String) -> Result<[UserSymbol], CatalogError> {
        switch path {
        case "/usr/bin/app":
            return .success([UserSymbol(name: "handle_request", address: 0x1060, size: 0x30),
                             UserSymbol(name: "helper", address: 0x1040, size: 0x20),
                             UserSymbol(name: "main", address: 0x1000, size: 0x40)])
        case "/lib/x86_64-linux-gnu/libc.so.6":
            return .success([UserSymbol(name: "free", address: 0x9a000, size: 0x100),
                             UserSymbol(name: "malloc", address: 0x99000, size: 0x200)])
        default:
            return .failure(CatalogError("\(path) is not an ELF file"))
        }
    }

    func usdtProbes(inBinary path: String) -> Result<[USDTProbeInfo], CatalogError> {
        guard path == "/usr/bin/app" else { return .failure(CatalogError("\(path) is not an ELF file")) }
        return .success([
            USDTProbeInfo(provider: "app", name: "start", arguments: []),
            USDTProbeInfo(provider: "app", name: "request", arguments: [USDTArgument(size: 4, isSigned: true), USDTArgument(size: 8, isSigned: false)]),
            USDTProbeInfo(provider: "other", name: "tick", arguments: [USDTArgument(size: 1, isSigned: false)]),
        ])
    }
}
