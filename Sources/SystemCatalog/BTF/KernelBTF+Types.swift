import CBPF
import Glibc
import ScriptParser

/// Struct and union layouts and enum constants from BTF, as the front end's `RecordType`s: every
/// member with its name, bit offset, bitfield width and type, embedded structs and unions in
/// full (codegen describes them to LLVM for CO-RE), pointers by what they point to.
extension KernelBTF {
    /// A struct or union by `struct NAME`, `union NAME` or a typedef name (`atomic_t`).
    func recordType(named name: String) -> RecordType? {
        if name.hasPrefix("struct ") {
            return id(named: String(name.dropFirst(7)), kind: BTF_KIND_STRUCT).flatMap { record($0, typedefName: nil) }
        }
        if name.hasPrefix("union ") {
            return id(named: String(name.dropFirst(6)), kind: BTF_KIND_UNION).flatMap { record($0, typedefName: nil) }
        }
        guard let typedefID = id(named: name, kind: BTF_KIND_TYPEDEF) else { return nil }
        return record(resolved(typedefID), typedefName: name)
    }

    /// Every named struct and union, as `struct NAME` / `union NAME`, sorted.
    func recordNames() -> [String] {
        var names = Set<String>()
        for id in 1..<max(1, typeCount) {
            switch kind(id) {
            case BTF_KIND_STRUCT: let n = name(id); if !n.isEmpty { names.insert("struct " + n) }
            case BTF_KIND_UNION: let n = name(id); if !n.isEmpty { names.insert("union " + n) }
            default: break
            }
        }
        return names.sorted()
    }

    /// The value of enum constant `name` in any enum; nil when none has it.
    func enumeratorValue(named name: String) -> Int64? {
        name.withCString { target -> Int64? in
            for id in 1..<max(1, typeCount) {
                guard let t = type(id) else { continue }
                let count = Int(btf_vlen(t))
                if btf_is_enum(t), let values = btf_enum(t) {
                    for i in 0..<count where matches(values[i].name_off, target) {
                        let raw = values[i].val
                        return btf_kflag(t) ? Int64(raw) : Int64(UInt32(bitPattern: raw))
                    }
                } else if btf_is_enum64(t), let values = btf_enum64(t) {
                    for i in 0..<count where matches(values[i].name_off, target) {
                        return Int64(bitPattern: btf_enum64_value(values + i))
                    }
                }
            }
            return nil
        }
    }

    private func matches(_ nameOffset: UInt32, _ target: UnsafePointer<CChar>) -> Bool {
        guard let s = btf__name_by_offset(btf, nameOffset) else { return false }
        return strcmp(s, target) == 0
    }

    // MARK: Layouts

    /// The struct or union with id `id`; nil when it is neither.
    func record(_ id: UInt32, typedefName: String?, depth: Int = 0) -> RecordType? {
        guard depth < Self.maxNesting, let t = type(id), btf_is_composite(t) else { return nil }
        let count = Int(btf_vlen(t))
        var members: [RecordMember] = []
        members.reserveCapacity(count)
        if count > 0, let list = btf_members(t) {
            for i in 0..<count {
                let m = list[i]
                var bitOffset = Int(btf_member_bit_offset(t, UInt32(i)))
                var width = Int(btf_member_bitfield_size(t, UInt32(i)))
                let memberType = self.memberType(m.type, depth: depth + 1)
                // BTF without kind_flag keeps a bitfield's width and shift in its INT type.
                if width == 0, let int = type(resolved(m.type)), btf_is_int(int) {
                    let bits = Int(btf_int_bits(int))
                    if bits != Int(int.pointee.size) * 8 {
                        width = bits
                        bitOffset += Int(btf_int_offset(int))
                    }
                }
                members.append(RecordMember(name: name(offset: m.name_off), bitOffset: bitOffset,
                                            bitfieldSize: width > 0 ? width : nil, type: memberType))
            }
        }
        return RecordType(kind: btf_is_union(t) ? .union : .structure, name: name(id), typedefName: typedefName,
                          size: Int(t.pointee.size), alignment: max(1, Int(btf__align_of(btf, id))),
                          members: members, isRelocatable: true)
    }

    /// Embedded structs deeper than this are described as bytes (real kernels stay far below).
    static let maxNesting = 32

