#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `cgroup_path(id)` as bpftrace prints it: the cgroup with that id (its cgroupfs inode) in
/// every mounted hierarchy, `name:/path`, joined by commas: the cgroup2 hierarchy (`unified`)
/// first, then the v1 ones by name.
final class CgroupPaths {
    static let shared = CgroupPaths()

    struct Hierarchy {
        var name: String
        var mountPoint: String
    }

    private lazy var hierarchies: [Hierarchy] = Self.mountedHierarchies()
    private var cache: [UInt64: String] = [:]

    func text(forID id: UInt64) -> String {
        if let known = cache[id] { return known }
        let parts = hierarchies.compactMap { h in Self.find(id, under: h.mountPoint, relative: "").map { "\(h.name):\($0)" } }
        let text = parts.joined(separator: ",")
        cache[id] = text
        return text
    }

    /// From /proc/mounts: `cgroup2` as `unified`, v1 hierarchies by controller or `name=`.
    static func mountedHierarchies() -> [Hierarchy] {
        guard let bytes = readFile("/proc/mounts") else { return [] }
        var unified: [Hierarchy] = [], v1: [Hierarchy] = []
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 4 else { continue }
            let mountPoint = String(fields[1]), type = fields[2]
            if type == "cgroup2" {
                unified.append(Hierarchy(name: "unified", mountPoint: mountPoint))
            } else if type == "cgroup" {
                let options = fields[3].split(separator: ",").filter { !["rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec"].contains($0) }
                let named = options.first { $0.hasPrefix("name=") }.map { String($0.dropFirst(5)) }
                v1.append(Hierarchy(name: named ?? options.joined(separator: ","), mountPoint: mountPoint))
            }
        }
        return unified + v1.sorted { $0.name < $1.name }
    }

    /// The path (from the hierarchy's root, `/` for the root) of the directory whose inode is `id`.
    static func find(_ id: UInt64, under directory: String, relative: String) -> String? {
        var st = stat()
        guard stat(directory, &st) == 0 else { return nil }
        if UInt64(st.st_ino) == id { return relative.isEmpty ? "/" : relative }
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            if let found = find(id, under: directory + "/" + name, relative: relative + "/" + name) { return found }
        }
        return nil
    }
}
