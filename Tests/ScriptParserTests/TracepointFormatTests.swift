import Foundation
import XCTest
@testable import ScriptParser

/// `TracepointFormat.parse` on the fixture copies, on hand-made edge cases, and on every format
/// file of the machine running the tests.
final class TracepointFormatTests: XCTestCase {
    private func fixture(_ name: String) throws -> TracepointFormat {
        let id = try XCTUnwrap(FixtureCatalog.id(name))
        let text = try XCTUnwrap(FixtureCatalog.formatTexts[name], "no fixture for \(name)")
        return try XCTUnwrap(TracepointFormat.parse(id: id, text: text), "\(name) did not parse")
    }

    private func field(_ decl: String, offset: Int = 8, size: Int = 8, signed: Int = 0) -> String {
        "\tfield:\(decl);\toffset:\(offset);\tsize:\(size);\tsigned:\(signed);"
    }

    private let commonFields = """
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
        \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
        \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;
        """

    /// A format file with the usual common fields and `own` as the event's field lines.
    private func formatText(_ own: [String]) -> String {
        "name: test\nID: 7\nformat:\n\(commonFields)\n\n" + own.joined(separator: "\n")
            + "\n\nprint fmt: \"x\", REC->x\n"
    }

    private let testID = TracepointID(category: "test", name: "test")

    // MARK: Fixtures

    func testSysEnterExecve() throws {
        let f = try fixture("syscalls:sys_enter_execve")
        XCTAssertEqual(f.id, TracepointID(category: "syscalls", name: "sys_enter_execve"))
        XCTAssertEqual(f.eventID, 862)
        XCTAssertEqual(f.fields.map(\.name),
                       ["common_type", "common_flags", "common_preempt_count", "common_pid",
                        "__syscall_nr", "filename", "argv", "envp"])
        XCTAssertEqual(f.fields.map(\.isCommon), [true, true, true, true, false, false, false, false])
        XCTAssertEqual(f.field(named: "filename"), TracepointField(
            declaration: "const char * filename", cType: "const char *", name: "filename", offset: 16,
            size: 8, isSigned: false, arrayCount: nil, isDataLoc: false, isCommon: false))
        XCTAssertEqual(f.field(named: "argv")?.declaration, "const char *const * argv")
        XCTAssertEqual(f.field(named: "argv")?.cType, "const char *const *")
        XCTAssertEqual(f.field(named: "__syscall_nr")?.cType, "int")
        XCTAssertEqual(f.field(named: "__syscall_nr")?.isSigned, true)
        XCTAssertEqual(f.field(named: "common_pid")?.offset, 4)
        XCTAssertEqual(f.field(named: "common_type")?.cType, "unsigned short")
    }

    func testSchedProcessExecDataLoc() throws {
        let f = try fixture("sched:sched_process_exec")
        XCTAssertEqual(f.field(named: "filename"), TracepointField(
            declaration: "__data_loc char[] filename", cType: "__data_loc char[]", name: "filename",
            offset: 8, size: 4, isSigned: false, arrayCount: nil, isDataLoc: true, isCommon: false))
        XCTAssertEqual(f.field(named: "pid")?.cType, "pid_t")
        XCTAssertEqual(f.field(named: "old_pid")?.offset, 16)
        XCTAssertEqual(f.fields.filter { !$0.isCommon }.map(\.name), ["filename", "pid", "old_pid"])
    }

    func testSchedSwitchArrays() throws {
        let f = try fixture("sched:sched_switch")
        let comm = try XCTUnwrap(f.field(named: "prev_comm"))
        XCTAssertEqual(comm.declaration, "char prev_comm[16]")
        XCTAssertEqual(comm.cType, "char")
        XCTAssertEqual(comm.arrayCount, 16)
        XCTAssertEqual(comm.size, 16)
        XCTAssertFalse(comm.isDataLoc)
        XCTAssertEqual(f.field(named: "prev_state")?.cType, "long")
        XCTAssertEqual(f.field(named: "prev_state")?.isSigned, true)
        XCTAssertEqual(f.field(named: "next_comm")?.offset, 40)
        XCTAssertNil(f.field(named: "next_pid")?.arrayCount)
    }

    func testEveryFixtureParsesCompletely() throws {
        for (name, text) in FixtureCatalog.formatTexts {
            let f = try fixture(name)
            let fieldLines = text.split(separator: "\n").filter { $0.hasPrefix("\tfield:") }
            XCTAssertEqual(f.fields.count, fieldLines.count, name)
            XCTAssertEqual(f.fields.filter(\.isCommon).map(\.name),
                           ["common_type", "common_flags", "common_preempt_count", "common_pid"], name)
            XCTAssertNotNil(f.eventID, name)
        }
    }

