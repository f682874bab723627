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
        .executable(name: "swtrace-runtime", targets: ["swtrace-runtime"]),
        .executable(name: "swtrace-fuzz", targets: ["swtrace-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CLLVM", path: "Sources/CLLVM"),
        .systemLibrary(name: "CBPF", path: "Sources/CBPF", pkgConfig: "libbpf",
                       providers: [.apt(["libbpf-dev", "libelf-dev"])]),
        // What compile time hands run time: the Manifest and the value vocabulary it speaks.
        // No LLVM, no libbpf: an AOT runtime links it without the compiler.
        .target(name: "TraceContract"),
        .target(name: "ScriptParser", dependencies: ["TraceContract"]),
        // Knowing the running system: tracefs, BTF, symbols, ELF, USDT notes, probe listing.
        .target(name: "SystemCatalog", dependencies: ["ScriptParser", "TraceContract", "CBPF"]),
        .target(
            name: "BPFCodegen",
            dependencies: ["ScriptParser", "TraceContract", "CLLVM"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-14/include"])],
            linkerSettings: [.unsafeFlags(llvmLinkFlags)]
        ),
        // Running a trace: load, attach, the event loop, decoding and output. Consumes only the
        // Manifest and the object's bytes, so it never links LLVM.
        .target(name: "TraceRuntime", dependencies: ["TraceContract", "SystemCatalog", "CBPF"]),
        .executableTarget(
            name: "swtrace",
            dependencies: [
                "ScriptParser", "BPFCodegen", "SystemCatalog", "TraceRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: [.unsafeFlags(startupLinkFlags, .when(configuration: .release))]
        ),
        // The fuzzer runs the built swtrace as a subprocess: it links none of swtrace's modules.
        .executableTarget(
            name: "swtrace-fuzz",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The AOT runtime (`swtrace --aot`): TraceRuntime and the flags, no LLVM. The Swift
        // runtime is linked in, so the executable runs where no Swift toolchain is installed.
        .executableTarget(
            name: "swtrace-runtime",
            dependencies: ["TraceRuntime", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "-l_FoundationCollections", "-Xlinker", "-l_FoundationCShims", "-Xlinker", "-lswiftSynchronization", "-Xlinker", "--gc-sections", "-Xlinker", "-s"])]
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ScriptParserTests", dependencies: ["ScriptParser", "TestSupport"],
                    resources: [.copy("Scripts")]),
        .testTarget(name: "BPFCodegenTests",
                    dependencies: ["BPFCodegen", "SystemCatalog", "TraceRuntime", "TestSupport"],
                    swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-14/include"])]),
        .testTarget(name: "SystemCatalogTests", dependencies: ["SystemCatalog", "TestSupport"]),
        .testTarget(name: "TraceRuntimeTests", dependencies: ["TraceRuntime", "SystemCatalog", "TestSupport"],
                    exclude: ["make-golden.sh"]),
        // The scripts are read from the source tree (#filePath), not bundled.
        .testTarget(name: "EndToEndTests", dependencies: ["SystemCatalog", "TestSupport"], exclude: ["Scripts"]),
    ]
)
