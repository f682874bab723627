import CBPF
import Glibc
import ScriptParser

/// The kernel's BTF (`/sys/kernel/btf/vmlinux`, through libbpf's `btf__load_vmlinux_btf`):
/// type lookups by id and name, and the C types mapped to script types. General on purpose —
/// function signatures (`KernelBTF+Functions.swift`) are one use; struct field access is another.
///
/// Load it once and lazily (`TracefsCatalog` does): parsing 5 MB of BTF costs a few ms that
/// scripts using only tracepoints should not pay. Not thread-safe.
public final class KernelBTF {
    let btf: OpaquePointer
    private var declarationWriter: BTFDeclarationWriter?
    /// Per BTF kind: name → id, once bulk lookups start (see `id(named:kind:)`).
    private var nameIndex: [Int: [String: UInt32]] = [:]
    private var lookups: [Int: Int] = [:]

    /// vmlinux BTF, or why it is missing (no `CONFIG_DEBUG_INFO_BTF`, no permission).
    public static func loadVmlinux() -> Result<KernelBTF, RuntimeError> {
        LibbpfLog.install()
        guard let btf = btf__load_vmlinux_btf(), libbpf_get_error(UnsafeRawPointer(btf)) == 0 else {
            let code = errno
            return .failure(RuntimeError("could not load the kernel's BTF (/sys/kernel/btf/vmlinux): \(String(cString: strerror(code)))",
                                         detail: LibbpfLog.take()))
        }
        return .success(KernelBTF(btf: btf))
    }

    /// A module's BTF (`/sys/kernel/btf/MODULE`), split on top of vmlinux's.
    static func loadModule(_ module: String, base: KernelBTF) -> KernelBTF? {
        guard TracefsCatalog.isSafePathComponent(module),
              let btf = btf__load_module_btf(module, base.btf), libbpf_get_error(UnsafeRawPointer(btf)) == 0 else { return nil }
        return KernelBTF(btf: btf, base: base)
    }

    /// Split BTF refers into its base's types, so the base must outlive it.
    private let base: KernelBTF?

    init(btf: OpaquePointer, base: KernelBTF? = nil) { self.btf = btf; self.base = base }

    deinit { btf__free(btf) }

    /// Ids run from 1 (0 is void) to `typeCount - 1`.
    var typeCount: UInt32 { btf__type_cnt(btf) }

    func type(_ id: UInt32) -> UnsafePointer<btf_type>? {
        btf__type_by_id(btf, id)
    }

    func kind(_ id: UInt32) -> Int {
        guard let t = type(id) else { return BTF_KIND_UNKN }
        return Int(btf_kind(t))
    }

    /// The type's own name (empty for anonymous types and pointers).
    func name(_ id: UInt32) -> String {
        guard let t = type(id), let s = btf__name_by_offset(btf, t.pointee.name_off) else { return "" }
        return String(cString: s)
    }

    func name(offset: UInt32) -> String {
        guard let s = btf__name_by_offset(btf, offset) else { return "" }
        return String(cString: s)
    }

    /// The id of the type called `name` of `kind` (`BTF_KIND_FUNC`, `BTF_KIND_STRUCT`, …).
    ///
    /// libbpf's lookup scans every type (~150,000 in vmlinux), which is fine once but not
    /// per match of a listing or a wildcard; after a few lookups of one kind, a name index of
    /// that kind is built and used instead (one scan).
    func id(named name: String, kind: Int) -> UInt32? {
        if let index = nameIndex[kind] { return index[name] }
        lookups[kind, default: 0] += 1
        if lookups[kind, default: 0] > Self.lookupsBeforeIndexing { return namesOfKind(kind)[name] }
        let id = btf__find_by_name_kind(btf, name, UInt32(kind))
        return id > 0 ? UInt32(id) : nil
    }

    static let lookupsBeforeIndexing = 8

    /// Every named type of `kind`, name → id (the first id for a repeated name), built once.
    func namesOfKind(_ kind: Int) -> [String: UInt32] {
        if let index = nameIndex[kind] { return index }
        var index: [String: UInt32] = [:]
        for id in 1..<max(1, typeCount) where self.kind(id) == kind {
            let n = name(id)
            if !n.isEmpty, index[n] == nil { index[n] = id }
        }
        nameIndex[kind] = index
        return index
    }