    func testFixtureCatalog() throws {
        let catalog = FixtureCatalog()
        let all = catalog.tracepoints()
        XCTAssertEqual(all, all.sorted())
        XCTAssertEqual(Set(all).count, all.count)
        XCTAssertGreaterThanOrEqual(all.count, 13 + 40)
        XCTAssertTrue(all.contains(TracepointID(category: "sched", name: "sched_wakeup_new")))
        // Names without a fixture exist but have no format.
        XCTAssertNil(catalog.tracepointFormat(TracepointID(category: "sched", name: "sched_wakeup_new")))
        XCTAssertNil(catalog.tracepointFormat(TracepointID(category: "nosuch", name: "event")))
        let id = TracepointID(category: "sched", name: "sched_wakeup")
        XCTAssertEqual(catalog.tracepointFormat(id)?.field(named: "target_cpu")?.size, 4)
        XCTAssertEqual(catalog.formatRequests.last, id)
        // Every fixture with a format is also in the list.
        for name in FixtureCatalog.formatTexts.keys {
            XCTAssertTrue(all.contains(try XCTUnwrap(FixtureCatalog.id(name))), name)
        }
    }

    // MARK: Edge cases seen in real kernels

    func testFlexibleArray() throws {
        let f = try XCTUnwrap(TracepointFormat.parse(id: testID, text: formatText([
            field("unsigned long ip"), field("unsigned long args[]", offset: 24, size: 0),
        ])))
        let args = try XCTUnwrap(f.field(named: "args"))
        XCTAssertEqual(args.cType, "unsigned long")
        XCTAssertEqual(args.arrayCount, 0)
        XCTAssertEqual(args.size, 0)
    }

    func testSymbolicArrayLengthFromOlderKernels() throws {
        let f = try XCTUnwrap(TracepointFormat.parse(id: testID, text: formatText([
            field("char comm[TASK_COMM_LEN]", size: 16), field("u32 ids[NR_IDS]", offset: 24, size: 12),
            field("struct foo bar[N]", offset: 36, size: 12),
        ])))
        XCTAssertEqual(f.field(named: "comm")?.arrayCount, 16)
        XCTAssertEqual(f.field(named: "comm")?.cType, "char")
        XCTAssertEqual(f.field(named: "ids")?.arrayCount, 3)
        XCTAssertNil(f.field(named: "bar")?.arrayCount, "element size unknown: no guess")
        XCTAssertEqual(f.field(named: "bar")?.cType, "struct foo")
    }

    func testConstPointerAndDataLocArrays() throws {
        let f = try XCTUnwrap(TracepointFormat.parse(id: testID, text: formatText([
            field("const struct landlock_ruleset_attr *const attr"),
            field("__data_loc unsigned int[] lengths", offset: 16, size: 4),
            field("__data_loc u64[] addrs", offset: 20, size: 4),
        ])))
        XCTAssertEqual(f.field(named: "attr")?.cType, "const struct landlock_ruleset_attr *const")
        XCTAssertEqual(f.field(named: "lengths")?.cType, "__data_loc unsigned int[]")
        XCTAssertEqual(f.field(named: "lengths")?.isDataLoc, true)
        XCTAssertNil(f.field(named: "lengths")?.arrayCount)
        XCTAssertEqual(f.field(named: "addrs")?.cType, "__data_loc u64[]")
    }

    func testWithoutBlankLineCommonFollowsNames() throws {
        let text = "name: t\nID: 1\nformat:\n\(commonFields)\n\(field("int x"))\nprint fmt: \"\"\n"
        let f = try XCTUnwrap(TracepointFormat.parse(id: testID, text: text))
        XCTAssertEqual(f.fields.map(\.isCommon), [true, true, true, true, false])
    }

    func testNoOwnFieldsAndNoPrintFmt() throws {
        let text = "name: t\nID: 1\nformat:\n\(commonFields)\n\n"
        let f = try XCTUnwrap(TracepointFormat.parse(id: testID, text: text))
        XCTAssertEqual(f.fields.count, 4)
        XCTAssertTrue(f.fields.allSatisfy(\.isCommon))
    }

    func testMissingSignedAndCRLF() throws {
        let text = "name: t\r\nID: 9\r\nformat:\r\n\tfield:int x;\toffset:8;\tsize:4;\r\n\r\nprint fmt: \"\"\r\n"
        let f = try XCTUnwrap(TracepointFormat.parse(id: testID, text: text))
        XCTAssertEqual(f.eventID, 9)
        XCTAssertEqual(f.field(named: "x")?.isSigned, false)
        XCTAssertEqual(f.field(named: "x")?.size, 4)
    }

    func testRejectsWhatIsNotAFormatFile() {
        let bad = [
            "",
            "name: x\nID: 1\n",  // no format: section
            formatText([field("int")]),  // no name
            formatText([field("x")]),  // no type
            formatText([field("int 9lives")]),  // name starting with a digit
            formatText(["\tfield:int x;\tsize:4;\tsigned:1;"]),  // no offset
            formatText(["\tfield:int x;\toffset:8;\tsigned:1;"]),  // no size
            formatText(["\tfield:int x;\toffset:-8;\tsize:4;\tsigned:1;"]),
            formatText(["\tfield:int x;\toffset:8;\tsize:99999999999999999999999;\tsigned:1;"]),
            formatText(["\tsomething else"]),
        ]
        for text in bad {
            XCTAssertNil(TracepointFormat.parse(id: testID, text: text), text)
        }
    }

