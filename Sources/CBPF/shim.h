// libbpf 1.x from Debian's libbpf-dev, libelf (libelf-dev) for ELF symbols and USDT notes,
// plus the perf_event ABI for interval/profile/software/hardware probes.
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <libelf.h>
#include <gelf.h>
#include <linux/perf_event.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int swtrace_perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group_fd, unsigned long flags) {
    return (int)syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
}

// pidfd_open(2): glibc 2.36 has no wrapper in Debian 12's headers everywhere; the syscall is stable.
static inline int swtrace_pidfd_open(int pid, unsigned int flags) {
#ifdef __NR_pidfd_open
    return (int)syscall(__NR_pidfd_open, pid, flags);
#else
    return (int)syscall(434, pid, flags);
#endif
}
