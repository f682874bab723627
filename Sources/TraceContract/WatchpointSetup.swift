/// The uprobe programs that set function watchpoints' breakpoints, by name: codegen names
/// them so, and the runtime attaches them to the traced process only, never to other runs of
/// the same binary.
public enum WatchpointSetup {
    public static let namePrefix = "watch_"
    public static func isSetupProgram(_ program: ProgramDescriptor) -> Bool { program.name.hasPrefix(namePrefix) }
}