    /// Every prefix of every fixture, and byte-flipped copies, parse or fail without trapping.
    func testTruncatedAndCorruptedInputNeverTraps() {
        var rng = SplitMix64(seed: 0x5eed)
        let junk: [UInt8] = Array("\t\n;:[] *\r0-9".utf8) + [0, 0xff]
        for text in FixtureCatalog.formatTexts.values {
            var prefix = ""
            for ch in text {
                prefix.append(ch)
                _ = TracepointFormat.parse(id: testID, text: prefix)
            }
            for _ in 0..<200 {
                var bytes = Array(text.utf8)
                for _ in 0..<3 {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    bytes[i] = junk[Int(rng.next() % UInt64(junk.count))]
                }
                _ = TracepointFormat.parse(id: testID, text: String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    // MARK: This machine

    /// Parses every `events/*/*/format` of the running kernel: each must parse, every field line
    /// must become a field with the same declaration, and the layout must be plausible.
    func testEveryFormatFileOnThisMachine() throws {
        let roots = ["/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"]
        guard let events = roots.first(where: { FileManager.default.isReadableFile(atPath: $0 + "/sched/sched_switch/format") }) else {
            throw XCTSkip("tracefs is not readable here (not root, or not mounted: mount -t tracefs tracefs /sys/kernel/tracing)")
        }
        let fm = FileManager.default
        var parsedFiles = 0, parsedFields = 0
        for category in try fm.contentsOfDirectory(atPath: events).sorted() {
            let categoryPath = events + "/" + category
            guard let names = try? fm.contentsOfDirectory(atPath: categoryPath) else { continue }
            for name in names.sorted() {
                let path = categoryPath + "/" + name + "/format"
                // tracefs reports size 0: read to end of file, not by size.
                guard let handle = FileHandle(forReadingAtPath: path) else { continue }
                let data = handle.readDataToEndOfFile()
                try? handle.close()
                let text = String(decoding: data, as: UTF8.self)
                let id = TracepointID(category: category, name: name)
                guard let format = TracepointFormat.parse(id: id, text: text) else {
                    XCTFail("\(path) did not parse")
                    continue
                }
                parsedFiles += 1
                checkFormat(format, against: text, path: path)
                parsedFields += format.fields.count
            }
        }
        XCTAssertGreaterThan(parsedFiles, 100, "too few format files found under \(events)")
        print("parsed \(parsedFiles) format files, \(parsedFields) fields")
    }

    private func checkFormat(_ format: TracepointFormat, against text: String, path: String) {
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("\tfield:") }
        XCTAssertEqual(format.fields.count, lines.count, "\(path): field lines lost")
        XCTAssertNotNil(format.eventID, path)
        let commonEnd = format.fields.filter(\.isCommon).map { $0.offset + $0.size }.max() ?? 0
        XCTAssertGreaterThan(commonEnd, 0, "\(path): no common fields")
        for (field, line) in zip(format.fields, lines) {
            let where_ = "\(path): \(field.name)"
            // The declaration is exactly the text between `field:` and the first `;`.
            let expected = line.dropFirst("\tfield:".count).prefix { $0 != ";" }
            XCTAssertEqual(field.declaration, String(expected), where_)
            XCTAssertTrue(line.contains("\tsigned:\(field.isSigned ? 1 : 0);"), where_)
            XCTAssertTrue(line.contains("\toffset:\(field.offset);\tsize:\(field.size);"), where_)
            XCTAssertFalse(field.name.isEmpty, where_)
            XCTAssertFalse(field.cType.isEmpty, where_)
            XCTAssertTrue(field.declaration.hasPrefix(field.cType), where_)
            XCTAssertTrue(field.declaration.contains(field.name), where_)
            XCTAssertEqual(field.isCommon, field.name.hasPrefix("common_"), where_)
            XCTAssertLessThanOrEqual(field.offset + field.size, 65536, where_)
            if !field.isCommon { XCTAssertGreaterThanOrEqual(field.offset, commonEnd, where_) }
            if field.isDataLoc { XCTAssertEqual(field.size, 4, where_) }
            if let n = field.arrayCount, n > 0 { XCTAssertEqual(field.size % n, 0, where_) }
            if field.arrayCount == 0 { XCTAssertEqual(field.size, 0, "\(where_): flexible array") }
        }
        // Fields do not overlap.
        let byOffset = format.fields.sorted { ($0.offset, $0.size) < ($1.offset, $1.size) }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) {
            XCTAssertLessThanOrEqual(a.offset + a.size, b.offset, "\(path): \(a.name) overlaps \(b.name)")
        }
    }
}

/// A small deterministic generator, so the corruption test is the same on every run.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
