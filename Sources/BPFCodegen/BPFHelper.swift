/// BPF helper functions by number (include/uapi/linux/bpf.h); codegen calls them through `inttoptr`.
enum BPFHelper: UInt64 {
    case mapLookupElem = 1
    case mapUpdateElem = 2
    case mapDeleteElem = 3
    case ktimeGetNs = 5
    case getSmpProcessorId = 8
    case getCurrentPidTgid = 14
    case getCurrentUidGid = 15
    case getCurrentComm = 16
    case probeReadUser = 112
    case probeReadKernel = 113
    case probeReadUserStr = 114
    case probeReadKernelStr = 115
    case ringbufReserve = 131
    case ringbufSubmit = 132
}

/// BPF map types used here (enum bpf_map_type).
enum BPFMapType: Int {
    case hash = 1
    case array = 2
    case perCPUHash = 5
    case perCPUArray = 6
    case ringBuffer = 27
}
