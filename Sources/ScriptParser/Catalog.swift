/// What the front end needs to know about the running system. `swtrace` implements it over
/// tracefs and BTF; tests use a fixture. Implementations read lazily: one format file when one
/// tracepoint is named, the full list only for wildcards and "did you mean" suggestions.
public protocol Catalog: AnyObject {
    /// Every tracepoint on the system (tracefs `available_events`).
    func tracepoints() -> [TracepointID]
    /// The parsed `format` file of one tracepoint, or nil when it does not exist.
    func tracepointFormat(_ id: TracepointID) -> TracepointFormat?
}

/// `category:name` of a tracepoint, e.g. `syscalls:sys_enter_execve`.
public struct TracepointID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var category: String
    public var name: String
    public init(category: String, name: String) { self.category = category; self.name = name }
    public var description: String { "\(category):\(name)" }
    public static func < (a: TracepointID, b: TracepointID) -> Bool {
        (a.category, a.name) < (b.category, b.name)
    }
}

/// One field of a tracepoint's record, from a line of its tracefs `format` file:
/// `field:const char * filename;	offset:16;	size:8;	signed:0;`
public struct TracepointField: Equatable, Sendable {
    /// The text between `field:` and `;`: `const char * filename`, `char comm[16]`, `__data_loc char[] name`.
    public var declaration: String
    /// The C type without the field name and array suffix: `const char *`, `char`, `__data_loc char[]`.
    public var cType: String
    public var name: String
    public var offset: Int
    public var size: Int
    public var isSigned: Bool
    /// `char comm[16]` → 16; nil when not an array.
    public var arrayCount: Int?
    /// `__data_loc` fields hold a u32: low 16 bits offset of the data in the record, high 16 its length.
    public var isDataLoc: Bool
    /// `common_type`, `common_pid`, …: present in every record, hidden by listings.
    public var isCommon: Bool

    public init(declaration: String, cType: String, name: String, offset: Int, size: Int, isSigned: Bool,
                arrayCount: Int?, isDataLoc: Bool, isCommon: Bool) {
        self.declaration = declaration; self.cType = cType; self.name = name; self.offset = offset
        self.size = size; self.isSigned = isSigned; self.arrayCount = arrayCount
        self.isDataLoc = isDataLoc; self.isCommon = isCommon
    }
}

/// A tracepoint's record layout, parsed from tracefs `events/CATEGORY/NAME/format`.
public struct TracepointFormat: Equatable, Sendable {
    public var id: TracepointID
    /// The `ID:` line; the kernel's event id.
    public var eventID: Int?
    /// All fields in file order, the common ones first.
    public var fields: [TracepointField]
    public init(id: TracepointID, eventID: Int?, fields: [TracepointField]) {
        self.id = id; self.eventID = eventID; self.fields = fields
    }
    public func field(named name: String) -> TracepointField? { fields.first { $0.name == name } }
}
