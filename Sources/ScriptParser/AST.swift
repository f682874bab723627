/// The syntax tree of a script. Value types throughout; every node carries its `SourceRange`.
/// The parser fills the shape; the type checker returns a copy with every `Expr.type` set.

/// A whole script: settings, C preamble, probes.
public struct Program: Sendable {
    public var config: [ConfigSetting] = []
    public var preamble = Preamble()
    public var probes: [Probe] = []
    public init() {}
}

/// `config = { key = value; ... }` at the top of a script.
public struct ConfigSetting: Sendable {
    public var key: String
    public var value: Expr
    public var range: SourceRange
    public init(key: String, value: Expr, range: SourceRange) {
        self.key = key; self.value = value; self.range = range
    }
}

/// The C part before the probes: `#include`, `#define`, struct/union/enum definitions.
public struct Preamble: Sendable {
    public var includes: [String] = []
    /// Where each of `includes` is written, and whether it was `"quoted"` (searched beside the
    /// script first) rather than `<bracketed>`.
    public var includeRanges: [SourceRange] = []
    public var includeQuoted: [Bool] = []
    public var defines: [MacroDefinition] = []
    public var types: [CTypeDefinition] = []
    public init() {}
}

/// `#define NAME tokens`: the body is kept as source text and parsed as an expression where used.
public struct MacroDefinition: Sendable {
    public var name: String
    public var body: String
    public var range: SourceRange
    public init(name: String, body: String, range: SourceRange) {
        self.name = name; self.body = body; self.range = range
    }
}

/// A C `struct`/`union`/`enum` definition written in the script.
public struct CTypeDefinition: Sendable {
    public enum Kind: String, Sendable { case structType = "struct", unionType = "union", enumType = "enum" }
    public struct Field: Sendable {
        public var type: TypeName
        public var name: String
        /// `char name[16]` → 16.
        public var arrayCount: Int?
        /// `int y[2][3]` → [3]: the dimensions after the first, outermost first.
        public var innerArrayCounts: [Int] = []
        /// `unsigned int flag : 3` → 3.
        public var bitWidth: Int?
        public var range: SourceRange
        public init(type: TypeName, name: String, arrayCount: Int? = nil, bitWidth: Int? = nil, range: SourceRange) {
            self.type = type; self.name = name; self.arrayCount = arrayCount; self.bitWidth = bitWidth; self.range = range
        }
    }
    public var kind: Kind
    public var name: String
    public var fields: [Field]
    /// For enums: constant names and values.
    public var enumerators: [(name: String, value: Int64)]
    public var range: SourceRange
    public init(kind: Kind, name: String, fields: [Field] = [], enumerators: [(name: String, value: Int64)] = [], range: SourceRange) {
        self.kind = kind; self.name = name; self.fields = fields; self.enumerators = enumerators; self.range = range
    }
}

/// A type as written in a cast or a C definition: `uint32`, `struct task_struct *`, `char`.
public struct TypeName: Equatable, Sendable, CustomStringConvertible {
    /// Without the pointer stars: `uint32`, `struct task_struct`, `unsigned long`.
    public var name: String
    public var pointerDepth: Int
    public var range: SourceRange
    public init(name: String, pointerDepth: Int = 0, range: SourceRange = .none) {
        self.name = name; self.pointerDepth = pointerDepth; self.range = range
    }
    public var description: String {
        pointerDepth == 0 ? name : name + " " + String(repeating: "*", count: pointerDepth)
    }
}

/// One probe: its attach points, optional predicate and body.
public struct Probe: Sendable {
    public var attachPoints: [AttachPoint]
    public var predicate: Expr?
    public var body: Block
    public var range: SourceRange
    public init(attachPoints: [AttachPoint], predicate: Expr?, body: Block, range: SourceRange) {
        self.attachPoints = attachPoints; self.predicate = predicate; self.body = body; self.range = range
    }
}

/// An attach point as written, split at `:` (a `:` inside a quoted path or after `+` stays in place).
/// `t:syscalls:sys_enter_execve` → provider `t`, parts `["syscalls", "sys_enter_execve"]`.
/// `BEGIN` → provider `BEGIN`, parts `[]`.
public struct AttachPoint: Sendable, Equatable {
    public var provider: String
    public var parts: [String]
    /// The raw text, for messages.
    public var text: String
    public var range: SourceRange
    public init(provider: String, parts: [String], text: String, range: SourceRange) {
        self.provider = provider; self.parts = parts; self.text = text; self.range = range
    }
}

/// `{ stmt; stmt; }`
public struct Block: Sendable {
    public var statements: [Stmt]
    public var range: SourceRange
    public init(_ statements: [Stmt], range: SourceRange) {
        self.statements = statements; self.range = range
    }
}

