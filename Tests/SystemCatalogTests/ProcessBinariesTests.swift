import XCTest
@testable import SystemCatalog

final class ProcessBinariesTests: XCTestCase {
    func testMappedFilesAreTheAbsolutePathsOfAMapsFile() {
        let maps = """
            00400000-00401000 r--p 00000000 08:01 1234   /tmp/my prog/app
            7f0000000000-7f0000020000 r-xp 00000000 08:01 99    /usr/lib/x86_64-linux-gnu/libc.so.6
            7f0000100000-7f0000101000 rw-p 00000000 00:00 0
            7fff00000000-7fff00001000 r-xp 00000000 00:00 0     [vdso]
            7f0000200000-7f0000201000 r--p 00000000 08:01 77    /tmp/gone.so (deleted)
            """
        XCTAssertEqual(ProcessBinaries.mappedFiles(maps), ["/tmp/my prog/app", "/usr/lib/x86_64-linux-gnu/libc.so.6"])
    }

    func testOurOwnProcessRunsItsExecutableFirst() {
        let files = ProcessBinaries.of(pid: getpid())
        XCTAssertTrue(files.first?.hasPrefix("/proc/\(getpid())/root/") ?? false, "\(files)")
        XCTAssertTrue(files.contains { $0.contains("libc") }, "\(files)")
        XCTAssertEqual(Set(files).count, files.count, "duplicates in \(files)")
    }
}
