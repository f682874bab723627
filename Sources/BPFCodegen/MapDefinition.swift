import TraceContract
import CLLVM

/// A BTF-defined map as libbpf 1.x reads it from `.maps`: a global struct whose members are
/// `int (*name)[VALUE]` pointers, so every number lives in the type, not the data.
struct MapDefinition {
    var name: String
    var type: BPFMapType
    var maxEntries: Int
    var keySize: Int?
    var valueSize: Int?
}

extension IRModule {
    /// Emits the map's global and its BTF description; returns the global to pass to helpers.
    func define(_ map: MapDefinition) -> LLVMValueRef {
        let global = declareMapGlobal(map)
        describe(global, map)
        return global
    }

    /// The map's global alone; `describe` must follow before the module is emitted. For maps
    /// whose size is known only once every probe is generated (the ring buffer).
    func declareMapGlobal(_ map: MapDefinition) -> LLVMValueRef {
        let count = 2 + (map.keySize == nil ? 0 : 1) + (map.valueSize == nil ? 0 : 1)
        var fields = [LLVMTypeRef?](repeating: i8p, count: count)
        let type = fields.withUnsafeMutableBufferPointer {
            LLVMStructTypeInContext(context, $0.baseAddress, UInt32($0.count), 0)
        }
        let global = LLVMAddGlobal(module, type, map.name)!
        LLVMSetInitializer(global, LLVMConstNull(type))
        LLVMSetSection(global, ".maps")
        LLVMSetAlignment(global, 8)
        return global
    }

    /// The BTF (through debug info) libbpf reads the map's type and sizes from.
    func describe(_ global: LLVMValueRef, _ map: MapDefinition) {
        var members: [(String, Int)] = [("type", map.type.rawValue), ("max_entries", map.maxEntries)]
        if let k = map.keySize { members.append(("key_size", k)) }
        if let v = map.valueSize { members.append(("value_size", v)) }

        var diMembers: [LLVMMetadataRef?] = []
        for (i, (field, value)) in members.enumerated() {
            var subrange: LLVMMetadataRef? = LLVMDIBuilderGetOrCreateSubrange(di, 0, Int64(value))
            let array = LLVMDIBuilderCreateArrayType(di, UInt64(value) * 32, 32, diInt, &subrange, 1)
            let pointer = LLVMDIBuilderCreatePointerType(di, array, 64, 0, 0, "", 0)
            diMembers.append(LLVMDIBuilderCreateMemberType(
                di, diCompileUnit, field, field.utf8.count, diFile, 0, 64, 64, UInt64(i * 64), LLVMDIFlags(0), pointer))
        }
        let diStruct = diMembers.withUnsafeMutableBufferPointer {
            LLVMDIBuilderCreateStructType(di, diCompileUnit, "", 0, diFile, 0, UInt64(members.count * 64), 64,
                                          LLVMDIFlags(0), nil, $0.baseAddress, UInt32($0.count), 0, nil, "", 0)
        }
        let expr = LLVMDIBuilderCreateExpression(di, nil, 0)
        let gve = LLVMDIBuilderCreateGlobalVariableExpression(
            di, diCompileUnit, map.name, map.name.utf8.count, "", 0, diFile, 0, diStruct, 0, expr, nil, 64)
        LLVMGlobalSetMetadata(global, LLVMGetMDKindIDInContext(context, "dbg", 3), gve)
    }

    /// The `license` section: GPL, which the tracing helpers we call require.
    func defineLicense() {
        let bytes = "GPL"
        let type = LLVMArrayType(i8, UInt32(bytes.utf8.count + 1))
        let global = LLVMAddGlobal(module, type, "LICENSE")
        LLVMSetInitializer(global, LLVMConstStringInContext(context, bytes, UInt32(bytes.utf8.count), 0))
        LLVMSetSection(global, "license")
    }
}
