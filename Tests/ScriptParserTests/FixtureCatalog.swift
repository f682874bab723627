import ScriptParser

/// A `Catalog` with no kernel behind it, for front-end tests that need no root and no tracefs.
///
/// The format texts are verbatim copies of this machine's tracefs files (kernel 6.18, x86-64),
/// so the tests see the real layout quirks: the blank line after the common fields,
/// `__data_loc` strings, `char comm[16]` arrays, `const char *const *` pointers.
/// Other tracepoints are listed by name only, for wildcard expansion and suggestions.
final class FixtureCatalog: Catalog {
    /// Tracepoints with a format file, keyed `category:name`.
    static let formatTexts: [String: String] = [
        "syscalls:sys_enter_execve": sys_enter_execveFormat,
        "syscalls:sys_enter_execveat": sys_enter_execveatFormat,
        "syscalls:sys_exit_execve": sys_exit_execveFormat,
        "syscalls:sys_enter_openat": sys_enter_openatFormat,
        "syscalls:sys_exit_openat": sys_exit_openatFormat,
        "syscalls:sys_enter_read": sys_enter_readFormat,
        "syscalls:sys_exit_read": sys_exit_readFormat,
        "syscalls:sys_enter_write": sys_enter_writeFormat,
        "sched:sched_process_exec": sched_process_execFormat,
        "sched:sched_process_exit": sched_process_exitFormat,
        "sched:sched_process_fork": sched_process_forkFormat,
        "sched:sched_switch": sched_switchFormat,
        "sched:sched_wakeup": sched_wakeupFormat,
    ]

    /// Tracepoints that exist but whose formats the fixture leaves out.
    static let formatlessNames: [String] = [
        "syscalls:sys_enter_open", "syscalls:sys_exit_open", "syscalls:sys_enter_close",
        "syscalls:sys_exit_close", "syscalls:sys_exit_write", "syscalls:sys_enter_clone",
        "syscalls:sys_exit_clone", "syscalls:sys_enter_openat2", "syscalls:sys_exit_openat2",
        "syscalls:sys_exit_execveat", "syscalls:sys_enter_exit_group", "syscalls:sys_enter_kill",
        "syscalls:sys_enter_nanosleep", "syscalls:sys_enter_mmap", "syscalls:sys_enter_connect",
        "syscalls:sys_enter_accept4", "sched:sched_wakeup_new", "sched:sched_waking",
        "sched:sched_migrate_task", "sched:sched_process_free", "sched:sched_process_wait",
        "sched:sched_process_hang", "sched:sched_stat_runtime", "block:block_rq_issue",
        "block:block_rq_complete", "block:block_bio_queue", "irq:irq_handler_entry",
        "irq:irq_handler_exit", "irq:softirq_entry", "irq:softirq_exit",
        "raw_syscalls:sys_enter", "raw_syscalls:sys_exit", "signal:signal_generate",
        "signal:signal_deliver", "timer:hrtimer_start", "timer:timer_expire_entry",
        "net:netif_receive_skb", "net:net_dev_xmit", "tcp:tcp_retransmit_skb",
        "sock:inet_sock_set_state", "kmem:kmalloc", "kmem:kfree",
        "kmem:mm_page_alloc", "task:task_newtask", "task:task_rename",
    ]

    private var parsed: [TracepointID: TracepointFormat?] = [:]
    /// Every id `tracepointFormat` was asked for, in order: lets tests check that callers read lazily.
    private(set) var formatRequests: [TracepointID] = []

    /// A four-CPU machine: the loop check knows `cpu` is below 4 (TypeChecker+Loops.swift).
    func possibleCPUCount() -> Int? { 4 }

    func tracepoints() -> [TracepointID] {
        (Self.formatTexts.keys + Self.formatlessNames).compactMap(Self.id).sorted()
    }

    func tracepointFormat(_ id: TracepointID) -> TracepointFormat? {
        formatRequests.append(id)
        if let cached = parsed[id] { return cached }
        let format = Self.formatTexts[id.description].flatMap { TracepointFormat.parse(id: id, text: $0) }
        parsed[id] = .some(format)
        return format
    }

    /// `category:name` → id; nil for a malformed fixture name.
    static func id(_ text: String) -> TracepointID? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return TracepointID(category: String(text[..<colon]), name: String(text[text.index(after: colon)...]))
    }
}

// The format files, byte for byte (tabs included). Raw literals at column 0 keep the leading
// tabs and the backslashes of `print fmt` intact; the empty last line keeps the final newline.

/// tracefs `events/syscalls/sys_enter_execve/format`.
private let sys_enter_execveFormat = #"""
name: sys_enter_execve
ID: 862
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:const char * filename;	offset:16;	size:8;	signed:0;
	field:const char *const * argv;	offset:24;	size:8;	signed:0;
	field:const char *const * envp;	offset:32;	size:8;	signed:0;

print fmt: "filename: 0x%08lx, argv: 0x%08lx, envp: 0x%08lx", ((unsigned long)(REC->filename)), ((unsigned long)(REC->argv)), ((unsigned long)(REC->envp))

"""#

/// tracefs `events/syscalls/sys_enter_execveat/format`.
private let sys_enter_execveatFormat = #"""
name: sys_enter_execveat
ID: 860
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:int fd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
	field:const char *const * argv;	offset:32;	size:8;	signed:0;
	field:const char *const * envp;	offset:40;	size:8;	signed:0;
	field:int flags;	offset:48;	size:8;	signed:0;

