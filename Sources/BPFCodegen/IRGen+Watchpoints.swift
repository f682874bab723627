import CLLVM
import ScriptParser

/// The uprobe programs that set function watchpoints' breakpoints, by name: the runtime
/// attaches them to the traced process only, never to other runs of the same binary.
public enum WatchpointSetup {
    public static let namePrefix = "watch_"
    public static func isSetupProgram(_ program: ProgramDescriptor) -> Bool { program.name.hasPrefix(namePrefix) }
}

/// `watchpoint:FUNC+argN`: the breakpoint's address is known only when the traced process
/// calls FUNC. Each such attach point gets a small uprobe program on FUNC that sends the
/// address (and the process) to user space and, unless the watchpoint is async, stops the
/// process with SIGSTOP until user space has set the breakpoint and sent SIGCONT.
extension IRGen {
    static let sigstop: UInt64 = 19

    /// The setup programs for the body just emitted as `manifest.programs[programIndex]`.
    func emitWatchpointSetups(programIndex: Int, attachPoints: [ResolvedAttachPoint], range: SourceRange) {
        for (i, ap) in attachPoints.enumerated() {
            guard case .watchpoint(let target) = ap, let callee = target.function,
                  target.argument < PtRegs.argumentOffsets.count else { continue }
            let name = "\(WatchpointSetup.namePrefix)\(programIndex)_\(i)"
            let line = program.source.location(of: range.start).line
            let (fn, sp) = m.addFunction(name, parameters: [m.i8p], line: line, isCallback: false)
            LLVMSetSection(fn, ProgramSection.name(for: .uprobe(callee)))
            function = fn
            scope = sp
            context = LLVMGetParam(fn, 0)
            probeAttachPoints = [.uprobe(callee)]
            format = nil
            variables = [[:]]
            temporaries = [[]]
            let entry = LLVMAppendBasicBlockInContext(m.context, fn, "entry")!
            entryBlock = entry
            exitBlock = nil
            LLVMPositionBuilderAtEnd(builder, entry)
            setLocation(range)

            let address = loadContext64(at: PtRegs.argumentOffsets[target.argument])
            let tgid = LLVMBuildLShr(builder, m.callHelper(.getCurrentPidTgid, []), m.const64(32), "")!
            let id = addEvent(.watchpointArm(program: programIndex, attachPoint: i))
            withRecord(size: 24, eventID: id) { record in
                m.store64(address, at: record, 8)
                m.store64(tgid, at: record, 16)
                // Only when the request is on its way: nobody else would ever continue it.
                if !target.isAsync { m.callHelper(.sendSignal, [m.const32(Int(Self.sigstop))]) }
            }
            LLVMBuildRet(builder, m.const64(0))
            manifest.programs.append(ProgramDescriptor(name: name, attachPoints: [.uprobe(callee)],
                                                       displayName: target.description, range: range))
        }
    }

    /// `unwatch(addr)`: user space removes the breakpoints on `addr`.
    func emitUnwatch(_ address: Expr) throws {
        let value = try emitInt(address)
        withRecord(size: 16, eventID: addEvent(.unwatch)) { record in m.store64(value, at: record, 8) }
    }
}
