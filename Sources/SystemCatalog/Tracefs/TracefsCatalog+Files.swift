import ScriptParser

extension TracefsCatalog {
    /// `usdt:./bin*:…`: the files glob(3) finds.
    public func files(matching pattern: String) -> [String] {
        FileGlob.paths(matching: pattern)
    }
}
