import Glibc
import ScriptParser

/// The bytes of a script file as text: UTF-8 without NUL bytes, or a located error. A binary
/// file or a script in another encoding would otherwise reach the lexer as replacement
/// characters (silently changing string literals) or print raw bytes back to the terminal.
enum ScriptFile {
    /// The largest script read: a hundred times bpftrace's largest tools. Past it, compile
    /// time and memory grow to tens of seconds and gigabytes for a program the verifier would
    /// refuse anyway (a million instructions at most).
    static let maxBytes = 1 << 20

    /// The size error for a script of `count` bytes, if it is too large.
    static func sizeError(_ count: Int, name: String) -> ScriptFileError? {
        guard count > maxBytes else { return nil }
        let mib = Double(count) / Double(1 << 20)
        let shown = (mib * 10).rounded() / 10
        return ScriptFileError("ERROR: \(name): the script is \(count > maxBytes + 64 * 1024 ? "\(shown) MiB" : "over 1 MiB"); swtrace reads scripts of up to 1 MiB")
    }

    /// The script file's bytes, reading no more than one byte past the limit: `swtrace
    /// /dev/zero` must stop with an error, not read forever.
    /// `shownAs` is the name messages use (`-` for standard input). A file that cannot be opened
    /// gets bpftrace's message.
    static func read(_ path: String, shownAs name: String? = nil) -> Result<[UInt8], ScriptFileError> {
        let shown = name ?? path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(ScriptFileError("ERROR: failed to open file '\(shown)': \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while contents.count <= maxBytes {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                contents.append(contentsOf: chunk[0..<n])
            } else if n == 0 {
                break
            } else if errno != EINTR {
                return .failure(ScriptFileError("ERROR: could not read \(shown): \(String(cString: strerror(errno)))"))
            }
        }
        if contents.count > maxBytes {
            var st = stat()
            let size = fstat(fd, &st) == 0 && st.st_size > 0 ? Int(st.st_size) : contents.count
            return .failure(sizeError(size, name: shown) ?? ScriptFileError("ERROR: \(shown) is too large"))
        }
        return .success(contents)
    }

    /// The source file, or the one-line error to print (`FILE:L:C: ERROR: …`).
    static func decode(_ bytes: [UInt8], name: String) -> Result<SourceFile, ScriptFileError> {
        if let e = sizeError(bytes.count, name: name) { return .failure(e) }
        var line = 1, column = 1
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0 {
                return .failure(ScriptFileError("\(name):\(line):\(column): ERROR: not a script: the file holds a NUL byte (a binary file?)"))
            }
            let length = sequenceLength(bytes, at: i)
            if length == 0 {
                let hex = String(b, radix: 16, uppercase: false)
                return .failure(ScriptFileError(
                    "\(name):\(line):\(column): ERROR: the script is not valid UTF-8 (byte 0x\(hex.count == 1 ? "0" + hex : hex)); save it as UTF-8"))
            }
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += length
        }
        return .success(SourceFile(name: name, text: String(decoding: bytes, as: UTF8.self)))
    }

    /// The length of the well-formed UTF-8 sequence starting at `i`, or 0 if it is malformed
    /// (overlong forms, surrogates and values past U+10FFFF included).
    static func sequenceLength(_ bytes: [UInt8], at i: Int) -> Int {
        let b = bytes[i]
        if b < 0x80 { return 1 }
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            i + k < bytes.count && range.contains(bytes[i + k])
        }
        switch b {
        case 0xC2...0xDF: return continuation(1) ? 2 : 0
        case 0xE0: return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(1) && continuation(2) ? 3 : 0
        case 0xED: return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
        case 0xF0: return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4: return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default: return 0
        }
    }
}

struct ScriptFileError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
