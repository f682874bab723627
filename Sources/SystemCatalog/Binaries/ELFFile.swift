import CBPF
import Glibc
import ScriptParser

/// An ELF file opened read-only through libelf: its function symbols (uprobe targets) and
/// notes (USDT). `deinit` ends the libelf handle and closes the file.
final class ELFFile {
    let path: String
    private let fd: Int32
    /// The libelf handle; ELFFile+Symbolization.swift reads all symbols and segments through it.
    let elf: OpaquePointer

    /// libelf refuses to work until told which ELF version the caller speaks; once per process.
    private static let libelfReady: Bool = elf_version(UInt32(EV_CURRENT)) != UInt32(EV_NONE)

    /// Opens `path`; the error is one sentence naming the file.
    init(path: String) throws(CatalogError) {
        self.path = path
        guard Self.libelfReady else { throw CatalogError("libelf is unusable: \(Self.lastError)") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CatalogError("could not open \(path): \(String(cString: strerror(errno)))") }
        guard let elf = elf_begin(fd, ELF_C_READ_MMAP, nil) else {
            close(fd)
            throw CatalogError("could not read \(path): \(Self.lastError)")
        }
        guard elf_kind(elf) == ELF_K_ELF else {
            elf_end(elf)
            close(fd)
            throw CatalogError("\(path) is not an ELF file")
        }
        self.fd = fd
        self.elf = elf
    }

    deinit {
        elf_end(elf)
        close(fd)
    }

    private static var lastError: String {
        guard let message = elf_errmsg(-1) else { return "unknown libelf error" }
        return String(cString: message)
    }

    /// Every section with its header, in file order.
    func sections() -> [(scn: OpaquePointer, header: GElf_Shdr)] {
        var result: [(OpaquePointer, GElf_Shdr)] = []
        var scn = elf_nextscn(elf, nil)
        while let s = scn {
            var header = GElf_Shdr()
            if gelf_getshdr(s, &header) != nil { result.append((s, header)) }
            scn = elf_nextscn(elf, s)
        }
        return result
    }

    /// Function symbols with an address from `.symtab` and `.dynsym` (a stripped library has only the
    /// latter), one per name, sorted by name. `STT_GNU_IFUNC` resolvers count: `memcpy` in libc
    /// is one.
    func functionSymbols() -> [UserSymbol] {
        var byName: [String: UserSymbol] = [:]
        for (scn, header) in sections() where header.sh_type == SHT_SYMTAB || header.sh_type == SHT_DYNSYM {
            guard header.sh_entsize > 0, let data = elf_getdata(scn, nil) else { continue }
            let count = Int(header.sh_size / header.sh_entsize)
            for i in 0..<count {
                var sym = GElf_Sym()
                guard gelf_getsym(data, Int32(i), &sym) != nil else { continue }
                let type = sym.st_info & 0xf
                // Undefined symbols with a value are the PLT entries of a non-PIE executable's
                // imports (python3's XML_Parse): probeable, and listed by bpftrace.
                guard type == STT_FUNC || type == STT_GNU_IFUNC, sym.st_value != 0 else { continue }
                guard let cName = elf_strptr(elf, Int(header.sh_link), Int(sym.st_name)) else { continue }
                let name = String(cString: cName)
                if name.isEmpty || byName[name] != nil { continue }
                byName[name] = UserSymbol(name: name, address: sym.st_value, size: sym.st_size)
            }
        }
        return byName.values.sorted { $0.name < $1.name }
    }

    /// One note of a note section: its owner name, type and descriptor bytes.
    struct Note {
        var name: String
        var type: UInt32
        var descriptor: [UInt8]
    }

