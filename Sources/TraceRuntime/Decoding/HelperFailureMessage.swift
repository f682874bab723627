import Glibc
import SystemCatalog
import TraceContract

/// `-k`: how a helper's failure at run time is reported, located in the script like bpftrace's
/// `stdin:1:22-34: WARNING: Failed to map_delete_elem: No such file or directory (-2)`.
enum HelperFailureMessage {
    static func render(helper: String, code: Int64, range: SourceRange, in source: SourceFile) -> String {
        // 0 is a lookup that found nothing: bpftrace prints the bare code.
        let reason = code < 0 ? "\(String(cString: strerror(Int32(truncatingIfNeeded: -code)))) (\(code))" : "\(code)"
        return DiagnosticRenderer.render(.warning(range, "Failed to \(helper): \(reason)"), in: source)
    }
}