    /// The layout of a member of type `id`.
    func memberType(_ id: UInt32, depth: Int) -> MemberType {
        let (rid, typedefName) = resolvedKeepingTypedef(id)
        guard let t = type(rid) else { return .opaque(bytes: 0) }
        let size = Int(t.pointee.size)
        switch Int(btf_kind(t)) {
        case BTF_KIND_INT:
            let encoding = btf_int_encoding(t)
            let isChar = size == 1 && (encoding & UInt8(BTF_INT_CHAR) != 0 || name(rid) == "char" || name(rid) == "signed char")
            return .integer(bytes: size, signed: encoding & UInt8(BTF_INT_SIGNED) != 0, isChar: isChar)
        case BTF_KIND_ENUM, BTF_KIND_ENUM64:
            return .enumeration(bytes: size, signed: btf_kflag(t))
        case BTF_KIND_PTR:
            return .pointer(pointeeType(t.pointee.type, depth: 0))
        case BTF_KIND_STRUCT, BTF_KIND_UNION:
            return record(rid, typedefName: typedefName, depth: depth).map { .record($0) } ?? .opaque(bytes: size)
        case BTF_KIND_ARRAY:
            guard let a = btf_array(t)?.pointee else { return .opaque(bytes: 0) }
            return .array(of: memberType(a.type, depth: depth), count: Int(a.nelems))
        default:
            let bytes = btf__resolve_size(btf, rid)
            return .opaque(bytes: bytes > 0 ? Int(bytes) : 0)
        }
    }

    /// What a pointer to type `id` points to, as scripts see it: structs by name (followed
    /// lazily, when the script dereferences), integers, pointers; anything else as bytes.
    func pointeeType(_ id: UInt32, depth: Int) -> SType {
        let (rid, typedefName) = resolvedKeepingTypedef(id)
        guard rid != 0, let t = type(rid) else { return .integer(bits: 8, signed: false) }
        let size = Int(t.pointee.size)
        switch Int(btf_kind(t)) {
        case BTF_KIND_INT:
            if size == 1, name(rid) == "char" || btf_int_encoding(t) & UInt8(BTF_INT_CHAR) != 0 { return .char }
            let signed = btf_int_encoding(t) & UInt8(BTF_INT_SIGNED) != 0
            return [1, 2, 4, 8].contains(size) ? .integer(bits: size * 8, signed: signed) : .integer(bits: 8, signed: false)
        case BTF_KIND_ENUM, BTF_KIND_ENUM64:
            return [1, 2, 4, 8].contains(size) ? .integer(bits: size * 8, signed: btf_kflag(t)) : .uint32
        case BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_FWD:
            let isUnion = btf_is_union(t) || (btf_is_fwd(t) && btf_kflag(t))
            let tag = name(rid)
            if tag.isEmpty, let typedefName { return .record(name: typedefName) }
            return .record(name: (isUnion ? "union " : "struct ") + (tag.isEmpty ? "(anonymous)" : tag))
        case BTF_KIND_PTR:
            guard depth < 4 else { return .integer(bits: 8, signed: false) }
            return .pointer(to: pointeeType(t.pointee.type, depth: depth + 1), user: false)
        case BTF_KIND_ARRAY:
            guard let a = btf_array(t)?.pointee else { return .integer(bits: 8, signed: false) }
            return pointeeType(a.type, depth: depth)
        default:
            // void, function prototypes, floats: bytes as far as scripts go.
            return .integer(bits: 8, signed: false)
        }
    }

    /// `resolved(id)`, plus the first typedef name passed on the way (an anonymous struct's
    /// only name).
    func resolvedKeepingTypedef(_ id: UInt32) -> (UInt32, String?) {
        var current = id
        var typedefName: String?
        for _ in 0..<64 {
            guard let t = type(current) else { break }
            switch Int(btf_kind(t)) {
            case BTF_KIND_TYPEDEF:
                if typedefName == nil { typedefName = name(current) }
                current = t.pointee.type
            case BTF_KIND_CONST, BTF_KIND_VOLATILE, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG:
                current = t.pointee.type
            default:
                return (current, typedefName)
            }
        }
        return (current, typedefName)
    }
}
