import CLLVM
import ScriptParser

/// `watchpoint:FUNC+argN`: the breakpoint's address is known only when the traced process
/// calls FUNC. Each such attach point gets a small uprobe program on FUNC that sends the
/// address (and the process) to user space and, unless the watchpoint is async, stops the
/// process with SIGSTOP until user space has set the breakpoint and sent SIGCONT.
extension IRGen {
    static let sigstop: UInt64 = 19

    /// The setup programs for the body just emitted as `manifest.programs[programIndex]`.
    func emitWatchpointSetups(programIndex: Int, attachPoints: [ResolvedAttachPoint], range: SourceRange) throws {
        for (i, ap) in attachPoints.enumerated() {
            guard case .watchpoint(let target) = ap, let callee = target.function,
                  target.argument < PtRegs.argumentOffsets.count else { continue }
            let name = "watch_\(programIndex)_\(i)"
            let state = newFunction(name, parameters: [m.i8p], at: range, isCallback: false, exitName: nil)
            if let fn = state.function { LLVMSetSection(fn, ProgramSection.name(for: .uprobe(callee))) }
            let savedAttachPoints = probeAttachPoints, savedFormat = format
            probeAttachPoints = [.uprobe(callee)]
            format = nil
            defer { probeAttachPoints = savedAttachPoints; format = savedFormat }
            try emitFunction(state, at: range) {
                let address = try loadContext64(at: PtRegs.argumentOffsets[target.argument])
                let tgid = LLVMBuildLShr(builder, m.callHelper(.getCurrentPidTgid, []), m.const64(32), "")!
                let id = addEvent(.watchpointArm(program: programIndex, attachPoint: i))
                try withRecord(size: 24, eventID: id) { record in
                    m.store64(address, at: record, 8)
                    m.store64(tgid, at: record, 16)
                    // Only when the request is on its way: nobody else would ever continue it.
                    if !target.isAsync { m.callHelper(.sendSignal, [m.const32(Int(Self.sigstop))]) }
                }
                LLVMBuildRet(builder, m.const64(0))
            }
            let cookies = AttachCookies.cookies(for: [.uprobe(callee)], after: manifest.programs)
            manifest.programs.append(ProgramDescriptor(name: name, attachPoints: [.uprobe(callee)], cookies: cookies,
                                                       displayName: target.description, range: range))
        }
    }

    /// `unwatch(addr)`: user space removes the breakpoints on `addr`.
    func emitUnwatch(_ address: Expr) throws {
        let value = try emitInt(address)
        try withRecord(size: 16, eventID: addEvent(.unwatch)) { record in m.store64(value, at: record, 8) }
    }
}
