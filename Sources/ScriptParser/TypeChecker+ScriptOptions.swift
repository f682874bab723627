/// `getopt(...)` in a script: replaced by the literal its option stands for, so the rest of the
/// checker and codegen see a constant (an integer, 0/1 for a boolean, or a string literal).
extension TypeChecker {
    mutating func checkGetopt(_ e: Expr, _ args: [Expr]) -> Expr {
        switch ScriptOption.declaration(e, args: args) {
        case .failure(let d):
            diagnostics.append(d)
            return e
        case .success(let option):
            let value = scriptOptionValues[option.name] ?? option.defaultValue
            switch value {
            case .bool(let b):
                return Expr(.integer(b ? 1 : 0), range: e.range, type: .int64)
            case .integer(let n):
                return Expr(.integer(UInt64(bitPattern: n)), range: e.range, type: .int64)
            case .string(let s):
                let bytes = Array(s.utf8)
                return Expr(.string(bytes), range: e.range, type: .string(capacity: bytes.count + 1))
            }
        }
    }
}
