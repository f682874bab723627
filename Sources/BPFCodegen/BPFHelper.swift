import TraceContract
/// BPF helper functions by number (include/uapi/linux/bpf.h); codegen calls them through `inttoptr`.
enum BPFHelper: UInt64 {
    case mapLookupElem = 1
    case mapUpdateElem = 2
    case mapDeleteElem = 3
    case probeRead = 4
    case ktimeGetNs = 5
    case getPrandomU32 = 7
    case getSmpProcessorId = 8
    case getCurrentPidTgid = 14
    case getCurrentUidGid = 15
    case getCurrentComm = 16
    case perfEventOutput = 25
    case getStackID = 27
    case getCurrentTask = 35
    case getNumaNodeID = 42
    case probeReadStr = 45
    case overrideReturn = 58
    case getCurrentCgroupID = 80
    case sendSignal = 109
    case probeReadUser = 112
    case probeReadKernel = 113
    case probeReadUserStr = 114
    case probeReadKernelStr = 115
    case jiffies64 = 118
    case ringbufReserve = 131
    case ringbufSubmit = 132
    case ringbufDiscard = 133
    case dPath = 147
    case forEachMapElem = 164
    case loop = 181
    case getAttachCookie = 174
}

/// BPF map types used here (enum bpf_map_type).
enum BPFMapType: Int {
    case hash = 1
    case array = 2
    case perCPUHash = 5
    case perCPUArray = 6
    case perfEventArray = 4
    case stackTrace = 7
    case ringBuffer = 27
}
