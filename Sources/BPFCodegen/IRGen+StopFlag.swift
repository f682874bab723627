import CLLVM
import ScriptParser

/// The flag that ends a script's effects at once: when tracing stops, the runtime sets it and
/// every probe (BEGIN and END aside) leaves at entry. The runtime can then drain, run END and
/// print maps that no longer change while the probes are still attached, and detach last —
/// detaching waits for an RCU grace period per probe, hundreds of them for a wildcard.
extension IRGen {
    static let stopFlagMapName = "stopped"

    /// `if (stopped[0]) return 0;` — an array lookup the verifier inlines.
    func emitStopCheck() {
        guard let exitBlock = frame.exitBlock else { return }
        let map: LLVMValueRef
        if let existing = LLVMGetNamedGlobal(m.module, Self.stopFlagMapName) {
            map = existing
        } else {
            map = m.define(MapDefinition(name: Self.stopFlagMapName, type: .array, maxEntries: 1, keySize: 4, valueSize: 8))
            manifest.stopFlagMap = Self.stopFlagMapName
        }
        let key = allocaInEntry(bytes: 8)
        let value = m.callHelper(.mapLookupElem, returns: m.i8p, [LLVMBuildBitCast(builder, map, m.i8p, ""), key])
        let found = appendBlock("stop.found"), running = appendBlock("stop.running")
        LLVMBuildCondBr(builder, LLVMBuildIsNull(builder, value, ""), running, found)
        LLVMPositionBuilderAtEnd(builder, found)
        let flag = LLVMBuildLoad2(builder, m.i64, LLVMBuildBitCast(builder, value, m.i64p, ""), "stopped")!
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntNE, flag, m.const64(0), ""), exitBlock, running)
        LLVMPositionBuilderAtEnd(builder, running)
    }
}
