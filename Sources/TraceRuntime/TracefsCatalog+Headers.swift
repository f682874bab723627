#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ScriptParser

/// C headers for `#include` (the constants of HeaderConstants.swift), found where a C compiler
/// would look on this system: /usr/local/include, the multiarch directory
/// (/usr/include/x86_64-linux-gnu), then /usr/include.
extension TracefsCatalog {
    public func headerFile(named name: String, includedFrom directory: String?) -> HeaderFile? {
        guard !name.isEmpty, !name.hasPrefix("/") || access(name, R_OK) == 0 else { return nil }
        let candidates = name.hasPrefix("/") ? [name]
            : (directory.map { [$0 + "/" + name] } ?? []) + Self.includeDirectories.map { $0 + "/" + name }
        for path in candidates {
            guard !isDirectory(path), let bytes = readFile(path) else { continue }
            return HeaderFile(path: path, text: String(decoding: bytes, as: UTF8.self))
        }
        return nil
    }

    static let includeDirectories: [String] = {
        var machine = utsname()
        uname(&machine)
        let arch = withUnsafeBytes(of: &machine.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return ["/usr/local/include", "/usr/include/\(arch)-linux-gnu", "/usr/include"]
    }()
}
