/// The layout of a struct or union, from kernel BTF (through the `Catalog`) or from the script's
/// C preamble. The type checker resolves `a->b` against it; codegen computes CO-RE relocations
/// from it and describes it to LLVM as debug info, which becomes the object's BTF.
public struct RecordType: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable {
        case structure = "struct", union = "union"
    }
    public var kind: Kind
    /// The tag (`task_struct`); empty for an anonymous struct or union.
    public var name: String
    /// The typedef an anonymous record is known by (`atomic_t`), if any.
    public var typedefName: String?
    public var size: Int
    /// In bytes: the largest alignment of a member, as C lays it out.
    public var alignment: Int
    public var members: [RecordMember]
    /// Whether reads of its fields compile to CO-RE relocations. True for kernel (BTF) types;
    /// false for the script's own, whose layout is what the script wrote, not the kernel's.
    public var isRelocatable: Bool

    public init(kind: Kind, name: String, typedefName: String? = nil, size: Int, alignment: Int,
                members: [RecordMember], isRelocatable: Bool) {
        self.kind = kind; self.name = name; self.typedefName = typedefName; self.size = size
        self.alignment = alignment; self.members = members; self.isRelocatable = isRelocatable
    }

    /// How scripts and messages spell it: `struct task_struct`, `atomic_t`, `union (anonymous)`.
    public var displayName: String {
        if !name.isEmpty { return "\(kind.rawValue) \(name)" }
        return typedefName ?? "\(kind.rawValue) (anonymous)"
    }

    /// How to reach member `name`: its index here, or the indexes through anonymous struct and
    /// union members that hold it (C lets `t->x` name a member of an anonymous member of `t`).
    /// Nil when there is no such member.
    public func path(to name: String) -> [RecordAccess.Step]? {
        guard !name.isEmpty else { return nil }
        for (i, m) in members.enumerated() {
            if m.name == name { return [RecordAccess.Step(record: self, member: i)] }
            if m.name.isEmpty, case .record(let inner) = m.type, let rest = inner.path(to: name) {
                return [RecordAccess.Step(record: self, member: i)] + rest
            }
        }
        return nil
    }

    /// Every name `path(to:)` finds, for "did you mean" suggestions.
    public var memberNames: [String] {
        members.flatMap { m -> [String] in
            if m.name.isEmpty, case .record(let inner) = m.type { return inner.memberNames }
            return m.name.isEmpty ? [] : [m.name]
        }
    }
}

/// One member of a struct or union.
public struct RecordMember: Equatable, Sendable {
    /// Empty for an anonymous struct or union member.
    public var name: String
    /// From the start of the record; a multiple of 8 except for bitfields.
    public var bitOffset: Int
    /// The width of a bitfield; nil for ordinary members.
    public var bitfieldSize: Int?
    public var type: MemberType

    public init(name: String, bitOffset: Int, bitfieldSize: Int? = nil, type: MemberType) {
        self.name = name; self.bitOffset = bitOffset; self.bitfieldSize = bitfieldSize; self.type = type
    }

    public var byteOffset: Int { bitOffset / 8 }
}

/// What a member holds, with enough layout to read it and to describe it to LLVM.
public indirect enum MemberType: Equatable, Sendable {
    /// `isChar`: C's `char` (an array of them is a string).
    case integer(bytes: Int, signed: Bool, isChar: Bool)
    case enumeration(bytes: Int, signed: Bool)
    /// What the pointer points to, as scripts see it.
    case pointer(SType)
    /// A struct or union embedded by value.
    case record(RecordType)
    case array(of: MemberType, count: Int)
    /// Floating point and anything else scripts cannot read as a number.
    case opaque(bytes: Int)

    public var size: Int {
        switch self {
        case .integer(let n, _, _), .enumeration(let n, _), .opaque(let n): return n
        case .pointer: return 8
        case .record(let r): return r.size
        case .array(let element, let count): return element.size * count
        }
    }

    public var alignment: Int {
        switch self {
        case .integer(let n, _, _), .enumeration(let n, _), .opaque(let n): return max(1, min(n, 8))
        case .pointer: return 8
        case .record(let r): return max(1, r.alignment)
        case .array(let element, _): return element.alignment
        }
    }

    /// The script type of a member of this type; `user` says whether the record lives in user
    /// memory (then so does whatever its pointers point to). Nil when scripts cannot use it.
    public func scriptType(user: Bool, stringLength: Int) -> SType? {
        switch self {
        case .integer(let n, let signed, _), .enumeration(let n, let signed):
            return [1, 2, 4, 8].contains(n) ? .integer(bits: n * 8, signed: signed) : nil
        case .pointer(let pointee):
            return .pointer(to: pointee.inAddressSpace(user: user), user: user)
        case .record(let r):
            return .record(name: r.displayName)
        case .array(.integer(1, _, true), let count):
            // bpftrace's rule: `char name[N]` is a string; other arrays stay arrays.
            return .string(capacity: max(1, min(count, stringLength)))
        case .array(let element, let count):
            return element.scriptType(user: user, stringLength: stringLength).map { .array(of: $0, count: count) }
        case .opaque:
            return nil
        }
    }
}

/// `a->b.c` resolved: the members walked from the record the base points to (or is), through
/// any anonymous members, to the named one. Every step's record is the one the previous step's
/// member holds.
public struct RecordAccess: Equatable, Sendable {
    public struct Step: Equatable, Sendable {
        public var record: RecordType
        public var member: Int
        public init(record: RecordType, member: Int) { self.record = record; self.member = member }
        /// Nil only for a step built with an index out of range.
        public var recordMember: RecordMember? { record.members.indices.contains(member) ? record.members[member] : nil }
    }
    public var steps: [Step]
    /// The member named in the script (the last step's).
    public var member: RecordMember

    public init(steps: [Step], member: RecordMember) { self.steps = steps; self.member = member }
}

extension SType {
    /// The same type with every pointer in it marked as pointing into user (or kernel) memory:
    /// a pointer read out of user memory points into user memory too.
    public func inAddressSpace(user: Bool) -> SType {
        switch self {
        case .pointer(let pointee, _): return .pointer(to: pointee.inAddressSpace(user: user), user: user)
        case .array(let element, let count): return .array(of: element.inAddressSpace(user: user), count: count)
        default: return self
        }
    }

    /// Whether this pointer points into user memory; false for anything else.
    public var isUserPointer: Bool {
        if case .pointer(_, let user) = self { return user }
        return false
    }
}

extension Expr {
    /// The layout of the struct, union or array this expression denotes in memory, when it is
    /// one reached through fields and array elements (`p->a`, `p->arr[2]`); nil otherwise.
    public var memberLayout: MemberType? {
        switch kind {
        case .recordField(_, let access):
            return access.member.type
        case .index(let base, _):
            if case .array(let element, _)? = base.memberLayout { return element }
            return nil
        default:
            return nil
        }
    }
}
