/// The probe types the generator writes, with what each offers a body.
enum GeneratedProbe: String, CaseIterable {
    case begin, end, tracepoint, rawtracepoint, interval, profile, software, uprobe, uretprobe
    case kprobe, kretprobe, fentry, fexit

    /// The attach point: things that exist on any Linux machine with bash.
    var header: String {
        switch self {
        case .begin: return "BEGIN"
        case .end: return "END"
        case .tracepoint: return "tracepoint:syscalls:sys_enter_read"
        case .rawtracepoint: return "rawtracepoint:sched_switch"
        case .interval: return "interval:ms:100"
        case .profile: return "profile:hz:99"
        case .software: return "software:cpu-clock:100000"
        case .uprobe: return "uprobe:/bin/bash:readline"
        case .uretprobe: return "uretprobe:/bin/bash:readline"
        case .kprobe: return "kprobe:vfs_read"
        case .kretprobe: return "kretprobe:vfs_read"
        case .fentry: return "fentry:vfs_read"
        case .fexit: return "fexit:vfs_read"
        }
    }

    /// kprobes and fentry cannot attach on this kernel; programs using them are compiled and
    /// code-generated only (never loaded, so a refusal to load is not a finding).
    var compileOnly: Bool { self == .kprobe || self == .kretprobe || self == .fentry || self == .fexit }

    /// Integer values only this probe type has.
    var integers: [String] {
        switch self {
        case .tracepoint: return ["args->fd", "args->count", "(uint64)args->buf"]
        case .rawtracepoint: return ["arg0", "arg1", "arg2"]
        case .uprobe, .kprobe: return ["arg0", "arg1", "arg2", "reg(\"ip\")"]
        case .uretprobe, .kretprobe: return ["retval", "reg(\"ip\")"]
        case .fentry: return ["args->count", "args->pos", "(uint64)args->file"]
        case .fexit: return ["retval", "args->count"]
        case .interval, .profile, .software, .begin, .end: return []
        }
    }

    /// A pointer to user or kernel memory holding text, for str()/buf()/join().
    var textPointer: String? {
        switch self {
        case .tracepoint: return "args->buf"
        case .uprobe: return "arg0"
        case .uretprobe: return "retval"
        case .kprobe: return "arg1"
        case .rawtracepoint: return "arg0"
        default: return nil
        }
    }

    var hasFunc: Bool { [.uprobe, .uretprobe, .kprobe, .kretprobe, .fentry, .fexit].contains(self) }
}

/// Integer values every probe can read.
let commonIntegers = ["pid", "tid", "uid", "gid", "nsecs", "elapsed", "cpu", "rand", "cgroup", "jiffies", "numaid",
                      "1", "0", "-1", "255", "0x7fffffff", "18446744073709551615", "sizeof(int64)", "$#"]

/// Every function and builtin a program may feature, as a template: `I` is replaced by an
/// integer expression, `S` by a string one, `P` by a text pointer (or an integer when the
/// probe has none), `M` by a map name. The kind says where the result can go.
struct Feature {
    enum Kind { case integer, string, printable, statement }
    let template: String
    let kind: Kind
}

