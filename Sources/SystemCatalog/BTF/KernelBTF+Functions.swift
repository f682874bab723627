import CBPF
import ScriptParser

/// Function prototypes in BTF: kernel functions (fentry/fexit targets) and raw tracepoints,
/// whose arguments are the parameters of the `btf_trace_NAME` typedef the kernel declares for
/// each tracepoint (`void (*)(void *__data, <the tracepoint's arguments>)`).
extension KernelBTF {
    static let rawTracepointPrefix = "btf_trace_"

    /// Names of every `BTF_KIND_FUNC`, sorted, without duplicates.
    func functionNames() -> [String] {
        namesOfKind(BTF_KIND_FUNC).keys.sorted()
    }

    /// The prototype of the function called `name`, or nil when BTF has none.
    func functionSignature(named name: String) -> FunctionSignature? {
        guard let funcID = id(named: name, kind: BTF_KIND_FUNC), let f = type(funcID),
              let signature = signature(ofPrototype: f.pointee.type, name: name, droppingFirst: false) else { return nil }
        return Self.namingUnnamed(signature)
    }

    /// Raw tracepoint names (the `btf_trace_NAME` typedefs without the prefix), sorted.
    func rawTracepointNames() -> [String] {
        namesOfKind(BTF_KIND_TYPEDEF).keys.filter { $0.hasPrefix(Self.rawTracepointPrefix) }
            .map { String($0.dropFirst(Self.rawTracepointPrefix.count)) }.sorted()
    }

    /// The arguments of raw tracepoint `name`, without the leading `void *__data` the kernel
    /// passes itself; nil when there is no such tracepoint.
    func rawTracepointSignature(named name: String) -> FunctionSignature? {
        guard let typedefID = id(named: Self.rawTracepointPrefix + name, kind: BTF_KIND_TYPEDEF),
              let typedef = type(typedefID) else { return nil }
        let pointer = resolved(typedef.pointee.type)
        guard let p = type(pointer), btf_is_ptr(p),
              var signature = signature(ofPrototype: p.pointee.type, name: name, droppingFirst: true) else { return nil }
        // The typedef's prototype has no parameter names; the kernel's `__bpf_trace_NAME`
        // function, which the tracepoint calls with the same arguments, has them.
        if let traceFunction = id(named: "__bpf_trace_" + name, kind: BTF_KIND_FUNC), let f = type(traceFunction),
           let named = self.signature(ofPrototype: f.pointee.type, name: name, droppingFirst: true),
           named.parameters.count == signature.parameters.count {
            for i in signature.parameters.indices where signature.parameters[i].name.isEmpty {
                signature.parameters[i].name = named.parameters[i].name
            }
        }
        return Self.namingUnnamed(signature)
    }

    /// `argN` for parameters BTF leaves unnamed, so `args.argN` and listings still work.
    private static func namingUnnamed(_ signature: FunctionSignature) -> FunctionSignature {
        var s = signature
        for i in s.parameters.indices where s.parameters[i].name.isEmpty { s.parameters[i].name = "arg\(i)" }
        return s
    }

    private func signature(ofPrototype protoID: UInt32, name: String, droppingFirst: Bool) -> FunctionSignature? {
        guard let proto = type(protoID), btf_is_func_proto(proto) else { return nil }
        let count = Int(btf_vlen(proto))
        guard let params = btf_params(proto) else { return nil }
        var parameters: [FunctionParameter] = []
        for i in 0..<count {
            if droppingFirst, i == 0 { continue }
            let p = params[i]
            // A trailing parameter of type 0 is C's `...`: nothing a program can read.
            if p.type == 0 { break }
            parameters.append(FunctionParameter(name: self.name(offset: p.name_off), type: scriptType(p.type),
                                                declaration: declaration(p.type)))
        }
        let returnID = proto.pointee.type
        let returnValue = returnID == 0 ? nil
            : FunctionParameter(name: "retval", type: scriptType(returnID), declaration: declaration(returnID))
        return FunctionSignature(name: name, parameters: parameters, returnValue: returnValue)
    }
}
