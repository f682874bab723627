import TraceContract
import CLLVM
import ScriptParser

/// Options for turning a typed program into a BPF object.
public struct CodegenOptions: Sendable {
    /// Keep the unoptimised IR text in the artifact (`--emit-llvm`).
    public var keepIR = false
    /// Run LLVM's scalar optimisations; off only to debug codegen itself.
    public var optimize = true
    public init(keepIR: Bool = false, optimize: Bool = true) { self.keepIR = keepIR; self.optimize = optimize }
}

/// Typed program → LLVM IR → verified, optimised module → BPF ELF object in memory.
public enum ObjectEmitter {
    /// The LLVM release the BPF backend comes from (`--info`).
    public static let llvmVersion: String = LLVM_VERSION_STRING
    /// The BPF target machine, made once per process (`v3`: 32-bit jumps and ALU, kernel ≥ 5.1).
    private static let targetMachine: LLVMTargetMachineRef? = {
        LLVMInitializeBPFTargetInfo()
        LLVMInitializeBPFTarget()
        LLVMInitializeBPFTargetMC()
        LLVMInitializeBPFAsmPrinter()
        var target: LLVMTargetRef?
        var error: UnsafeMutablePointer<CChar>?
        guard LLVMGetTargetFromTriple("bpfel", &target, &error) == 0, let target else {
            if let error { LLVMDisposeMessage(error) }
            return nil
        }
        return LLVMCreateTargetMachine(target, "bpfel", "v3", "", LLVMCodeGenLevelDefault,
                                       LLVMRelocDefault, LLVMCodeModelDefault)
    }()

    public static func compile(_ program: TypedProgram, options: CodegenOptions = CodegenOptions()) throws -> Artifact {
        guard let tm = targetMachine else { throw CodegenError("LLVM has no BPF target") }
        let gen = IRGen(program: program)
        try gen.generate()
        let ir = options.keepIR ? gen.m.printIR() : nil

        var message: UnsafeMutablePointer<CChar>?
        if LLVMVerifyModule(gen.m.module, LLVMReturnStatusAction, &message) != 0 {
            let text = message.map { String(cString: $0) } ?? "invalid module"
            if let message { LLVMDisposeMessage(message) }
            throw CodegenError("internal error: generated LLVM IR is invalid: \(text)")
        }
        if let message { LLVMDisposeMessage(message) }

        if options.optimize {
            // A few scalar passes through the legacy pass manager rather than LLVMRunPasses'
            // default<O2>: the PassBuilder links every LLVM pass in, which costs start-up
            // ~9 MB of resident memory and time for code BPF programs never need (no
            // vectorizer, no inliner across functions, no coroutines).
            let pm = LLVMCreatePassManager()
            defer { LLVMDisposePassManager(pm) }
            LLVMAddScalarReplAggregatesPass(pm)
            LLVMAddEarlyCSEPass(pm)
            LLVMAddInstructionCombiningPass(pm)
            LLVMAddCFGSimplificationPass(pm)
            LLVMAddDeadStoreEliminationPass(pm)
            LLVMAddCFGSimplificationPass(pm)
            LLVMRunPassManager(pm, gen.m.module)
        }

        var buffer: LLVMMemoryBufferRef?
        if LLVMTargetMachineEmitToMemoryBuffer(tm, gen.m.module, LLVMObjectFile, &message, &buffer) != 0 {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            if let message { LLVMDisposeMessage(message) }
            throw CodegenError("LLVM could not emit the BPF object: \(text)")
        }
        guard let buffer, let start = LLVMGetBufferStart(buffer) else { throw CodegenError("LLVM emitted no object") }
        defer { LLVMDisposeMemoryBuffer(buffer) }
        let size = LLVMGetBufferSize(buffer)
        let bytes = UnsafeRawBufferPointer(start: start, count: size)
        var manifest = gen.manifest
        manifest.script = ScriptText(name: program.source.name, text: program.source.text)
        return Artifact(object: Array(bytes), manifest: manifest, llvmIR: ir)
    }
}

/// What codegen produces: the BPF object and its manifest, plus the IR when asked for.
public struct Artifact: Sendable {
    public var object: [UInt8]
    public var manifest: Manifest
    /// Textual LLVM IR before optimisation, when asked for (`--emit-llvm`).
    public var llvmIR: String?
    /// The object and manifest alone: what the runtime (or an AOT executable) takes.
    public var compiled: CompiledTrace { CompiledTrace(object: object, manifest: manifest) }
}
