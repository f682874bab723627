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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Formats a libbpf log message of any length (the verifier log is one message of up to
   megabytes); the caller frees the result. */
static inline char *swtrace_vformat(const char *format, va_list args) {
    va_list copy;
    va_copy(copy, args);
    int n = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (n < 0) return NULL;
    char *out = malloc((size_t)n + 1);
    if (out) vsnprintf(out, (size_t)n + 1, format, args);
    return out;
}

/* An anonymous in-memory file (memfd_create), for handing libbpf the object's own BTF by path. */
static inline int swtrace_memfd(const char *name) {
    return (int)syscall(__NR_memfd_create, name, 1u /* MFD_CLOEXEC */);
}