public struct Stmt: Sendable {
    public indirect enum Kind: Sendable {
        /// An expression evaluated for its effect: `printf(...)`, `@x++`, `exit()`.
        case expr(Expr)
        /// `target = value`, or `target op= value` when `op` is set. Target: `$x`, `@m`, `@m[k]`.
        case assign(target: Expr, op: BinaryOp?, value: Expr)
        /// `if (c) {…} else {…}`; `else if` is an else block holding one `if`.
        case ifElse(condition: Expr, then: Block, otherwise: Block?)
        case unroll(count: Expr, body: Block)
        case whileLoop(condition: Expr, body: Block)
        /// `for ($kv : @map) { … }`
        case forMap(variable: String, map: Expr, body: Block)
        case breakLoop
        case continueLoop
        case returnProbe
    }
    public var kind: Kind
    public var range: SourceRange
    public init(_ kind: Kind, range: SourceRange) { self.kind = kind; self.range = range }
}

public enum UnaryOp: String, Sendable {
    case negate = "-", logicalNot = "!", bitNot = "~", deref = "*", addressOf = "&"
}

public enum BinaryOp: String, Sendable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%"
    case bitAnd = "&", bitOr = "|", bitXor = "^", shl = "<<", shr = ">>"
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case logicalAnd = "&&", logicalOr = "||"
}

public struct Expr: Sendable {
    public indirect enum Kind: Sendable {
        /// Integer literal (decimal, hex, octal, `1_000`, `1e6` all land here).
        case integer(UInt64)
        /// String literal, escapes decoded, as bytes (may hold any byte, no NUL added).
        case string([UInt8])
        /// A bare name: a builtin (`pid`, `comm`, `args`, `arg0`, `retval`), an enum constant,
        /// or a `#define`. The type checker decides which.
        case identifier(String)
        /// `$1`…`$N`
        case positional(Int)
        /// `$#`
        case positionalCount
        /// `$name`
        case variable(String)
        /// `@name`, `@name[k]`, `@name[k1, k2]`; `@` alone has the empty name.
        case map(name: String, keys: [Expr])
        /// `f(a, b)`; `sizeof`/`offsetof` have their own cases.
        case call(name: String, args: [Expr])
        case unary(UnaryOp, Expr)
        case binary(BinaryOp, Expr, Expr)
        case ternary(Expr, Expr, Expr)
        /// `a->b` (arrow) or `a.b`.
        case field(Expr, name: String, arrow: Bool)
        /// `a[i]`
        case index(Expr, Expr)
        /// `t.0`
        case tupleElement(Expr, Int)
        /// `(a, b, c)`
        case tuple([Expr])
        /// `(uint32)x`, `(struct task_struct *)p`
        case cast(TypeName, Expr)
        /// `x++`, `--@m[k]`; `step` is what one increment adds: 1, or the pointee's size when
        /// the target is a pointer (set by the checker).
        case increment(Expr, increment: Bool, prefix: Bool, step: Int = 1)
        case sizeofType(TypeName)
        case sizeofExpr(Expr)
        case offsetof(TypeName, [String])

        // Resolved forms: only the type checker produces these, from `.identifier` and `.field`.

        /// A builtin variable the checker resolved from an identifier (`pid`, `comm`, …).
        case builtin(Builtin)
        /// `args->name` on a tracepoint: a field of the probe's context record.
        case tracepointField(TracepointField)
        /// A probe-dependent value (`arg0`, `retval`, `func`, …).
        case probeValue(ProbeValue)
        /// A checked call (or a builtin that lowers like one, `kstack`), resolved from `.call`
        /// or `.identifier`: codegen switches on the function, never on its name.
        case function(BuiltinFunction, args: [Expr])

        // Kernel types (TypeChecker+KernelTypes.swift): resolved from `.identifier`, `.field`,
        // `.unary`, `.index` and `.binary`; `.index` and `.cast` keep their own cases, typed.

        /// `curtask`: the current thread's `struct task_struct *`.
        case currentTask
        /// A struct/union member, reached from a pointer (`p->a`, base typed pointer) or from a
        /// record in memory (`p->a.b`, `(*p).a`: base typed record).
        case recordField(Expr, RecordAccess)
        /// `*p`: what a pointer points to.
        case dereference(Expr)
        /// `&x`: the address of a member, an array element or `*p`.
        case addressOf(Expr)
        /// A member or element of a whole struct or array already copied into a variable, map
        /// or tuple (`$s.m`, `$a[1]`): `offset` bytes into the copy.
        case copiedMember(Expr, offset: Int)
        /// `p + n` on a pointer: `n` elements of `elementSize` bytes further (`p - n` negates `n`).
        case pointerOffset(Expr, Expr, elementSize: Int)
    }
    public var kind: Kind
    public var range: SourceRange
    /// Set by the type checker; `.none` straight out of the parser.
    public var type: SType = .none
    public init(_ kind: Kind, range: SourceRange, type: SType = .none) {
        self.kind = kind; self.range = range; self.type = type
    }
}
