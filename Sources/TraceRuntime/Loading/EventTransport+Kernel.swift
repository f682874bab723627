import CBPF
import TraceContract

extension EventTransport {
    /// The ring buffer when this kernel has it (5.8+), else the perf event array. An answer
    /// libbpf cannot give (no rights to create a map) counts as "has it": loading then says why.
    public static var kernelDefault: EventTransport {
        libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nil) == 0 ? .perfEventArray : .ringBuffer
    }
}
