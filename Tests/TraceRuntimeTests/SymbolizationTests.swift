import TraceContract
import SystemCatalog
import Glibc
import ScriptParser
import XCTest
@testable import TraceRuntime
@testable import SystemCatalog

/// Symbol tables and the text of rendered values (ValueRenderer), without a kernel: kallsyms
/// and maps files given as text, values given as raw bytes.
final class SymbolizationTests: XCTestCase {
    static let kallsyms = """
        ffffffff81000000 T srso_alias_untrain_ret
        ffffffff81000000 T _stext
        ffffffff81000000 T _text
        ffffffff81000000 T __pi__text
        ffffffff81001000 t local_helper
        ffffffff81001000 T global_alias
        ffffffff81002000 T vfs_read
        ffffffff81002100 D some_data
        ffffffff81003000 W weak_function
        ffffffff82400000 R __start_rodata
        ffffffffc0010000 t bpf_prog_0123456789abcdef_probe_0\t[bpf]
        ffffffffc0211000 t ftrace_trampoline\t[__builtin__ftrace]

        """

    func testKernelSymbolsResolveToTheNearestCodeSymbolBelow() throws {
        let symbols = KernelSymbols(kallsyms: Array(Self.kallsyms.utf8))
        XCTAssertNil(symbols.resolve(0x1234), "below the first symbol")
        XCTAssertEqual(symbols.resolve(0xffff_ffff_8100_0000)?.name, "_text", "global, shortest name among aliases")
        XCTAssertEqual(symbols.resolve(0xffff_ffff_8100_1004)?.name, "global_alias", "global before local")
        XCTAssertEqual(symbols.resolve(0xffff_ffff_8100_1004)?.offset, 4)
        // Data symbols do not count: an address past vfs_read's data neighbour is still in vfs_read.
        XCTAssertEqual(symbols.resolve(0xffff_ffff_8100_2150)?.name, "vfs_read")
        XCTAssertEqual(symbols.resolve(0xffff_ffff_8100_2150)?.offset, 0x150)
        XCTAssertEqual(symbols.resolve(0xffff_ffff_8100_3001)?.name, "weak_function")
        XCTAssertEqual(symbols.resolve(0xffff_ffff_8240_0010)?.name, "weak_function", "rodata is skipped")
        XCTAssertEqual(symbols.resolve(0xffff_ffff_c001_0010)?.name, "bpf_prog_0123456789abcdef_probe_0")
        XCTAssertEqual(symbols.resolve(0xffff_ffff_ffff_ff00)?.name, "ftrace_trampoline")
    }

    func testKernelAddressOfANameMatchesAnyType() {
        let bytes = Array(Self.kallsyms.utf8)
        XCTAssertEqual(KernelSymbols.address(of: "vfs_read", in: bytes), 0xffff_ffff_8100_2000)
        XCTAssertEqual(KernelSymbols.address(of: "some_data", in: bytes), 0xffff_ffff_8100_2100)
        XCTAssertNil(KernelSymbols.address(of: "vfs_rea", in: bytes))
        XCTAssertNil(KernelSymbols.address(of: "nothing", in: bytes))
    }

    func testTheRunningKernelsSymbolsLoad() throws {
        try XCTSkipUnless(getuid() == 0, "kallsyms hides addresses from non-root users")
        let shared = KernelSymbols.shared
        XCTAssertFalse(shared.isEmpty)
        let readFile = try XCTUnwrap(try? readFileContents("/proc/kallsyms").get())
        let address = try XCTUnwrap(KernelSymbols.address(of: "vfs_read", in: readFile))
        XCTAssertEqual(shared.resolve(address)?.name, "vfs_read")
        XCTAssertEqual(shared.resolve(address + 7)?.offset, 7)
    }

