import TraceContract
import CLLVM
import ScriptParser

/// Addresses of struct members and array elements as CO-RE relocations, in the form LLVM's BPF
/// backend turns into `.BTF.ext` field relocations: each access reads its offset from an
/// `external global i64` named `llvm.TYPE:KIND:VALUE$ACCESS` (`llvm.task_struct:0:1264$0:92`:
/// byte offset 1264, member 92 of `*(struct task_struct *)p`), marked `btf_ama` and tagged
/// with the root record's debug type. The backend emits each load of such a global as
/// `r = VALUE` plus a relocation record, which libbpf rewrites for the running kernel.
///
/// This is what clang's `preserve_access_index` code becomes after LLVM's BPF IR pass
/// (BPFAbstractMemberAccess); codegen runs no PassBuilder pipeline (ObjectEmitter), so that
/// pass never runs, and the access globals are emitted in its output form directly.
extension IRGen {
    /// A place in memory: a pointer value and the members and elements walked from it.
    struct FieldPath {
        enum Step {
            case member(RecordType, Int)
            /// Element `index` of an array whose elements are `element`, `count` of them.
            case element(MemberType, count: Int, index: Int)
        }
        var root: Expr
        var steps: [Step]

        /// The record a relocation is relative to; nil when the path cannot be relocated: the
        /// script's own types (their layout is what the script wrote) and nameless roots
        /// (libbpf matches types by name).
        var relocationRoot: RecordType? {
            guard case .member(let root, _)? = steps.first, !root.displayNameForBTF.isEmpty else { return nil }
            let local = steps.contains {
                if case .member(let record, _) = $0 { return !record.isRelocatable }
                return false
            }
            return local ? nil : root
        }

        /// Bytes from the root to the place, by the layouts the front end had.
        var byteOffset: Int {
            steps.reduce(0) { total, step in
                switch step {
                case .member(let record, let i):
                    return total + (record.members.indices.contains(i) ? record.members[i].byteOffset : 0)
                case .element(let element, _, let index):
                    return total + index * element.size
                }
            }
        }

        /// libbpf's access string: `0` (the root pointer's own element), then the index of
        /// each member or array element walked.
        var accessString: String {
            steps.reduce("0") { text, step in
                switch step {
                case .member(_, let i): return text + ":\(i)"
                case .element(_, _, let index): return text + ":\(index)"
                }
            }
        }
    }

    /// The pointer and steps that lead to `e`: a field, a constant array element or `*p`.
    func fieldPath(_ e: Expr) throws -> FieldPath {
        switch e.kind {
        case .recordField(let base, let access):
            var path = base.type.isPointer ? FieldPath(root: base, steps: []) : try fieldPath(base)
            path.steps += access.steps.map { .member($0.record, $0.member) }
            return path
        case .index(let base, let index):
            guard case .integer(let i) = index.kind, case .array(let element, let count)? = base.memberLayout else {
                throw CodegenError("internal error: this array element cannot be addressed", range: e.range)
            }
            var path = try fieldPath(base)
            path.steps.append(.element(element, count: count, index: Int(i)))
            return path
        case .dereference(let pointer):
            return FieldPath(root: pointer, steps: [])
        default:
            throw CodegenError("internal error: this expression is not in memory", range: e.range)
        }
    }

    /// The root pointer of `path`, evaluated, as an `i8*`.
    func rootPointer(of path: FieldPath) throws -> LLVMValueRef {
        LLVMBuildIntToPtr(builder, try emitInt(path.root), m.i8p, "")
    }

    /// The address of the place `path` leads to, as an `i8*`: `root` plus the relocated
    /// offset, or plus the front end's offset when the path is not relocatable.
    func address(of path: FieldPath, from root: LLVMValueRef) -> LLVMValueRef {
        guard let record = path.relocationRoot else { return m.byteOffset(root, path.byteOffset) }
        let offset = relocatedValue(.byteOffset, path.byteOffset, record, path)
        return m.byteOffset(root, offset)
    }

    /// libbpf's `enum bpf_field_info_kind`: what a relocation asks about a field.
    enum FieldInfo: Int {
        case byteOffset = 0, byteSize = 1, signed = 3, leftShift = 4, rightShift = 5
    }

    /// A fact about the field `path` leads to from `record` (its offset, size or shifts) that
    /// libbpf recomputes for the running kernel; `value` is what it is here. An i64.
    func relocatedValue(_ kind: FieldInfo, _ value: Int, _ record: RecordType, _ path: FieldPath) -> LLVMValueRef {
        let name = "llvm.\(record.displayNameForBTF):\(kind.rawValue):\(value)$\(path.accessString)"
        if let existing = LLVMGetNamedGlobal(m.module, name) { return LLVMBuildLoad2(builder, m.i64, existing, "") }
        let debugType = m.debugType(of: record, along: path.steps[...])
        guard let global = relocationGlobal(name, debugType: debugType) else { return m.const64(value) }
        return LLVMBuildLoad2(builder, m.i64, global, "")
    }

    /// The `btf_ama` global called `name`, made on first use. The attribute has no C API
    /// setter, so the declaration is parsed from IR text and linked in.
    private func relocationGlobal(_ name: String, debugType: LLVMMetadataRef) -> LLVMValueRef? {
        if let existing = LLVMGetNamedGlobal(m.module, name) { return existing }
        // The same layout and triple as the module, or linking warns on stderr.
        let layout = String(cString: LLVMGetDataLayoutStr(m.module)), triple = String(cString: LLVMGetTarget(m.module))
        let text = """
            target datalayout = "\(layout)"
            target triple = "\(triple)"
            @"\(name)" = global i64 0 #0
            attributes #0 = { "btf_ama" }
            """
        guard let buffer = text.withCString({ LLVMCreateMemoryBufferWithMemoryRangeCopy($0, text.utf8.count, "core") })
        else { return nil }
        var parsed: LLVMModuleRef?
        var error: UnsafeMutablePointer<CChar>?
        // LLVMParseIRInContext takes the buffer; LLVMLinkModules2 takes the parsed module.
        guard LLVMParseIRInContext(m.context, buffer, &parsed, &error) == 0, let parsed else {
            if let error { LLVMDisposeMessage(error) }
            return nil
        }
        guard LLVMLinkModules2(m.module, parsed) == 0, let global = LLVMGetNamedGlobal(m.module, name) else { return nil }
        // Defined only so the linker brings it over (it skips declarations): an external
        // declaration is what the backend expects.
        LLVMSetInitializer(global, nil)
        LLVMSetLinkage(global, LLVMExternalLinkage)
        let kindName = "llvm.preserve.access.index"
        LLVMGlobalSetMetadata(global, LLVMGetMDKindIDInContext(m.context, kindName, UInt32(kindName.utf8.count)), debugType)
        return global
    }
}

extension RecordType {
    /// The name the object's BTF gives the record (`task_struct`, or the typedef `atomic_t`
    /// of an anonymous one); empty when it has none.
    var displayNameForBTF: String {
        name.isEmpty ? (typedefName ?? "") : name
    }
}
