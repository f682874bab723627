import Foundation
import XCTest
import ScriptParser
import TestSupport
@testable import SystemCatalog

/// The pieces the runtime reads probe targets with: kernel function lists, ELF symbols and USDT
/// notes (libelf), library resolution.
final class ProbeTargetPartsTests: XCTestCase {
    func testAvailableFilterFunctionsAndKallsymsParsing() {
        let filter = Array("vfs_read\nvfs_read\next4_file_open [ext4]\ndo_sys_open (0xffffffff81000000)\n".utf8)
        XCTAssertEqual(KernelFunctions.parseAvailableFilterFunctions(filter), [
            KernelFunction(name: "do_sys_open"), KernelFunction(name: "vfs_read"), KernelFunction(module: "ext4", name: "ext4_file_open"),
        ])
        let kallsyms = Array("""
            ffffffff81000000 T _stext
            ffffffff81001000 t __pfx_vfs_read
            ffffffff81001010 T vfs_read
            ffffffff81002000 D jiffies
            ffffffffc0001000 t ext4_file_open\t[ext4]
            0000000000000000 A fixed_percpu_data

            """.utf8)
        XCTAssertEqual(KernelFunctions.parseKallsyms(kallsyms), [
            KernelFunction(name: "_stext"), KernelFunction(name: "vfs_read"), KernelFunction(module: "ext4", name: "ext4_file_open"),
        ])
    }

    func testLibraryNamesResolveLikeTheLoader() throws {
        let libc = try XCTUnwrap(BinaryResolver.resolve("libc"))
        XCTAssertTrue(libc.hasSuffix("/libc.so.6"), libc)
        XCTAssertEqual(BinaryResolver.resolve("libc.so.6"), libc)
        // On PATH first: `true` is the program, not a library.
        let trueBinary = try XCTUnwrap(BinaryResolver.resolve("true"))
        XCTAssertTrue(trueBinary.hasSuffix("/true"), trueBinary)
        XCTAssertNil(BinaryResolver.resolve("libnosuchlibrary"))
        XCTAssertNil(BinaryResolver.resolve("/nonexistent/binary"))
        XCTAssertEqual(BinaryResolver.resolve("/bin/sh"), "/bin/sh")
        // LD_LIBRARY_PATH comes first.
        let dir = NSTemporaryDirectory() + "swtrace-ldpath-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: libc, toPath: dir + "/libswtest.so.1")
        XCTAssertEqual(BinaryResolver.resolve("libswtest", environment: ["LD_LIBRARY_PATH": dir]), dir + "/libswtest.so.1")
        // A text file (a linker script) is not a library.
        try "GROUP ( libc.so.6 )".write(toFile: dir + "/libscript.so", atomically: true, encoding: .utf8)
        XCTAssertNil(BinaryResolver.resolve("libscript", environment: ["LD_LIBRARY_PATH": dir, "PATH": "/nonexistent"]))
    }

    func testELFSymbolsAndUSDTNotesOfTheTestProgram() throws {
        let binary = try ProbeTestProgram.path()
        let file = try ELFFile(path: binary)
        let symbols = file.functionSymbols()
        let names = symbols.map(\.name)
        XCTAssertTrue(names.contains("main") && names.contains("sw_add") && names.contains("sw_negate"), "\(names)")
        XCTAssertEqual(names, names.sorted())
        let add = try XCTUnwrap(symbols.first { $0.name == "sw_add" })
        XCTAssertGreaterThan(add.size, 0)
        XCTAssertNotNil(file.fileOffset(ofAddress: add.address))

        let probes = USDTNotes.probes(in: file)
        XCTAssertEqual(probes.map { "\($0.provider):\($0.name)" }, ["swtest:tick", "swtest:small", "other:start"])
        XCTAssertEqual(probes[0].arguments.map(\.type), [.int32, .uint64, .int64])
        XCTAssertEqual(probes[1].arguments.map(\.type), [.integer(bits: 16, signed: true), .integer(bits: 8, signed: false)])
        XCTAssertEqual(probes[2].arguments, [])
    }

    func testNotAnELFFileIsOneSentence() {
        XCTAssertThrowsError(try ELFFile(path: "/etc/hostname")) { error in
            XCTAssertEqual("\(error)", "/etc/hostname is not an ELF file")
        }
        XCTAssertThrowsError(try ELFFile(path: "/nonexistent")) { error in
            XCTAssertEqual("\(error)", "could not open /nonexistent: No such file or directory")
        }
    }

    func testStrippedLibraryGetsItsDebugFileSymbols() throws {
        let catalog = TracefsCatalog()
        let libc = try XCTUnwrap(catalog.resolveBinary("libc"))
        let file = try ELFFile(path: libc)
        guard file.debugFilePath() != nil else { throw XCTSkip("no debug file for libc (libc6-dbg) installed") }
        let names = Set(try catalog.functionSymbols(inBinary: libc).get().map(\.name))
        XCTAssertTrue(names.contains("malloc"))
        XCTAssertTrue(names.contains("malloc_consolidate"), "a local function only the debug file names")
        XCTAssertFalse(names.contains { $0.contains(".part.") })
        // And the compiler can place it (the manifest carries the file offset), though libbpf
        // cannot find it by name.
        let symbol = try XCTUnwrap(try catalog.functionSymbols(inBinary: libc).get().first { $0.name == "malloc_consolidate" })
        XCTAssertNotNil(catalog.fileOffset(ofAddress: symbol.address, inBinary: libc))
    }

    func testUSDTArgumentSpecs() {
        XCTAssertEqual(USDTArgument.parse("-4@%eax"), USDTArgument(size: 4, isSigned: true))
        XCTAssertEqual(USDTArgument.parse("8@-8(%rbp)"), USDTArgument(size: 8, isSigned: false))
        XCTAssertEqual(USDTArgument.parse("1@$-56"), USDTArgument(size: 1, isSigned: false))
        XCTAssertNil(USDTArgument.parse("%eax"))
    }
}
