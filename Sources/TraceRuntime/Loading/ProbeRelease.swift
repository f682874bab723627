import CBPF
import Glibc

/// Detaching a probe makes the kernel wait for an RCU grace period (tens of milliseconds here),
/// one probe after another under the kernel's event mutex: 360 tracepoints take ~25 s, and
/// threads do not overlap them. What makes the exit fast is not waiting for it: once output
/// is flushed, a forked child takes over the links and perf events and holds them until
/// swtrace has exited; its own exit then releases them in the background. The programs'
/// effects were stopped before (the stop flag, IRGen+StopFlag), so nothing they do after
/// that is visible.
enum ProbeRelease {
    /// Releases every link of `object` without waiting for the kernel, when it can; otherwise
    /// (fork refused) detaches in place.
    static func detach(_ object: LoadedObject) {
        guard !object.links.isEmpty || !object.perfEventFDs.isEmpty else { return }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            object.detachAll()
            return
        }
        // Everything but the probes and the pipe's read end: the list is made before fork, as
        // the child may only make system calls.
        let (probes, others) = descriptors()
        guard !probes.isEmpty else {
            close(ends[0])
            close(ends[1])
            object.detachAll()
            return
        }
        let toClose = others.filter { $0 != ends[0] }
        let child = fork()
        if child == 0 {
            holdUntilParentExits(closing: toClose, readEnd: ends[0])
        }
        close(ends[0])
        if child < 0 {
            close(ends[1])
            object.detachAll()
            return
        }
        // The child holds a reference to each probe, so these closes return at once.
        object.detachAll()
        close(ends[1])
    }

    /// In the child: closes everything else (so no reader waits for its pipes), waits until
    /// the parent has closed the pipe's write end, then exits, releasing the probes.
    private static func holdUntilParentExits(closing: [Int32], readEnd: Int32) -> Never {
        for fd in closing { close(fd) }
        var byte: UInt8 = 0
        while read(readEnd, &byte, 1) < 0, errno == EINTR {}
        _exit(0)
    }

    /// This process's file descriptors: those of BPF links and perf events (what holds a
    /// probe), and the others.
    private static func descriptors() -> (probes: [Int32], others: [Int32]) {
        guard let dir = opendir("/proc/self/fd") else { return ([], []) }
        let dirFD = dirfd(dir)
        defer { closedir(dir) }
        var fds: [Int32] = [], others: [Int32] = []
        var target = [CChar](repeating: 0, count: 64)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let fd = Int32(name), fd != dirFD else { continue }
            let n = readlink("/proc/self/fd/\(fd)", &target, target.count - 1)
            guard n > 0 else {
                others.append(fd)
                continue
            }
            let link = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link == "anon_inode:bpf_link" || link == "anon_inode:bpf-link" || link == "anon_inode:[perf_event]" {
                fds.append(fd)
            } else {
                others.append(fd)
            }
        }
        return (fds, others)
    }
}

extension LoadedObject {
    /// Sets the stop flag: every probe but BEGIN/END returns at entry from now on, so maps
    /// keep their final values while the probes are still attached. False when the object has
    /// no flag (only BEGIN/END) or the kernel refused the update.
    func stopProbes() -> Bool {
        guard let name = manifest.stopFlagMap, let fd = mapFD(name) else { return false }
        var key: UInt32 = 0
        var value: UInt64 = 1
        return bpf_map_update_elem(fd, &key, &value, 0) == 0
    }
}
