import CLLVM
import Glibc
import ScriptParser

/// Options for turning a typed program into a BPF object.
public struct CodegenOptions: Sendable {
    /// Keep the unoptimised IR text in the artifact (`--emit-llvm`).
    public var keepIR = false
    /// Run LLVM's O2 pipeline; off only to debug codegen itself.
    public var optimize = true
    public init(keepIR: Bool = false, optimize: Bool = true) { self.keepIR = keepIR; self.optimize = optimize }
}

/// Typed program → LLVM IR → verified, optimised module → BPF ELF object in memory.
public enum ObjectEmitter {
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
            let passOptions = LLVMCreatePassBuilderOptions()
            defer { LLVMDisposePassBuilderOptions(passOptions) }
            let pipeline = getenv("SWTRACE_PASSES").map { String(cString: $0) } ?? "default<O2>"
            if let err = LLVMRunPasses(gen.m.module, pipeline, tm, passOptions) {
                let text = LLVMGetErrorMessage(err)
                defer { LLVMDisposeErrorMessage(text) }
                throw CodegenError("LLVM optimisation failed: \(text.map { String(cString: $0) } ?? "")")
            }
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
        return Artifact(object: Array(bytes), manifest: gen.manifest, llvmIR: ir)
    }
}
