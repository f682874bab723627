/// Parsing of tracefs `events/CATEGORY/NAME/format` files into `TracepointFormat`.
///
/// A format file looks like this (tabs before `field:` and between the `key:value;` parts):
///
///     name: sched_process_exec
///     ID: 365
///     format:
///     	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
///     	...
///
///     	field:__data_loc char[] filename;	offset:8;	size:4;	signed:0;
///     	field:pid_t pid;	offset:12;	size:4;	signed:1;
///
///     print fmt: "filename=%s pid=%d", __get_str(filename), REC->pid
///
/// The blank line inside `format:` separates the fields every record has (`common_*`) from the
/// event's own; `print fmt:` ends the part we read.
extension TracepointFormat {
    /// Parses the text of a tracefs `format` file; nil when it is not one (no `format:` section,
    /// or a field line without a name, an offset or a size).
    public static func parse(id: TracepointID, text: String) -> TracepointFormat? {
        // Bytes, not Characters: grapheme breaking made parsing all ~2,300 files of a kernel
        // take 0.6 s; the format is ASCII, so byte slices lose nothing.
        let bytes = Array(text.utf8)
        var eventID: Int?
        var inFormat = false
        // Set at the first blank line after some fields: from there on the fields are the event's own.
        var pastCommon = false
        var fields: [TracepointField] = []

        for rawLine in bytes.split(separator: ascii("\n"), omittingEmptySubsequences: false) {
            let line = trimmed(rawLine)
            if !inFormat {
                if line.starts(with: "ID:".utf8) {
                    eventID = decimal(trimmed(line.dropFirst(3)))
                } else if line.elementsEqual("format:".utf8) {
                    inFormat = true
                }
                continue
            }
            if line.isEmpty {
                if !fields.isEmpty { pastCommon = true }
                continue
            }
            if line.starts(with: "print fmt:".utf8) { break }
            // Only field lines live between `format:` and `print fmt:`; anything else means this
            // is not a format file we understand, and a half-read layout would be worse than none.
            guard let field = parseField(line, isCommon: !pastCommon) else { return nil }
            fields.append(field)
        }
        guard inFormat else { return nil }
        if !pastCommon {
            // No separating blank line (not seen in practice): fall back on the kernel's naming.
            for i in fields.indices { fields[i].isCommon = fields[i].name.hasPrefix("common_") }
        }
        return TracepointFormat(id: id, eventID: eventID, fields: fields)
    }

    /// One `field:DECL;	offset:N;	size:N;	signed:N;` line (already trimmed).
    private static func parseField(_ line: ArraySlice<UInt8>, isCommon: Bool) -> TracepointField? {
        let prefix = "field:".utf8
        guard line.starts(with: prefix) else { return nil }
        let parts = line.dropFirst(prefix.count).split(separator: ascii(";"), omittingEmptySubsequences: false)
        guard let declaration = parts.first else { return nil }
        var offset: Int?, size: Int?, signed: Bool?
        for part in parts.dropFirst() {
            let item = trimmed(part)
            guard let colon = item.firstIndex(of: ascii(":")) else { continue }
            let key = item[..<colon]
            let value = decimal(trimmed(item[(colon + 1)...]))
            if key.elementsEqual("offset".utf8) {
                offset = value
            } else if key.elementsEqual("size".utf8) {
                size = value
            } else if key.elementsEqual("signed".utf8) {
                signed = value.map { $0 != 0 }
            }
            // Keys a newer kernel may add are not ours to refuse.
        }
        guard let offset, let size, let decl = parseDeclaration(declaration, size: size) else { return nil }
        return TracepointField(
            declaration: String(decoding: declaration, as: UTF8.self), cType: decl.cType, name: decl.name,
            offset: offset, size: size,
            // Old kernels print no `signed:`; unsigned is the safe reading of raw bytes.
            isSigned: signed ?? false, arrayCount: decl.arrayCount,
            isDataLoc: decl.cType.hasPrefix("__data_loc"), isCommon: isCommon)
    }

    /// Splits `const char * filename`, `char comm[16]`, `__data_loc char[] name` into type, name
    /// and array length. The name is the last identifier; an array suffix follows it.
    private static func parseDeclaration(_ text: ArraySlice<UInt8>, size: Int) -> (cType: String, name: String, arrayCount: Int?)? {
        var rest = trimmed(text)
        var arrayCount: Int?
        var symbolicCount = false
        if rest.last == ascii("]"), let open = rest.lastIndex(of: ascii("[")) {
            let inner = trimmed(rest[(open + 1)..<(rest.endIndex - 1)])
            if inner.isEmpty {
                arrayCount = 0  // A flexible array member (`char buf[]`): the data follows the record.
            } else if let n = decimal(inner) {
                arrayCount = n
            } else {
                symbolicCount = true  // Old kernels print the macro: `char comm[TASK_COMM_LEN]`.
            }
            rest = trimmed(rest[..<open])
        }
        // The name: the trailing run of identifier bytes, not starting with a digit.
        var nameStart = rest.endIndex
        while nameStart > rest.startIndex, isIdentifierByte(rest[nameStart - 1]) { nameStart -= 1 }
        guard nameStart < rest.endIndex, !isDigit(rest[nameStart]) else { return nil }
        let typeBytes = trimmed(rest[..<nameStart])
        guard !typeBytes.isEmpty else { return nil }
        let cType = String(decoding: typeBytes, as: UTF8.self)
        if symbolicCount, let element = basicTypeSize(cType), size % element == 0 {
            arrayCount = size / element
        }
        return (cType, String(decoding: rest[nameStart...], as: UTF8.self), arrayCount)
    }

    /// Byte size of the element types symbolic array lengths are used with, to recover the count.
    private static func basicTypeSize(_ cType: String) -> Int? {
        switch cType {
        case "char", "signed char", "unsigned char", "u8", "s8", "__u8", "__s8", "bool": return 1
        case "short", "unsigned short", "u16", "s16", "__u16", "__s16": return 2
        case "int", "unsigned int", "u32", "s32", "__u32", "__s32", "pid_t": return 4
        case "long", "unsigned long", "u64", "s64", "__u64", "__s64": return 8
        default: return cType.hasSuffix("*") ? 8 : nil
        }
    }

    // MARK: Bytes

    private static func ascii(_ c: Unicode.Scalar) -> UInt8 { UInt8(ascii: c) }

    private static func isDigit(_ b: UInt8) -> Bool { b >= ascii("0") && b <= ascii("9") }

    private static func isIdentifierByte(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= ascii("a") && b <= ascii("z")) || (b >= ascii("A") && b <= ascii("Z")) || b == ascii("_")
    }

    /// Without the spaces, tabs and carriage returns around it (format files use tabs and spaces).
    private static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace = { (b: UInt8) in b == ascii(" ") || b == ascii("\t") || b == ascii("\r") }
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi, isSpace(s[lo]) { lo += 1 }
        while hi > lo, isSpace(s[hi - 1]) { hi -= 1 }
        return s[lo..<hi]
    }

    /// A non-negative decimal number; nil for anything else, including overflow.
    private static func decimal(_ s: ArraySlice<UInt8>) -> Int? {
        guard !s.isEmpty else { return nil }
        var value = 0
        for b in s {
            guard isDigit(b) else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(b - ascii("0")))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }
}
