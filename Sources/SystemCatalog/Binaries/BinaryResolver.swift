import Glibc

/// Finds the file a uprobe or USDT probe names: a path as written, a program on `PATH`, or a
/// library name the way the dynamic loader finds it (`libc` → `/lib/x86_64-linux-gnu/libc.so.6`).
///
/// The loader's own cache (`/etc/ld.so.cache`) is a binary format of glibc's; instead the
/// directories it is built from are searched in the loader's order: `LD_LIBRARY_PATH`, the
/// directories of `/etc/ld.so.conf` (with its `include`s), then the trusted defaults.
public enum BinaryResolver {
    /// The path `name` means, or nil when nothing matches.
    public static func resolve(_ name: String, environment: [String: String] = currentEnvironment()) -> String? {
        guard !name.isEmpty else { return nil }
        if name.contains("/") { return isRegularFile(name) ? name : nil }
        if let onPath = searchPath(name, environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") {
            return onPath
        }
        return findLibrary(name, environment: environment)
    }

    /// `name` as an executable in a `PATH` directory.
    private static func searchPath(_ name: String, _ path: String) -> String? {
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if isRegularFile(candidate), access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// A library called `name`, `name.so.N…` or `name.so` in the loader's directories. Only ELF
    /// files count: `libc.so` is a linker script on Debian.
    public static func findLibrary(_ name: String, environment: [String: String]) -> String? {
        for dir in libraryDirectories(environment: environment) {
            guard let entries = directoryEntries(dir) else { continue }
            var candidates: [String] = []
            if entries.contains(name) { candidates.append(name) }
            // `libc.so.6` before `libc.so.6.1`: the shortest versioned name is the soname.
            candidates += entries.filter { $0.hasPrefix(name + ".so.") }.sorted { ($0.count, $0) < ($1.count, $1) }
            if entries.contains(name + ".so") { candidates.append(name + ".so") }
            for candidate in candidates {
                let path = "\(dir)/\(candidate)"
                if isRegularFile(path), ELFFile.hasELFMagic(path) { return path }
            }
        }
        return nil
    }

    /// The loader's search order, without duplicates.
    public static func libraryDirectories(environment: [String: String]) -> [String] {
        var dirs: [String] = []
        if let ld = environment["LD_LIBRARY_PATH"] {
            dirs += ld.split(whereSeparator: { $0 == ":" || $0 == ";" }).map(String.init)
        }
        dirs += ldSoConfDirectories("/etc/ld.so.conf", depth: 0)
        #if arch(arm64)
        let multiarch = "aarch64-linux-gnu"
        #else
        let multiarch = "x86_64-linux-gnu"
        #endif
        dirs += ["/lib/\(multiarch)", "/usr/lib/\(multiarch)", "/lib64", "/usr/lib64", "/lib", "/usr/lib"]
        var seen = Set<String>()
        return dirs.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// Directories listed in an `ld.so.conf`-style file, following `include GLOB` lines.
    private static func ldSoConfDirectories(_ path: String, depth: Int) -> [String] {
        guard depth < 4, let bytes = readFile(path) else { return [] }
        var dirs: [String] = []
        for raw in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let line = raw.prefix { $0 != "#" }.trimmingSpaces
            if line.isEmpty { continue }
            if line.hasPrefix("include ") {
                let pattern = String(line.dropFirst("include ".count).trimmingSpaces)
                for file in glob(pattern).sorted() { dirs += ldSoConfDirectories(file, depth: depth + 1) }
            } else if line.hasPrefix("/") {
                dirs.append(String(line))
            }
        }
        return dirs
    }

    private static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
    }

    private static func directoryEntries(_ path: String) -> Set<String>? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names = Set<String>()
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            names.insert(name)
        }
        return names
    }

    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        return (st.st_mode & S_IFMT) == S_IFREG
    }

    public static func currentEnvironment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                env[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            p += 1
        }
        return env
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    public var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
