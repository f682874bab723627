import CBPF
import Glibc
import ScriptParser

/// What symbolizing user addresses needs from an ELF file beyond `functionSymbols()`: every
/// symbol by address (two static functions may share a name), symbols of any type by name
/// (`uaddr` wants variables), and the loadable segments that map file offsets to addresses.
extension ELFFile {
    /// A `PT_LOAD` program header: file bytes `[offset, offset + fileSize)` are loaded at
    /// virtual address `address`.
    struct LoadSegment: Equatable {
        var offset: UInt64
        var address: UInt64
        var fileSize: UInt64
    }

    /// The loadable segments, in file order.
    func loadSegments() -> [LoadSegment] {
        var count = 0
        guard elf_getphdrnum(elf, &count) == 0 else { return [] }
        var segments: [LoadSegment] = []
        for i in 0..<count {
            var header = GElf_Phdr()
            guard gelf_getphdr(elf, Int32(i), &header) != nil, header.p_type == PT_LOAD else { continue }
            segments.append(LoadSegment(offset: header.p_offset, address: header.p_vaddr, fileSize: header.p_filesz))
        }
        return segments
    }

    /// Symbols with an address from `.symtab` and `.dynsym`, of the given ELF types
    /// (`STT_FUNC`, `STT_OBJECT`, …), duplicates included.
    func symbols(types: Set<UInt8>) -> [UserSymbol] {
        var result: [UserSymbol] = []
        for (scn, header) in sections() where header.sh_type == SHT_SYMTAB || header.sh_type == SHT_DYNSYM {
            guard header.sh_entsize > 0, let data = elf_getdata(scn, nil) else { continue }
            let count = Int(header.sh_size / header.sh_entsize)
            for i in 0..<count {
                var sym = GElf_Sym()
                guard gelf_getsym(data, Int32(i), &sym) != nil, sym.st_value != 0,
                      types.contains(sym.st_info & 0xf), sym.st_shndx != UInt16(SHN_UNDEF),
                      let cName = elf_strptr(elf, Int(header.sh_link), Int(sym.st_name)), cName.pointee != 0
                else { continue }
                result.append(UserSymbol(name: String(cString: cName), address: sym.st_value, size: sym.st_size))
            }
        }
        return result
    }

    static let functionTypes: Set<UInt8> = [UInt8(STT_FUNC), UInt8(STT_GNU_IFUNC)]
    static let variableTypes: Set<UInt8> = [UInt8(STT_OBJECT), UInt8(STT_TLS), UInt8(STT_COMMON)]
}