let features: [Feature] = [
    Feature(template: "pid", kind: .integer), Feature(template: "tid", kind: .integer),
    Feature(template: "uid", kind: .integer), Feature(template: "gid", kind: .integer),
    Feature(template: "nsecs", kind: .integer), Feature(template: "elapsed", kind: .integer),
    Feature(template: "cpu", kind: .integer), Feature(template: "rand", kind: .integer),
    Feature(template: "cgroup", kind: .integer), Feature(template: "jiffies", kind: .integer),
    Feature(template: "numaid", kind: .integer), Feature(template: "retval", kind: .integer),
    Feature(template: "arg0", kind: .integer), Feature(template: "args->count", kind: .integer),
    Feature(template: "curtask", kind: .integer), Feature(template: "curtask->pid", kind: .integer),
    Feature(template: "cpid", kind: .integer), Feature(template: "$1", kind: .integer),
    Feature(template: "(int8)I", kind: .integer), Feature(template: "(uint16)I", kind: .integer),
    Feature(template: "(int32)I", kind: .integer), Feature(template: "(uint64)I", kind: .integer),
    Feature(template: "(I ? I : I)", kind: .integer), Feature(template: "-I", kind: .integer),
    Feature(template: "~I", kind: .integer), Feature(template: "!I", kind: .integer),
    Feature(template: "(I << 3)", kind: .integer), Feature(template: "(I >> 65)", kind: .integer),
    Feature(template: "(I / I)", kind: .integer), Feature(template: "(I % I)", kind: .integer),
    Feature(template: "(I && I)", kind: .integer), Feature(template: "(I || I)", kind: .integer),
    Feature(template: "(S == S)", kind: .integer), Feature(template: "(S != \"x\")", kind: .integer),
    Feature(template: "strncmp(S, S, 4)", kind: .integer), Feature(template: "strlen(S)", kind: .integer),
    Feature(template: "strcontains(S, \"a\")", kind: .integer), Feature(template: "bswap((uint32)I)", kind: .integer),
    Feature(template: "kaddr(\"init_task\")", kind: .integer), Feature(template: "uaddr(\"main\")", kind: .integer),
    Feature(template: "reg(\"sp\")", kind: .integer), Feature(template: "cgroupid(\"/sys/fs/cgroup\")", kind: .integer),
    Feature(template: "sizeof(struct task_struct)", kind: .integer), Feature(template: "offsetof(struct task_struct, pid)", kind: .integer),
    Feature(template: "has_key(@mi, I)", kind: .integer), Feature(template: "len(@mi)", kind: .integer),
    Feature(template: "@mi[I]", kind: .integer), Feature(template: "@mi[I]++", kind: .statement),
    Feature(template: "comm", kind: .string), Feature(template: "str(P)", kind: .string),
    Feature(template: "str(P, 5)", kind: .string), Feature(template: "\"lit\"", kind: .string),
    Feature(template: "username", kind: .string), Feature(template: "@ms[I]", kind: .string),
    Feature(template: "str($1)", kind: .string), Feature(template: "strerror(I)", kind: .printable),
    Feature(template: "probe", kind: .printable), Feature(template: "func", kind: .printable),
    Feature(template: "ksym(I)", kind: .printable), Feature(template: "usym(I)", kind: .printable),
    Feature(template: "kstack", kind: .printable), Feature(template: "ustack", kind: .printable),
    Feature(template: "kstack(3)", kind: .printable), Feature(template: "ustack(perf, 2)", kind: .printable),
    Feature(template: "ntop(I)", kind: .printable), Feature(template: "ntop(2, I)", kind: .printable),
    Feature(template: "macaddr(P)", kind: .printable), Feature(template: "buf(P, 8)", kind: .printable),
    Feature(template: "strftime(\"%H:%M:%S\", nsecs)", kind: .printable), Feature(template: "path(args->file->f_path)", kind: .printable),
    Feature(template: "printf(\"%d %s\\n\", I, S)", kind: .statement), Feature(template: "printf(\"%-5x|%8.3s|%llu\\n\", I, S, I)", kind: .statement),
    Feature(template: "print(I)", kind: .statement), Feature(template: "print(S)", kind: .statement),
    Feature(template: "print(@mi)", kind: .statement), Feature(template: "print(@ma, 2, 1)", kind: .statement),
    Feature(template: "print((I, S))", kind: .statement), Feature(template: "join(P)", kind: .statement),
    Feature(template: "join(P, \",\")", kind: .statement), Feature(template: "time(\"%H\\n\")", kind: .statement),
    Feature(template: "exit()", kind: .statement), Feature(template: "exit(I)", kind: .statement),
    Feature(template: "cat(\"/proc/loadavg\")", kind: .statement), Feature(template: "system(\"true\")", kind: .statement),
    Feature(template: "signal(\"SIGUSR2\")", kind: .statement), Feature(template: "override(I)", kind: .statement),
    Feature(template: "delete(@mi[I])", kind: .statement), Feature(template: "clear(@mi)", kind: .statement),
    Feature(template: "zero(@ma)", kind: .statement), Feature(template: "@ma[I] = count()", kind: .statement),
    Feature(template: "@msum[I] = sum(I)", kind: .statement), Feature(template: "@mv = avg(I)", kind: .statement),
    Feature(template: "@mn[S] = min(I)", kind: .statement), Feature(template: "@mx[S] = max(I)", kind: .statement),
    Feature(template: "@st = stats(I)", kind: .statement), Feature(template: "@h = hist(I)", kind: .statement),
    Feature(template: "@l[I] = lhist(I, 0, 100, 10)", kind: .statement), Feature(template: "@ks[kstack] = count()", kind: .statement),
    Feature(template: "@mi[I] += I", kind: .statement), Feature(template: "@mi[I] <<= 2", kind: .statement),
    Feature(template: "@mt[I, S] = I", kind: .statement), Feature(template: "@ms[I] = S", kind: .statement),
    Feature(template: "@tu = (I, S)", kind: .statement), Feature(template: "@mi[I] = (uint8)I", kind: .statement),
    Feature(template: "return", kind: .statement),
]
