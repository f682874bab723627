import TraceContract
import CLLVM
import ScriptParser

/// Struct and union layouts described to LLVM as debug info, which the BPF backend turns into
/// the object's `.BTF`: the local types CO-RE relocations (IRGen+FieldAccess.swift) refer to,
/// and from which libbpf reads each relocation's access path (member names, in order).
///
/// Each record an access walks through is described with all its members, names and offsets.
/// A struct embedded in one but not walked into is described by name and size only: libbpf
/// never looks inside it, and describing `task_struct`'s 160 embedded records in full made
/// the object's BTF (and LLVM's time building it) several times larger.
extension IRModule {
    /// What the steps of an access after `record` are: `nil` for none, else the member walked
    /// into next (an embedded record or array) and what follows it.
    typealias Walk = ArraySlice<IRGen.FieldPath.Step>

    /// The debug-info type an access into `record` names, describing the records `walk` goes
    /// on into: its composite, or, for an anonymous record known by a typedef (`atomic_t`),
    /// the typedef (CO-RE needs a name at the root). `walk` starts with the step into `record`.
    func debugType(of record: RecordType, along walk: Walk) -> LLVMMetadataRef {
        // Built once per module and walk: a script reads several fields of one struct. The
        // module's named metadata is where the node is kept.
        let key = "swtrace.debug_type \(record.layoutKey) along \(Self.signature(walk))"
        if let cached = namedMetadata(key) { return cached }
        let composite = debugComposite(record, along: walk)
        var node = composite
        if record.name.isEmpty, let typedefName = record.typedefName {
            node = LLVMDIBuilderCreateTypedef(di, composite, typedefName, typedefName.utf8.count, diFile, 0, diFile,
                                              UInt32(record.alignment * 8))
        }
        LLVMAddNamedMetadataOperand(module, key, LLVMMetadataAsValue(context, node))
        return node
    }

    /// The node kept under `key` by `debugType(of:along:)`, if any.
    private func namedMetadata(_ key: String) -> LLVMMetadataRef? {
        guard LLVMGetNamedMetadataNumOperands(module, key) > 0 else { return nil }
        var operands: [LLVMValueRef?] = [nil]
        LLVMGetNamedMetadataOperands(module, key, &operands)
        return operands[0].map { LLVMValueAsMetadata($0) }
    }

    private static func signature(_ walk: Walk) -> String {
        walk.map {
            switch $0 {
            case .member(_, let i): return "m\(i)"
            case .element(_, _, let i): return "e\(i)"
            }
        }.joined(separator: ".")
    }

    /// `record` with every member; the member `walk` continues into described in full.
    private func debugComposite(_ record: RecordType, along walk: Walk) -> LLVMMetadataRef {
        var next: Int?
        if case .member(_, let i)? = walk.first { next = i }
        var elements: [LLVMMetadataRef?] = record.members.enumerated().map { i, member in
            let type = debugType(of: member.type, along: i == next ? walk.dropFirst() : [])
            if let width = member.bitfieldSize {
                let unit = max(8, member.type.size * 8)
                return LLVMDIBuilderCreateBitFieldMemberType(
                    di, diFile, member.name, member.name.utf8.count, diFile, 0, UInt64(width),
                    UInt64(member.bitOffset), UInt64(member.bitOffset / unit * unit), LLVMDIFlags(0), type)
            }
            return LLVMDIBuilderCreateMemberType(
                di, diFile, member.name, member.name.utf8.count, diFile, 0, UInt64(member.type.size * 8),
                UInt32(member.type.alignment * 8), UInt64(member.bitOffset), LLVMDIFlags(0), type)
        }
        return elements.withUnsafeMutableBufferPointer { composite(record, $0.baseAddress, UInt32($0.count)) }
    }

    /// A struct or union node with `count` members at `elements` (none: name and size only).
    private func composite(_ record: RecordType, _ elements: UnsafeMutablePointer<LLVMMetadataRef?>?, _ count: UInt32) -> LLVMMetadataRef {
        let size = UInt64(record.size * 8), align = UInt32(record.alignment * 8)
        switch record.kind {
        case .structure:
            return LLVMDIBuilderCreateStructType(di, diFile, record.name, record.name.utf8.count, diFile, 0, size, align,
                                                 LLVMDIFlags(0), nil, elements, count, 0, nil, "", 0)
        case .union:
            return LLVMDIBuilderCreateUnionType(di, diFile, record.name, record.name.utf8.count, diFile, 0, size, align,
                                                LLVMDIFlags(0), elements, count, 0, "", 0)
        }
    }