    func testProcessMappingsKeepExecutableFileMappings() {
        let maps = """
            55d0c0a00000-55d0c0a01000 r--p 00000000 08:01 1234                       /tmp/prog
            55d0c0a01000-55d0c0a02000 r-xp 00001000 08:01 1234                       /tmp/prog
            7f0000000000-7f0000100000 r-xp 00028000 08:01 99                         /usr/lib/x86_64-linux-gnu/libc.so.6
            7f0000200000-7f0000201000 r-xp 00000000 08:01 77                         /tmp/gone (deleted)
            7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
            7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0                          [vdso]
            7ffd00200000-7ffd00201000 r-xp 00000000 00:00 0

            """
        let parsed = ProcessMappings.parse(Array(maps.utf8))
        XCTAssertEqual(parsed.map(\.path), ["/tmp/prog", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/tmp/gone"])
        XCTAssertEqual(parsed[0].start, 0x55d0_c0a0_1000)
        XCTAssertEqual(parsed[0].fileOffset, 0x1000)
        let process = ProcessMappings(pid: 1, mappings: parsed)
        XCTAssertEqual(process.mapping(containing: 0x7f00_0000_0010)?.path, "/usr/lib/x86_64-linux-gnu/libc.so.6")
        XCTAssertNil(process.mapping(containing: 0x7ffd_0010_0010), "[vdso] has no file")
    }

    /// This process's own `getpid` (in libc) resolves through /proc/self/maps and libc's symbols.
    func testUserAddressesResolveThroughTheProcessMappings() throws {
        let handle = dlopen(nil, RTLD_NOW)
        let address = UInt64(UInt(bitPattern: try XCTUnwrap(dlsym(handle, "getpid"))))
        let renderer = ValueRenderer(object: nil)
        let resolved = try XCTUnwrap(renderer.userSymbol(address, pid: getpid()))
        XCTAssertTrue(resolved.name.contains("getpid"), resolved.name)
        XCTAssertEqual(resolved.offset, 0)
        XCTAssertNil(renderer.userSymbol(8, pid: getpid()), "not in any mapping")
    }

    // MARK: Rendered values

    func render(_ r: Rendering, _ words: [UInt64], bytes: [UInt8] = [], place: ValueRenderer.Place = .value) -> String {
        var raw = words.flatMap { w in (0..<8).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } } + bytes
        raw += [UInt8](repeating: 0, count: max(0, r.size - raw.count))
        return raw.withUnsafeBytes { ValueRenderer(object: nil).text(r, $0, at: 0, place: place) }
    }

    func testBuffersEscapeWhatIsNotPrintable() {
        XCTAssertEqual(render(.buffer(capacity: 8), [5], bytes: [0x61, 0x62, 0x01, 0xff, 0x0a]), #"ab\x01\xff\x0a"#)
        XCTAssertEqual(render(.buffer(capacity: 8), [2], bytes: [0x61, 0x62, 0x63]), "ab", "only the length is printed")
        XCTAssertEqual(render(.buffer(capacity: 4), [99], bytes: [0x61, 0, 0x09, 0x7f]), #"a\x00\x09\x7f"#, "length capped")
    }

    func testNetworkAddresses() {
        XCTAssertEqual(render(.inetAddress, [2], bytes: [127, 0, 0, 1]), "127.0.0.1")
        XCTAssertEqual(render(.inetAddress, [10], bytes: [Array(repeating: 0, count: 15), [1]].flatMap { $0 }), "::1")
        XCTAssertEqual(render(.macAddress, [], bytes: [0x00, 0x1a, 0x2b, 0xc3, 0xd4, 0xef]), "00:1A:2B:C3:D4:EF")
        XCTAssertEqual(render(.byteArray(count: 4), [], bytes: [1, 2, 3, 4]), "[1,2,3,4]")
    }

    func testSymbolsErrnoAndUsers() {
        XCTAssertEqual(render(.kernelSymbol, [0]), "0", "a null pointer prints as C++ streams print it")
        XCTAssertEqual(render(.kernelSymbol, [0x1234]), "0x1234")
        XCTAssertEqual(render(.errorText, [2]), "No such file or directory")
        XCTAssertEqual(render(.signalName, [15]), "SIGTERM")
        XCTAssertEqual(render(.signalName, [9]), "SIGKILL")
        XCTAssertEqual(render(.signalName, [34]), "SIGRTMIN")
        XCTAssertEqual(render(.signalName, [36]), "SIGRTMIN+2")
        XCTAssertEqual(render(.signalName, [64]), "SIGRTMAX")
        XCTAssertEqual(render(.signalName, [0]), "UNKNOWN")
        XCTAssertEqual(render(.signalName, [UInt64(bitPattern: -1)]), "UNKNOWN")
        XCTAssertEqual(render(.username, [0]), "root")
        XCTAssertEqual(render(.username, [4_000_000_000]), "4000000000", "a uid without a name prints as a number")
    }

    func testTimestampsAreWallClockFromBoot() {
        let renderer = ValueRenderer(object: nil)
        var boot = timespec()
        clock_gettime(CLOCK_BOOTTIME, &boot)
        let sinceBoot = UInt64(boot.tv_sec) * 1_000_000_000 + UInt64(boot.tv_nsec)
        var now = time_t()
        time(&now)
        let year = ValueRenderer.strftimeText("%Y", seconds: &now)
        XCTAssertEqual(renderer.timestampText("%Y", nanosecondsSinceBoot: sinceBoot), year)
        let micro = renderer.timestampText("%f", nanosecondsSinceBoot: sinceBoot)
        XCTAssertEqual(micro.count, 6)
        XCTAssertTrue(micro.allSatisfy(\.isNumber), micro)
        XCTAssertEqual(ValueRenderer.expandingMicroseconds("%H:%M %f %%f 100%", "000042"), "%H:%M 000042 %%f 100%")
    }

    func testStacksWithoutFramesAreAnEmptyLine() {
        // No object: no frames can be read, as for a stack the kernel failed to record.
        XCTAssertEqual(render(.stack(StackType(user: false)), [UInt64(bitPattern: -17), 0]), "\n")
    }

    func testPrintfTakesRenderedValuesUnderPercentS() {
        let format = PrintfFormat("[%-10s][%5s][%s]\n")
        let slots = [ArgumentSlot(offset: 8, kind: .rendered(.errorText)),
                     ArgumentSlot(offset: 16, kind: .rendered(.kernelSymbol)),
                     ArgumentSlot(offset: 24, kind: .rendered(.buffer(capacity: 8)))]
        var record = [UInt8](repeating: 0, count: 48)
        record[8] = 1  // EPERM
        record[16] = 0x12
        record[24] = 2
        record[32] = 0x68
        record[33] = 0x69
        let text = record.withUnsafeBytes { String(decoding: EventFormatter.render(format, slots, $0), as: UTF8.self) }
        XCTAssertEqual(text, "[Operation not permitted][ 0x12][hi]\n")
    }
}
