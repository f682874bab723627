import TraceContract
import CLLVM

/// An LLVM context, module, IR builder and debug-info builder for one BPF object.
/// Owns them all and disposes of them in `deinit`.
final class IRModule {
    let context: LLVMContextRef
    let module: LLVMModuleRef
    let builder: LLVMBuilderRef
    let di: LLVMDIBuilderRef
    let diFile: LLVMMetadataRef
    let diCompileUnit: LLVMMetadataRef

    let i1: LLVMTypeRef, i8: LLVMTypeRef, i16: LLVMTypeRef, i32: LLVMTypeRef, i64: LLVMTypeRef
    let i8p: LLVMTypeRef, i64p: LLVMTypeRef, void: LLVMTypeRef
    /// `int` in debug info; BTF map definitions are built from it.
    let diInt: LLVMMetadataRef

    init(name: String, fileName: String) {
        context = LLVMContextCreate()
        module = LLVMModuleCreateWithNameInContext(name, context)
        builder = LLVMCreateBuilderInContext(context)
        LLVMSetTarget(module, "bpfel")
        LLVMSetDataLayout(module, "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128")
        i1 = LLVMInt1TypeInContext(context)
        i8 = LLVMInt8TypeInContext(context)
        i16 = LLVMInt16TypeInContext(context)
        i32 = LLVMInt32TypeInContext(context)
        i64 = LLVMInt64TypeInContext(context)
        i8p = LLVMPointerType(i8, 0)
        i64p = LLVMPointerType(i64, 0)
        void = LLVMVoidTypeInContext(context)
        // Debug info is what makes the BPF backend write .BTF (map definitions, line info).
        let three = LLVMValueAsMetadata(LLVMConstInt(i32, 3, 0))
        LLVMAddModuleFlag(module, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18, three)
        let four = LLVMValueAsMetadata(LLVMConstInt(i32, 4, 0))
        LLVMAddModuleFlag(module, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13, four)
        di = LLVMCreateDIBuilder(module)
        diFile = LLVMDIBuilderCreateFile(di, fileName, fileName.utf8.count, ".", 1)
        diCompileUnit = LLVMDIBuilderCreateCompileUnit(
            di, LLVMDWARFSourceLanguageC, diFile, "swtrace", 7, 0, "", 0, 0, "", 0,
            LLVMDWARFEmissionFull, 0, 0, 0, "", 0, "", 0)
        diInt = LLVMDIBuilderCreateBasicType(di, "int", 3, 32, 5 /* DW_ATE_signed */, LLVMDIFlags(0))
    }

    deinit {
        LLVMDisposeDIBuilder(di)
        LLVMDisposeBuilder(builder)
        LLVMDisposeModule(module)
        LLVMContextDispose(context)
    }

    func const64(_ v: UInt64) -> LLVMValueRef { LLVMConstInt(i64, v, 0) }
    func const64(_ v: Int) -> LLVMValueRef { LLVMConstInt(i64, UInt64(bitPattern: Int64(v)), 1) }
    func const32(_ v: Int) -> LLVMValueRef { LLVMConstInt(i32, UInt64(bitPattern: Int64(v)), 1) }

    /// Calls a BPF helper by number: `call (inttoptr N to fnptr)(args…)`.
    @discardableResult
    func callHelper(_ helper: BPFHelper, returns: LLVMTypeRef? = nil, _ args: [LLVMValueRef], name: String = "") -> LLVMValueRef {
        var argTypes = args.map { LLVMTypeOf($0) }
        let ret = returns ?? i64
        let fnType = argTypes.withUnsafeMutableBufferPointer {
            LLVMFunctionType(ret, $0.baseAddress, UInt32($0.count), 0)
        }
        let callee = LLVMConstIntToPtr(const64(helper.rawValue), LLVMPointerType(fnType, 0))
        var a: [LLVMValueRef?] = args
        return a.withUnsafeMutableBufferPointer {
            LLVMBuildCall2(builder, fnType, callee, $0.baseAddress, UInt32($0.count), ret == void ? "" : name)!
        }
    }

    /// `ptr + offset` as an `i8*`.
    func byteOffset(_ ptr: LLVMValueRef, _ offset: Int) -> LLVMValueRef {
        if offset == 0 { return ptr }
        var idx: [LLVMValueRef?] = [const64(offset)]
        return idx.withUnsafeMutableBufferPointer {
            LLVMBuildInBoundsGEP2(builder, i8, ptr, $0.baseAddress, 1, "")!
        }
    }

    /// `ptr + offset` as an `i8*`, with a run-time offset.
    func byteOffset(_ ptr: LLVMValueRef, _ offset: LLVMValueRef) -> LLVMValueRef {
        var idx: [LLVMValueRef?] = [offset]
        return idx.withUnsafeMutableBufferPointer {
            LLVMBuildGEP2(builder, i8, ptr, $0.baseAddress, 1, "")!
        }
    }

    /// Stores a 64-bit value at `base + offset`.
    func store64(_ value: LLVMValueRef, at base: LLVMValueRef, _ offset: Int) {
        let p = LLVMBuildBitCast(builder, byteOffset(base, offset), i64p, "")
        LLVMBuildStore(builder, value, p)
    }

    /// A BPF function `i64 name(params…)` with no unwind tables (the backend would otherwise emit
    /// an .eh_frame libbpf skips) and the debug subprogram BTF's func and line info need.
    /// `isCallback` functions (for-each, bpf_loop) are internal subprograms, not programs.
    func addFunction(_ name: String, parameters: [LLVMTypeRef], line: Int, isCallback: Bool) -> (LLVMValueRef, LLVMMetadataRef) {
        var params: [LLVMTypeRef?] = parameters
        let fnType = params.withUnsafeMutableBufferPointer {
            LLVMFunctionType(i64, $0.baseAddress, UInt32($0.count), 0)
        }
        let fn = LLVMAddFunction(module, name, fnType)!
        if isCallback { LLVMSetLinkage(fn, LLVMInternalLinkage) }
        let nounwind = LLVMCreateEnumAttribute(context, LLVMGetEnumAttributeKindForName("nounwind", 8), 0)
        LLVMAddAttributeAtIndex(fn, UInt32.max /* function index */, nounwind)
        var diTypes: [LLVMMetadataRef?] = [diInt]
        let subroutine = diTypes.withUnsafeMutableBufferPointer {
            LLVMDIBuilderCreateSubroutineType(di, diFile, $0.baseAddress, 1, LLVMDIFlags(0))
        }
        let l = UInt32(clamping: line)
        let sp = LLVMDIBuilderCreateFunction(di, diFile, name, name.utf8.count, name, name.utf8.count,
                                             diFile, l, subroutine, isCallback ? 1 : 0, 1, l, LLVMDIFlags(0), 1)!
        LLVMSetSubprogram(fn, sp)
        return (fn, sp)
    }

    /// Textual IR, for `--emit-llvm` and tests.
    func printIR() -> String {
        guard let s = LLVMPrintModuleToString(module) else { return "" }
        defer { LLVMDisposeMessage(s) }
        return String(cString: s)
    }
}
