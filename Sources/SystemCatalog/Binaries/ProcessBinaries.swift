import Glibc

/// The ELF files a process runs: its executable and every file it has mapped (its libraries),
/// each named through `/proc/PID/root` so a process in another mount namespace is read (and
/// probed) in its own file system.
public enum ProcessBinaries {
    /// The executable first, then mapped files in address order, without duplicates.
    public static func of(pid: Int32) -> [String] {
        let root = "/proc/\(pid)/root"
        var paths: [String] = []
        if let exe = TargetExecutable.of(pid: pid) { paths.append(root + exe) }
        if let maps = readFile("/proc/\(pid)/maps") {
            paths += mappedFiles(String(decoding: maps, as: UTF8.self)).map { root + $0 }
        }
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }

    /// The absolute paths in a `/proc/PID/maps` text (`[vdso]`, anonymous and deleted
    /// mappings left out).
    static func mappedFiles(_ maps: String) -> [String] {
        maps.split(separator: "\n").compactMap { line in
            // address perms offset dev inode pathname: the path is everything from the 6th field.
            var fields = 0
            var index = line.startIndex
            var inField = false
            while index < line.endIndex {
                let blank = line[index] == " "
                if !blank, !inField {
                    fields += 1
                    if fields == 6 { break }
                }
                inField = !blank
                index = line.index(after: index)
            }
            guard fields == 6 else { return nil }
            let path = String(line[index...])
            guard path.hasPrefix("/"), !path.hasSuffix(" (deleted)") else { return nil }
            return path
        }
    }
}

/// Paths matching a shell wildcard pattern (`./testprogs/usdt*`), as glob(3) finds them.
public enum FileGlob {
    public static func paths(matching pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { i in
            result.gl_pathv[i].map { String(cString: $0) }
        }.filter { path in
            var st = stat()
            return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        }
    }
}