print fmt: "fd: 0x%08lx, filename: 0x%08lx, argv: 0x%08lx, envp: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->argv)), ((unsigned long)(REC->envp)), ((unsigned long)(REC->flags))

"""#

/// tracefs `events/syscalls/sys_exit_execve/format`.
private let sys_exit_execveFormat = #"""
name: sys_exit_execve
ID: 861
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:long ret;	offset:16;	size:8;	signed:1;

print fmt: "0x%lx", REC->ret

"""#

/// tracefs `events/syscalls/sys_enter_openat/format`.
private let sys_enter_openatFormat = #"""
name: sys_enter_openat
ID: 782
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:int dfd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
	field:int flags;	offset:32;	size:8;	signed:0;
	field:umode_t mode;	offset:40;	size:8;	signed:0;

print fmt: "dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->mode))

"""#

/// tracefs `events/syscalls/sys_exit_openat/format`.
private let sys_exit_openatFormat = #"""
name: sys_exit_openat
ID: 781
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:long ret;	offset:16;	size:8;	signed:1;

print fmt: "0x%lx", REC->ret

"""#

/// tracefs `events/syscalls/sys_enter_read/format`.
private let sys_enter_readFormat = #"""
name: sys_enter_read
ID: 842
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:unsigned int fd;	offset:16;	size:8;	signed:0;
	field:char * buf;	offset:24;	size:8;	signed:0;
	field:size_t count;	offset:32;	size:8;	signed:0;

print fmt: "fd: 0x%08lx, buf: 0x%08lx, count: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->buf)), ((unsigned long)(REC->count))

"""#

/// tracefs `events/syscalls/sys_exit_read/format`.
private let sys_exit_readFormat = #"""
name: sys_exit_read
ID: 841
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:long ret;	offset:16;	size:8;	signed:1;

print fmt: "0x%lx", REC->ret

"""#

/// tracefs `events/syscalls/sys_enter_write/format`.
private let sys_enter_writeFormat = #"""
name: sys_enter_write
ID: 840
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:unsigned int fd;	offset:16;	size:8;	signed:0;
	field:const char * buf;	offset:24;	size:8;	signed:0;
	field:size_t count;	offset:32;	size:8;	signed:0;

print fmt: "fd: 0x%08lx, buf: 0x%08lx, count: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->buf)), ((unsigned long)(REC->count))

"""#

/// tracefs `events/sched/sched_process_exec/format`.
private let sched_process_execFormat = #"""
name: sched_process_exec
ID: 365
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:__data_loc char[] filename;	offset:8;	size:4;	signed:0;
	field:pid_t pid;	offset:12;	size:4;	signed:1;
	field:pid_t old_pid;	offset:16;	size:4;	signed:1;

print fmt: "filename=%s pid=%d old_pid=%d", __get_str(filename), REC->pid, REC->old_pid

"""#

/// tracefs `events/sched/sched_process_exit/format`.
private let sched_process_exitFormat = #"""
name: sched_process_exit
ID: 369
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:char comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t pid;	offset:24;	size:4;	signed:1;
	field:int prio;	offset:28;	size:4;	signed:1;
	field:bool group_dead;	offset:32;	size:1;	signed:0;

print fmt: "comm=%s pid=%d prio=%d group_dead=%s", REC->comm, REC->pid, REC->prio, REC->group_dead ? "true" : "false"

"""#

/// tracefs `events/sched/sched_process_fork/format`.
private let sched_process_forkFormat = #"""
name: sched_process_fork
ID: 366
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:__data_loc char[] parent_comm;	offset:8;	size:4;	signed:0;
	field:pid_t parent_pid;	offset:12;	size:4;	signed:1;
	field:__data_loc char[] child_comm;	offset:16;	size:4;	signed:0;
	field:pid_t child_pid;	offset:20;	size:4;	signed:1;

print fmt: "comm=%s pid=%d child_comm=%s child_pid=%d", __get_str(parent_comm), REC->parent_pid, __get_str(child_comm), REC->child_pid

"""#

/// tracefs `events/sched/sched_switch/format`.
private let sched_switchFormat = #"""
name: sched_switch
ID: 372
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:char prev_comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t prev_pid;	offset:24;	size:4;	signed:1;
	field:int prev_prio;	offset:28;	size:4;	signed:1;
	field:long prev_state;	offset:32;	size:8;	signed:1;
	field:char next_comm[16];	offset:40;	size:16;	signed:0;
	field:pid_t next_pid;	offset:56;	size:4;	signed:1;
	field:int next_prio;	offset:60;	size:4;	signed:1;

print fmt: "prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d", REC->prev_comm, REC->prev_pid, REC->prev_prio, (REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1)) ? __print_flags(REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1), "|", { 0x00000001, "S" }, { 0x00000002, "D" }, { 0x00000004, "T" }, { 0x00000008, "t" }, { 0x00000010, "X" }, { 0x00000020, "Z" }, { 0x00000040, "P" }, { 0x00000080, "I" }) : "R", REC->prev_state & (((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) ? "+" : "", REC->next_comm, REC->next_pid, REC->next_prio

"""#

/// tracefs `events/sched/sched_wakeup/format`.
private let sched_wakeupFormat = #"""
name: sched_wakeup
ID: 374
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:char comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t pid;	offset:24;	size:4;	signed:1;
	field:int prio;	offset:28;	size:4;	signed:1;
	field:int target_cpu;	offset:32;	size:4;	signed:1;

print fmt: "comm=%s pid=%d prio=%d target_cpu=%03d", REC->comm, REC->pid, REC->prio, REC->target_cpu

"""#