    /// An embedded record no access walks into: its name (or typedef) and size.
    private func opaqueDebugType(of record: RecordType) -> LLVMMetadataRef {
        let node = composite(record, nil, 0)
        guard record.name.isEmpty, let typedefName = record.typedefName else { return node }
        return LLVMDIBuilderCreateTypedef(di, node, typedefName, typedefName.utf8.count, diFile, 0, diFile,
                                          UInt32(record.alignment * 8))
    }

    /// The debug-info type of a member, which `walk` (possibly empty) goes on into. Pointers
    /// are `void *`: a CO-RE relocation only needs to know a member is a pointer.
    func debugType(of type: MemberType, along walk: Walk = []) -> LLVMMetadataRef? {
        switch type {
        case .integer(let bytes, let signed, let isChar):
            let (name, encoding): (String, UInt32)
            switch (bytes, signed) {
            case (1, _) where isChar: (name, encoding) = ("char", 6 /* DW_ATE_signed_char */)
            case (1, true): (name, encoding) = ("signed char", 6)
            case (1, false): (name, encoding) = ("unsigned char", 8 /* DW_ATE_unsigned_char */)
            case (2, true): (name, encoding) = ("short", 5 /* DW_ATE_signed */)
            case (2, false): (name, encoding) = ("unsigned short", 7 /* DW_ATE_unsigned */)
            case (4, true): (name, encoding) = ("int", 5)
            case (4, false): (name, encoding) = ("unsigned int", 7)
            case (_, true): (name, encoding) = ("long", 5)
            case (_, false): (name, encoding) = ("unsigned long", 7)
            }
            return LLVMDIBuilderCreateBasicType(di, name, name.utf8.count, UInt64(bytes * 8), encoding, LLVMDIFlags(0))
        case .enumeration(let bytes, let signed):
            // Anonymous and without constants: CO-RE accepts an anonymous enum for any enum.
            let underlying = debugType(of: .integer(bytes: bytes, signed: signed, isChar: false))
            return LLVMDIBuilderCreateEnumerationType(di, diFile, "", 0, diFile, 0, UInt64(bytes * 8),
                                                      UInt32(max(1, min(bytes, 8)) * 8), nil, 0, underlying)
        case .pointer:
            return LLVMDIBuilderCreatePointerType(di, nil, 64, 64, 0, "", 0)
        case .record(let record):
            return walk.isEmpty ? opaqueDebugType(of: record) : debugType(of: record, along: walk)
        case .array(let element, let count):
            // Walked into by an element step; what follows it walks into the element.
            let rest: Walk = { if case .element? = walk.first { return walk.dropFirst() }; return [] }()
            let elementType = debugType(of: element, along: rest)
            var subscripts: [LLVMMetadataRef?] = [LLVMDIBuilderGetOrCreateSubrange(di, 0, Int64(count))]
            return subscripts.withUnsafeMutableBufferPointer {
                LLVMDIBuilderCreateArrayType(di, UInt64(type.size * 8), UInt32(type.alignment * 8),
                                             elementType, $0.baseAddress, 1)
            }
        case .opaque(let bytes):
            if bytes == 4 || bytes == 8 {
                let name = bytes == 4 ? "float" : "double"
                return LLVMDIBuilderCreateBasicType(di, name, name.utf8.count, UInt64(bytes * 8), 4 /* DW_ATE_float */, LLVMDIFlags(0))
            }
            return debugType(of: .array(of: .integer(bytes: 1, signed: false, isChar: false), count: bytes))
        }
    }
}

extension RecordType {
    /// Tells layouts apart for `IRModule.debugType(of:along:)`: the name, size and a hash of
    /// every direct member's name, offset, width and size (two records BTF calls the same
    /// cannot share all that and differ). Hashes are per process, like the cache it keys.
    var layoutKey: String {
        var hasher = Hasher()
        for m in members {
            hasher.combine(m.name)
            hasher.combine(m.bitOffset)
            hasher.combine(m.bitfieldSize)
            hasher.combine(m.type.size)
        }
        return "\(displayName) \(size) \(members.count) \(isRelocatable) \(hasher.finalize())"
    }
}
