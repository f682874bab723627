/// The structs and unions a script defines in its C preamble, laid out as a C compiler for
/// x86-64 and arm64 lays them out (natural alignment, SysV bitfield packing). They are looked up
/// before BTF's, so a script can describe a type BTF lacks, or its own user-space structs.
extension TypeChecker {
    mutating func collectPreambleRecords(_ types: [CTypeDefinition]) {
        for definition in types where definition.kind != .enumType {
            guard let record = layOut(definition) else { continue }
            preambleRecords[record.displayName] = record
        }
    }

    /// The C layout of one definition; nil (with errors reported) when a field's type is unknown.
    mutating func layOut(_ definition: CTypeDefinition) -> RecordType? {
        let isUnion = definition.kind == .unionType
        var members: [RecordMember] = []
        var bit = 0, alignment = 1, largest = 0
        for field in definition.fields {
            guard let type = preambleMemberType(field, in: definition) else { return nil }
            let unitBits = type.size * 8
            if let width = field.bitWidth {
                guard case .integer = type, width >= 0, width <= unitBits else {
                    diagnostics.append(.error(field.range, "Bitfield '\(field.name)' must be an integer of at most \(unitBits) bits"))
                    return nil
                }
                if isUnion { bit = 0 }
                // SysV: a bitfield starts a new unit of its type when it would straddle one.
                if width == 0 || (bit % unitBits) + width > unitBits { bit = (bit + unitBits - 1) / unitBits * unitBits }
                if width > 0 {
                    // bpftrace reads bitfields as unsigned, whatever their declared type
                    // (`short b:8` holding 0xd9 is 217).
                    var unsigned = type
                    if case .integer(let bytes, _, let isChar) = type { unsigned = .integer(bytes: bytes, signed: false, isChar: isChar) }
                    members.append(RecordMember(name: field.name, bitOffset: bit, bitfieldSize: width, type: unsigned))
                    alignment = max(alignment, type.alignment)
                }
                bit += width
                largest = max(largest, width)
                continue
            }
            let align = type.alignment
            let offset = isUnion ? 0 : (bit + align * 8 - 1) / (align * 8) * (align * 8)
            members.append(RecordMember(name: field.name, bitOffset: offset, type: type))
            alignment = max(alignment, align)
            bit = offset + type.size * 8
            largest = max(largest, type.size * 8)
        }
        let bits = isUnion ? largest : bit
        let bytes = (bits + 7) / 8
        let size = (bytes + alignment - 1) / alignment * alignment
        return RecordType(kind: isUnion ? .union : .structure, name: definition.name, size: size,
                          alignment: alignment, members: members, isRelocatable: false)
    }

    /// A preamble field's type: integers, pointers, arrays, enums, and structs or unions defined
    /// earlier in the preamble or in BTF.
    private mutating func preambleMemberType(_ field: CTypeDefinition.Field, in definition: CTypeDefinition) -> MemberType? {
        var type: MemberType
        if field.type.pointerDepth > 0 {
            guard let pointee = pointeeType(named: field.type.name) else {
                diagnostics.append(.error(field.range, "Unknown type '\(field.type.name)' in \(definition.kind.rawValue) \(definition.name)"))
                return nil
            }
            var t = pointee
            for _ in 1..<field.type.pointerDepth { t = .pointer(to: t, user: false) }
            type = .pointer(t)
        } else if let scalar = Self.scalarMemberType(named: field.type.name) {
            type = scalar
        } else if field.type.name.hasPrefix("enum ") {
            type = .enumeration(bytes: 4, signed: false)
        } else if let record = lookupRecord(named: field.type.name) {
            type = .record(record)
        } else {
            let message = "Unknown type '\(field.type.name)' in \(definition.kind.rawValue) \(definition.name)"
            let known = Array(preambleRecords.keys)
            diagnostics.append(.error(field.range, message, suggestion: Suggestion.closest(to: field.type.name, among: known)))
            return nil
        }
        if let first = field.arrayCount {
            // `int y[2][3]`: an array of 2 arrays of 3, built innermost first.
            for count in (field.innerArrayCounts.reversed() + [first]) {
                // Far beyond any struct a probe could read; keeps the layout arithmetic in range.
                guard count >= 0, count <= Self.maxArrayBytes / max(1, type.size) else {
                    diagnostics.append(.error(field.range, "Array '\(field.name)' is too large (at most \(Self.maxArrayBytes) bytes)"))
                    return nil
                }
                type = .array(of: type, count: count)
            }
        }
        return type
    }

    static let maxArrayBytes = 1 << 24

    /// An integer type by any of its spellings, with C's `char` marked (arrays of it are strings).
    static func scalarMemberType(named name: String) -> MemberType? {
        guard case .integer(let bits, let signed)? = integerType(named: TypeName(name: name)) else { return nil }
        let isChar = ["char", "signed char", "const char"].contains(name)
        return .integer(bytes: bits / 8, signed: signed, isChar: isChar)
    }

    /// What a pointer to a type named `name` points to, as scripts see it; nil when unknown.
    mutating func pointeeType(named name: String) -> SType? {
        if name == "void" { return .integer(bits: 8, signed: false) }
        if case .integer(1, _, true)? = Self.scalarMemberType(named: name) { return .char }
        if let t = Self.integerType(named: TypeName(name: name)) { return t }
        if name.hasPrefix("enum ") { return .uint32 }
        // C points to incomplete types too (`struct node *next` inside `struct node`): the
        // record is looked up when the pointer is followed.
        if name.hasPrefix("struct ") || name.hasPrefix("union ") { return .record(name: name) }
        if let record = lookupRecord(named: name) { return .record(name: record.displayName) }
        return nil
    }
}