    /// Follows typedefs and qualifiers (`const`, `volatile`, `restrict`, type tags) to the
    /// type that decides the layout.
    func resolved(_ id: UInt32) -> UInt32 {
        var current = id
        for _ in 0..<64 {
            guard let t = type(current) else { return current }
            switch Int(btf_kind(t)) {
            case BTF_KIND_TYPEDEF, BTF_KIND_CONST, BTF_KIND_VOLATILE,
                 BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG:
                current = t.pointee.type
            default:
                return current
            }
        }
        return current
    }

    /// The script type a value of C type `id` gets. Pointers keep what they point to (one
    /// level is enough to tell `char *` strings and struct pointers apart).
    func scriptType(_ id: UInt32) -> SType {
        scriptType(id, depth: 0)
    }

    private func scriptType(_ id: UInt32, depth: Int) -> SType {
        let rid = resolved(id)
        guard rid != 0, let t = type(rid) else { return opaqueByte }
        let size = Int(t.pointee.size)
        switch Int(btf_kind(t)) {
        case BTF_KIND_INT:
            let encoding = btf_int_encoding(t)
            let signed = encoding & UInt8(BTF_INT_SIGNED) != 0
            if encoding & UInt8(BTF_INT_CHAR) != 0 || (size == 1 && name(rid) == "char") { return .char }
            return [1, 2, 4, 8].contains(size) ? .integer(bits: size * 8, signed: signed) : .uint64
        case BTF_KIND_ENUM, BTF_KIND_ENUM64:
            return [1, 2, 4, 8].contains(size) ? .integer(bits: size * 8, signed: btf_kflag(t)) : .uint64
        case BTF_KIND_PTR:
            let pointee: SType = depth < 2 ? scriptType(t.pointee.type, depth: depth + 1) : opaqueByte
            return .pointer(to: pointee, user: false)
        case BTF_KIND_STRUCT:
            return .record(name: "struct " + name(rid))
        case BTF_KIND_UNION:
            return .record(name: "union " + name(rid))
        case BTF_KIND_FWD:
            return .record(name: (btf_kflag(t) ? "union " : "struct ") + name(rid))
        case BTF_KIND_ARRAY:
            guard let a = btf_array(t)?.pointee else { return .uint64 }
            return .array(of: scriptType(a.type, depth: depth), count: Int(a.nelems))
        default:
            // Function prototypes (as pointees), floats, void: bytes as far as scripts go.
            return opaqueByte
        }
    }

    /// The C spelling of type `id`, as listings print it: `struct sock *`, `const char *`.
    func declaration(_ id: UInt32) -> String {
        if declarationWriter == nil { declarationWriter = BTFDeclarationWriter(btf: btf) }
        return declarationWriter?.declaration(id) ?? "?"
    }
}

/// What scripts see of bytes with no integer meaning (void, function prototypes, floats).
private let opaqueByte = SType.integer(bits: 8, signed: false)

/// libbpf's `btf_dump__emit_type_decl`, which writes a C declaration through a printf-style
/// callback; this collects the text.
final class BTFDeclarationWriter {
    private var dump: OpaquePointer?
    private var text: [CChar] = []

    init(btf: OpaquePointer) {
        let ctx = Unmanaged.passUnretained(self).toOpaque()
        let d = btf_dump__new(btf, { ctx, format, args in
            guard let ctx, let format, let args else { return }
            let writer = Unmanaged<BTFDeclarationWriter>.fromOpaque(ctx).takeUnretainedValue()
            var buffer = [CChar](repeating: 0, count: 512)
            let n = vsnprintf(&buffer, buffer.count, format, args)
            guard n > 0 else { return }
            writer.text += buffer.prefix(min(Int(n), buffer.count - 1))
        }, ctx, nil)
        if let d, libbpf_get_error(UnsafeRawPointer(d)) == 0 { dump = d }
    }

    deinit { if let dump { btf_dump__free(dump) } }

    func declaration(_ id: UInt32) -> String? {
        guard let dump else { return nil }
        text.removeAll(keepingCapacity: true)
        var opts = btf_dump_emit_type_decl_opts()
        opts.sz = MemoryLayout<btf_dump_emit_type_decl_opts>.size
        let rc = "".withCString { empty -> Int32 in
            opts.field_name = empty
            return btf_dump__emit_type_decl(dump, id, &opts)
        }
        guard rc == 0 else { return nil }
        var s = String(decoding: text.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
