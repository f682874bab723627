/// A preamble struct that redefines a kernel (BTF) type replaces the kernel's definition
/// entirely, as it does in bpftrace (where clang then sees only the script's definition). The
/// struct types it holds by value are therefore only known where the script also reaches them
/// through the kernel's own definition: `struct file { struct path f_path; }` is complete when
/// the script reads `->f_path` (the kernel's `struct file` has that member), while
/// `struct task_struct { struct thread_info x; }` used by the script leaves `x` incomplete, a
/// located error rather than a guess at a layout. A redefinition the script never uses is not
/// checked.
extension TypeChecker {
    struct ShadowingField {
        var record: String
        var field: CTypeDefinition.Field
        var typeName: String
    }

    /// Called once the preamble is laid out: the by-value struct members of redefinitions whose
    /// types come from BTF rather than from the preamble.
    mutating func noteShadowedKernelTypes(_ types: [CTypeDefinition]) {
        for definition in types where definition.kind != .enumType {
            let name = Self.normalizedTypeName("\(definition.kind.rawValue) \(definition.name)")
            guard preambleRecords[name] != nil, catalog.recordType(named: name) != nil else { continue }
            for field in definition.fields where field.type.pointerDepth == 0 {
                let typeName = Self.normalizedTypeName(field.type.name)
                guard typeName.hasPrefix("struct ") || typeName.hasPrefix("union "),
                      preambleRecords[typeName] == nil else { continue }
                shadowingFields.append(ShadowingField(record: name, field: field, typeName: typeName))
            }
        }
        preambleLaidOut = true
    }

    /// After the probes are checked: the members above that the script's uses leave incomplete.
    mutating func reportIncompleteShadowedMembers() {
        for s in shadowingFields where recordsUsed.contains(s.record) {
            if fieldsRead.contains("\(s.record).\(s.field.name)"), kernelMemberType(s.record, s.field.name) == s.typeName {
                continue
            }
            diagnostics.append(.error(s.field.range,
                "Field '\(s.field.name)' has incomplete type '\(s.typeName)': \(s.record) redefines the kernel's type, so the types it holds by value must be defined in the script as well"))
        }
    }

    private func kernelMemberType(_ record: String, _ member: String) -> String? {
        guard let kernel = catalog.recordType(named: record),
              case .record(let r)? = kernel.path(to: member)?.last?.recordMember?.type else { return nil }
        return r.displayName
    }
}