    /// The notes of the section called `sectionName` (e.g. `.note.stapsdt`).
    func notes(inSection sectionName: String) -> [Note] {
        var stringTable = 0
        guard elf_getshdrstrndx(elf, &stringTable) == 0 else { return [] }
        var notes: [Note] = []
        for (scn, header) in sections() where header.sh_type == SHT_NOTE {
            guard let cName = elf_strptr(elf, stringTable, Int(header.sh_name)),
                  String(cString: cName) == sectionName,
                  let data = elf_getdata(scn, nil), let base = data.pointee.d_buf else { continue }
            let bytes = UnsafeRawBufferPointer(start: base, count: Int(data.pointee.d_size))
            var offset = 0
            while true {
                var nhdr = GElf_Nhdr()
                var nameOffset = 0, descOffset = 0
                let next = gelf_getnote(data, offset, &nhdr, &nameOffset, &descOffset)
                guard next > 0, descOffset + Int(nhdr.n_descsz) <= bytes.count,
                      nameOffset + Int(nhdr.n_namesz) <= bytes.count else { break }
                let nameBytes = bytes[nameOffset..<(nameOffset + Int(nhdr.n_namesz))].prefix { $0 != 0 }
                notes.append(Note(name: String(decoding: nameBytes, as: UTF8.self), type: nhdr.n_type,
                                  descriptor: Array(bytes[descOffset..<(descOffset + Int(nhdr.n_descsz))])))
                offset = next
            }
        }
        return notes
    }

    /// The separate debug file holding this binary's full symbol table, if one is installed
    /// (Debian's `*-dbg` packages): by build id under `/usr/lib/debug/.build-id/`, else by the
    /// `.gnu_debuglink` name next to the binary or under `/usr/lib/debug`.
    func debugFilePath() -> String? {
        if let note = notes(inSection: ".note.gnu.build-id").first(where: { $0.name == "GNU" && $0.type == 3 }),
           note.descriptor.count > 1 {
            let hex = note.descriptor.map { b in
                let s = String(b, radix: 16)
                return s.count == 1 ? "0" + s : s
            }.joined()
            let path = "/usr/lib/debug/.build-id/\(hex.prefix(2))/\(hex.dropFirst(2)).debug"
            if BinaryResolver.isRegularFile(path) { return path }
        }
        guard let link = debugLinkName() else { return nil }
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        for candidate in ["\(dir)/\(link)", "\(dir)/.debug/\(link)", "/usr/lib/debug\(dir)/\(link)"]
        where candidate != path && BinaryResolver.isRegularFile(candidate) {
            return candidate
        }
        return nil
    }

    /// The file name in `.gnu_debuglink` (a NUL-terminated name, padding, a CRC).
    private func debugLinkName() -> String? {
        var stringTable = 0
        guard elf_getshdrstrndx(elf, &stringTable) == 0 else { return nil }
        for (scn, header) in sections() {
            guard let cName = elf_strptr(elf, stringTable, Int(header.sh_name)), String(cString: cName) == ".gnu_debuglink",
                  let data = elf_getdata(scn, nil), let base = data.pointee.d_buf else { continue }
            let bytes = UnsafeRawBufferPointer(start: base, count: Int(data.pointee.d_size)).prefix { $0 != 0 }
            return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
        }
        return nil
    }

    /// The file offset of virtual address `address`: what a uprobe needs. Found through the
    /// section holding the address, as libbpf does for the symbols it resolves itself.
    func fileOffset(ofAddress address: UInt64) -> UInt64? {
        SectionSpan.fileOffset(ofAddress: address, in: sectionSpans())
    }

    /// Where each loaded section sits in memory and in the file, kept so file offsets can be
    /// found after the file is closed.
    func sectionSpans() -> [SectionSpan] {
        sections().compactMap { _, header in
            guard header.sh_type != SHT_NOBITS, header.sh_addr != 0 else { return nil }
            return SectionSpan(address: header.sh_addr, size: header.sh_size, fileOffset: header.sh_offset)
        }
    }

    /// Whether the file is 64-bit (note descriptors hold addresses of that width).
    var is64Bit: Bool { gelf_getclass(elf) == ELFCLASS64 }

    /// Whether `path` starts with the ELF magic: a library name may also match a linker script
    /// (`libc.so` is one on Debian).
    static func hasELFMagic(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        let n = magic.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4) }
        return n == 4 && magic == [0x7f, 0x45, 0x4c, 0x46]
    }
}

/// A loaded section's place in memory and in its file.
struct SectionSpan {
    var address: UInt64
    var size: UInt64
    var fileOffset: UInt64

    static func fileOffset(ofAddress address: UInt64, in spans: [SectionSpan]) -> UInt64? {
        spans.first { address >= $0.address && address < $0.address + $0.size }
            .map { address - $0.address + $0.fileOffset }
    }
}
