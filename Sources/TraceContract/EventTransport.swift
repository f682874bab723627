/// How records (printf, join, exit, …) travel from the probes to swtrace.
///
/// The BPF ring buffer (kernel 5.8+) is one buffer shared by every CPU, in order; kernels
/// before it have only the perf event array: one buffer per CPU, filled with
/// `bpf_perf_event_output`, as bpftrace 0.17 and bcc use it. Both carry the same records.
public enum EventTransport: String, CaseIterable, Codable, Sendable {
    case ringBuffer = "ringbuf"
    case perfEventArray = "perf"
}
