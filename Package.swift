// swift-tools-version:5.10
import Foundation
import PackageDescription

// LLVM is linked statically, BPF target and the scalar passes only: the shared libLLVM
// costs ~30 ms and ~40 MB of RSS at start-up, most of our start-up budget (see bench/);
// calling the new pass manager's PassBuilder would pull in every pass (~9 MB more), so
// codegen uses a few passes through the legacy manager. Only referenced archive members
// are linked, so listing a library costs nothing by itself.
let llvmLibraries = [
    "LLVMPasses", "LLVMObjCARCOpts", "LLVMCoroutines", "LLVMBPFCodeGen", "LLVMSelectionDAG",
    "LLVMipo", "LLVMInstrumentation", "LLVMVectorize", "LLVMLinker", "LLVMIRReader",
    "LLVMAsmParser", "LLVMFrontendOpenMP", "LLVMBPFDesc", "LLVMBPFInfo", "LLVMAsmPrinter",
    "LLVMDebugInfoMSF", "LLVMCodeGen", "LLVMTarget", "LLVMScalarOpts", "LLVMInstCombine",
    "LLVMAggressiveInstCombine", "LLVMTransformUtils", "LLVMBitWriter", "LLVMAnalysis",
    "LLVMProfileData", "LLVMDebugInfoDWARF", "LLVMObject", "LLVMTextAPI", "LLVMMCParser",
    "LLVMMC", "LLVMDebugInfoCodeView", "LLVMBitReader", "LLVMCore", "LLVMRemarks",
    "LLVMBitstreamReader", "LLVMBinaryFormat", "LLVMSupport", "LLVMDemangle",
]
let llvmLinkFlags: [String] =
    ["-L/usr/lib/llvm-14/lib", "-Xlinker", "--gc-sections", "-Xlinker", "--start-group"]
    + llvmLibraries.flatMap { ["-Xlinker", "-l\($0)"] }
    + ["-Xlinker", "--end-group", "-lstdc++", "-lz", "-ltinfo", "-lrt", "-ldl", "-lm"]

// The release executable links the Swift runtime statically and with lld, its functions in
// the order a run first calls them (link/symbol-order.txt, made by link/make-symbol-order):
// the code a run touches is then a few contiguous megabytes instead of pages scattered over
// 30 MB of LLVM and Swift libraries (peak RSS of `BEGIN { exit(); }`: 30 MB -> 17 MB).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let startupLinkFlags: [String] = [
    "-static-stdlib", "-use-ld=lld",
    // FoundationEssentials (through ArgumentParser) needs these; its static module does not say so.
    "-l_FoundationCollections", "-l_FoundationCShims", "-lswiftSynchronization",
    "-Xlinker", "--symbol-ordering-file=\(packageRoot)/link/symbol-order.txt",
    "-Xlinker", "--no-warn-symbol-ordering",
]

let package = Package(
    name: "swtrace",
    products: [
        .executable(name: "swtrace", targets: ["swtrace"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CLLVM", path: "Sources/CLLVM"),
        .systemLibrary(name: "CBPF", path: "Sources/CBPF", pkgConfig: "libbpf",
                       providers: [.apt(["libbpf-dev", "libelf-dev"])]),
        .target(name: "ScriptParser"),
        .target(
            name: "BPFCodegen",
            dependencies: ["ScriptParser", "CLLVM"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-14/include"])],
            linkerSettings: [.unsafeFlags(llvmLinkFlags)]
        ),
        .target(
            name: "TraceRuntime",
            dependencies: ["ScriptParser", "BPFCodegen", "CBPF"]
        ),
        .executableTarget(
            name: "swtrace",
            dependencies: [
                "ScriptParser", "BPFCodegen", "TraceRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: [.unsafeFlags(startupLinkFlags, .when(configuration: .release))]
        ),
        .testTarget(name: "ScriptParserTests", dependencies: ["ScriptParser"],
                    resources: [.copy("Scripts")]),
        .testTarget(name: "BPFCodegenTests", dependencies: ["BPFCodegen", "TraceRuntime"],
                    swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-14/include"])]),
        .testTarget(name: "TraceRuntimeTests", dependencies: ["TraceRuntime"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TraceRuntime"]),
    ]
)
