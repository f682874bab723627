import CBPF
import Glibc

/// `--info`: what this kernel supports for BPF and how swtrace was built, in bpftrace's layout.
/// Every "yes" is measured: a program or map of that kind is loaded or created, then dropped.
public enum KernelFeatureReport {
    /// `version` and `llvm` describe the build; the rest is asked of the running kernel.
    public static func text(version: String, llvm: String) -> String {
        var out = ""
        var name = utsname()
        uname(&name)
        let field = { (bytes: UnsafeRawBufferPointer) in String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
        let sys = withUnsafeBytes(of: name.sysname, field)
        let release = withUnsafeBytes(of: name.release, field)
        let build = withUnsafeBytes(of: name.version, field)
        let machine = withUnsafeBytes(of: name.machine, field)
        LibbpfLog.echo = false

        out += "System\n  OS: \(sys) \(release) \(build)\n  Arch: \(machine)\n\n"
        out += section("Build", [
            ("version", version), ("LLVM", llvm), ("unsafe uprobe", "no"), ("bfd", "no"),
            ("libdw (DWARF support)", "no"),
        ])
        let helpers: [(String, bpf_func_id, bpf_prog_type)] = [
            ("probe_read", BPF_FUNC_probe_read, BPF_PROG_TYPE_KPROBE),
            ("probe_read_str", BPF_FUNC_probe_read_str, BPF_PROG_TYPE_KPROBE),
            ("probe_read_user", BPF_FUNC_probe_read_user, BPF_PROG_TYPE_KPROBE),
            ("probe_read_user_str", BPF_FUNC_probe_read_user_str, BPF_PROG_TYPE_KPROBE),
            ("probe_read_kernel", BPF_FUNC_probe_read_kernel, BPF_PROG_TYPE_KPROBE),
            ("probe_read_kernel_str", BPF_FUNC_probe_read_kernel_str, BPF_PROG_TYPE_KPROBE),
            ("get_current_cgroup_id", BPF_FUNC_get_current_cgroup_id, BPF_PROG_TYPE_KPROBE),
            ("send_signal", BPF_FUNC_send_signal, BPF_PROG_TYPE_KPROBE),
            ("override_return", BPF_FUNC_override_return, BPF_PROG_TYPE_KPROBE),
            ("get_boot_ns", BPF_FUNC_ktime_get_boot_ns, BPF_PROG_TYPE_KPROBE),
            // Only fentry/fexit programs may call these two.
            ("dpath", BPF_FUNC_d_path, BPF_PROG_TYPE_TRACING),
            ("skboutput", BPF_FUNC_skb_output, BPF_PROG_TYPE_TRACING),
        ]
        let hasTrampolines = canLoadFentry()
        out += section("Kernel helpers", helpers.map { entry in
            let (label, id, type) = entry
            if type == BPF_PROG_TYPE_TRACING, !hasTrampolines { return (label, "no") }
            return (label, yes(libbpf_probe_bpf_helper(type, id, nil) == 1))
        })
        let loops = canLoadBoundedLoop()
        out += section("Kernel features", [
            ("Instruction limit", loops ? "1000000" : "4096"),
            ("Loop support", yes(loops)),
            ("btf", yes(access("/sys/kernel/btf/vmlinux", R_OK) == 0)),
            ("map batch", yes(hasMapBatch())),
            ("uprobe refcount", yes(access("/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset", R_OK) == 0)),
        ])
        let maps: [(String, bpf_map_type)] = [
            ("hash", BPF_MAP_TYPE_HASH), ("percpu hash", BPF_MAP_TYPE_PERCPU_HASH),
            ("array", BPF_MAP_TYPE_ARRAY), ("percpu array", BPF_MAP_TYPE_PERCPU_ARRAY),
            ("stack_trace", BPF_MAP_TYPE_STACK_TRACE), ("perf_event_array", BPF_MAP_TYPE_PERF_EVENT_ARRAY),
            ("ringbuf", BPF_MAP_TYPE_RINGBUF),
        ]
        out += section("Map types", maps.map { ($0.0, yes(libbpf_probe_bpf_map_type($0.1, nil) == 1)) })
        let kprobes = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0
        out += section("Probe types", [
            ("kprobe", yes(kprobes && libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, nil) == 1)),
            ("uprobe", yes(access("/sys/bus/event_source/devices/uprobe", F_OK) == 0)),
            ("tracepoint", yes(libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, nil) == 1)),
            ("perf_event", yes(libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_PERF_EVENT, nil) == 1)),
            ("kfunc", yes(hasTrampolines)),
            ("kprobe_multi", yes(kprobes && libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, nil) == 1 && hasKprobeMulti())),
            ("raw_tp_special", yes(libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, nil) == 1)),
            ("watchpoint", yes(access("/sys/bus/event_source/devices/breakpoint", F_OK) == 0)),
        ])
        return out
    }

    static func section(_ title: String, _ rows: [(String, String)]) -> String {
        title + "\n" + rows.map { "  \($0.0): \($0.1)\n" }.joined() + "\n"
    }

    static func yes(_ b: Bool) -> String { b ? "yes" : "no" }

    /// One BPF instruction as the kernel reads it: opcode, registers, offset, immediate.
    static func instruction(_ code: UInt8, dst: UInt8 = 0, off: Int16 = 0, imm: Int32 = 0) -> UInt64 {
        UInt64(code) | UInt64(dst & 0xf) << 8 | UInt64(UInt16(bitPattern: off)) << 16 | UInt64(UInt32(bitPattern: imm)) << 32
    }

    /// Loads `r0 = 0; do r0 += 1 while (r0 < 4); return r0`: only kernels with bounded
    /// loops (5.3) accept the backward jump.
    static func canLoadBoundedLoop() -> Bool {
        let program = [
            instruction(0xb7),                  // r0 = 0
            instruction(0x07, imm: 1),          // r0 += 1
            instruction(0xa5, off: -2, imm: 4), // if r0 < 4 goto -2
            instruction(0x95),                  // exit
        ]
        return load(program, type: BPF_PROG_TYPE_SOCKET_FILTER, options: nil)
    }

    /// An fentry program on a kernel function: kernels (or lockdowns) without BPF trampolines
    /// refuse it at load.
    static func canLoadFentry() -> Bool {
        guard let btf = btf__load_vmlinux_btf() else { return false }
        defer { btf__free(btf) }
        // 12 is BTF_KIND_FUNC, which the C headers declare twice (ambiguous in Swift).
        let id = btf__find_by_name_kind(btf, "vfs_read", 12)
        guard id > 0 else { return false }
        var options = bpf_prog_load_opts()
        options.sz = MemoryLayout<bpf_prog_load_opts>.size
        options.expected_attach_type = BPF_TRACE_FENTRY
        options.attach_btf_id = UInt32(id)
        return load([instruction(0xb7), instruction(0x95)], type: BPF_PROG_TYPE_TRACING, options: &options)
    }

    static func load(_ program: [UInt64], type: bpf_prog_type, options: UnsafeMutablePointer<bpf_prog_load_opts>?) -> Bool {
        let fd = program.withUnsafeBytes { bytes in
            bpf_prog_load(type, nil, "GPL", bytes.baseAddress?.assumingMemoryBound(to: bpf_insn.self), program.count, options)
        }
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// BPF_MAP_LOOKUP_BATCH on an empty hash map: ENOENT when the kernel has batch operations.
    static func hasMapBatch() -> Bool {
        let fd = bpf_map_create(BPF_MAP_TYPE_HASH, nil, 4, 4, 1, nil)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var keys: UInt32 = 0, values: UInt32 = 0, out: UInt32 = 0, count: UInt32 = 1
        let rc = bpf_map_lookup_batch(fd, nil, &out, &keys, &values, &count, nil)
        return rc == 0 || errno == ENOENT
    }

    /// Multi-kprobe links need kprobes and a kernel that knows BPF_TRACE_KPROBE_MULTI (5.18).
    static func hasKprobeMulti() -> Bool {
        var options = bpf_prog_load_opts()
        options.sz = MemoryLayout<bpf_prog_load_opts>.size
        options.expected_attach_type = BPF_TRACE_KPROBE_MULTI
        return load([instruction(0xb7), instruction(0x95)], type: BPF_PROG_TYPE_KPROBE, options: &options)
    }
}
