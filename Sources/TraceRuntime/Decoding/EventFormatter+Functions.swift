import TraceContract
import Glibc
import SystemCatalog

/// Events whose output user space produces itself: `time(fmt)` formats the time now, `cat`
/// reads a file, `system` runs a command (only compiled with `--unsafe`). And `%s`/`%r` of
/// rendered values (stacks, symbols, buffers, …) in printf formats.
extension EventFormatter {
    func decodeFunctionEvent(_ event: EventDescriptor, _ record: UnsafeRawBufferPointer) -> Decoded {
        switch event {
        case .time(let format):
            var now = time_t()
            time(&now)
            return .time(Array(ValueRenderer.strftimeText(format, seconds: &now).utf8))
        case .cat(let format, let slots):
            let path = String(decoding: Self.render(format, slots, record, renderer: renderer), as: UTF8.self)
            switch readFileContents(path, limit: manifest.catBytesMax) {
            case .success(let bytes):
                return .cat(bytes)
            case .failure(let e):
                // As bpftrace: a message on standard error, and the script goes on.
                fputs("ERROR: failed to open file '\(path)': \(String(cString: strerror(e.errno)))\n", stderr)
                return .cat(nil)
            }
        case .system(let format, let slots):
            let command = String(decoding: Self.render(format, slots, record, renderer: renderer), as: UTF8.self)
            return .system(Self.runCommand(command))
        default:
            return .malformed
        }
    }

    /// Runs `command` with `/bin/sh -c` and returns what it wrote to standard output (its
    /// standard error is swtrace's). Tracing waits for it, as in bpftrace.
    static func runCommand(_ command: String) -> [UInt8] {
        fflush(stdout)
        guard let pipe = popen(command, "r") else {
            fputs("ERROR: could not run '\(command)': \(String(cString: strerror(errno)))\n", stderr)
            return []
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, pipe) }
            if n == 0 { break }
            output += chunk[0..<n]
        }
        pclose(pipe)
        return output
    }

    /// A rendered value under a `%s` (or `%r`) conversion: its text, with the conversion's
    /// flags, width and precision (`%-20s`).
    static func renderedConversion(_ conv: PrintfFormat.Conversion, _ text: String) -> [UInt8] {
        var spec = "%" + conv.flags
        if let w = conv.width { spec += String(w) }
        if let p = conv.precision { spec += "." + String(p) }
        spec += "s"
        guard spec != "%s" else { return Array(text.utf8) }
        var bytes = Array(text.utf8)
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { p in
            p.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: p.count) { cFormat(spec, [$0]) }
            } ?? []
        }
    }
}
