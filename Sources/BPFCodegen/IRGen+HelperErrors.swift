import CLLVM
import ScriptParser

/// `-k`/`-kk`: a helper call that fails sends a record naming the helper, the script location
/// and the return code, which user space prints as a located warning while tracing goes on.
/// Without the flags nothing is emitted, so ordinary programs pay nothing.
extension IRGen {
    /// After a helper returning a negative errno on failure: report when `code` < 0 and the
    /// command line asked for checks at `level` (1: -k, 2: -kk).
    func reportHelperFailure(_ helper: String, level: Int, at range: SourceRange, code: LLVMValueRef) throws {
        guard program.settings.helperErrorChecks >= level else { return }
        let failed = LLVMBuildICmp(builder, LLVMIntSLT, code, m.const64(0), "")!
        try sendHelperError(helper, at: range, if: failed, code: code)
    }

    /// After a map lookup whose absence a script may not expect (-kk): report a null result
    /// with code 0, as bpftrace does.
    func reportMissingEntry(_ entry: LLVMValueRef, at range: SourceRange) throws {
        guard program.settings.helperErrorChecks >= 2 else { return }
        try sendHelperError("map_lookup_elem", at: range, if: LLVMBuildIsNull(builder, entry, ""), code: m.const64(0))
    }

    /// A read of memory the script names (`p->f`, `*p`, `str(p)`, `buf(p, n)`): -kk reports a
    /// failed one under bpftrace's names, `probe_read` and `probe_read_str`, whichever of the
    /// kernel or user variants ran.
    @discardableResult
    func probeRead(_ helper: BPFHelper, into dest: LLVMValueRef, size: LLVMValueRef, from source: LLVMValueRef,
                   at range: SourceRange) throws -> LLVMValueRef {
        let code = m.callHelper(helper, [dest, size, source])
        let isString = [.probeReadUserStr, .probeReadKernelStr, .probeReadStr].contains(helper)
        try reportHelperFailure(isString ? "probe_read_str" : "probe_read", level: 2, at: range, code: code)
        return code
    }

    private func sendHelperError(_ helper: String, at range: SourceRange, if failed: LLVMValueRef, code: LLVMValueRef) throws {
        let report = appendBlock("helper.failed"), done = appendBlock("helper.checked")
        LLVMBuildCondBr(builder, failed, report, done)
        LLVMPositionBuilderAtEnd(builder, report)
        let id = addEvent(.helperError(helper: helper, start: range.start, end: range.end))
        try withRecord(size: 16, eventID: id) { record in m.store64(code, at: record, 8) }
        LLVMBuildBr(builder, done)
        LLVMPositionBuilderAtEnd(builder, done)
    }
}
