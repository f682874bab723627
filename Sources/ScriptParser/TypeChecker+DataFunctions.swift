#if canImport(Glibc)
import Glibc
#endif

/// Functions over strings, buffers, integers and network addresses: `buf`, `strncmp`,
/// `strcontains`, `ntop`, `pton`, `macaddr`, `strerror`, `bswap`, `path`.
extension TypeChecker {
    /// `buf(p, n)`: `n` bytes from `p`, printed with `%r`. Arrays and fixed-size strings carry their
    /// own length; pointers need one. A literal length sizes the buffer; a computed one is
    /// capped at `max_strlen` bytes when the program runs.
    mutating func checkBuffer(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "buf", args, 1...2) else { return e }
        let source = checkExpr(args[0])
        guard source.type != .none else { return e }
        let limit = settings.stringLength
        var ownLength: Int?
        switch source.type {
        case .string(let n): ownLength = n
        case .array(let element, let count) where element.isInteger: ownLength = element.size * count
        case .rendered(.byteArray(let n)): ownLength = n
        case .integer, .pointer: ownLength = nil
        default:
            diagnostics.append(.error(args[0].range, "buf() expects a pointer, an array or a string (\(source.type) provided)"))
            return e
        }
        var capacity: Int
        var length: Expr
        if args.count == 2 {
            if case .integer(let n) = args[1].kind {
                capacity = Int(min(n, UInt64(Int32.max)))
                if capacity > limit {
                    diagnostics.append(.warning(args[1].range,
                        "buf() length is too long and will be shortened to \(limit) bytes (see BPFTRACE_STRLEN)"))
                    capacity = limit
                }
                length = Expr(.integer(UInt64(capacity)), range: args[1].range, type: .uint64)
            } else {
                guard let n = integerArgument("buf", args[1]) else { return e }
                capacity = limit
                length = n
            }
            // A literal is as long as asked (zero-padded), as bpftrace reads it from a buffer
            // of the requested size; other sources hold no more than their own length.
            if let own = ownLength, !isStringLiteral(source) { capacity = min(capacity, own) }
        } else {
            guard let own = ownLength else {
                diagnostics.append(.error(e.range, "buf() expects a length argument for non-array type \(source.type)"))
                return e
            }
            capacity = min(own, limit)
            length = Expr(.integer(UInt64(capacity)), range: args[0].range, type: .uint64)
        }
        guard capacity >= 1 else {
            diagnostics.append(.error(e.range, "buf() needs a length of at least 1 byte"))
            return e
        }
        return Expr(.call(name: "buf", args: [source, length]), range: e.range, type: .rendered(.buffer(capacity: capacity)))
    }

    /// Checks that every argument is a string; nil after reporting the first that is not.
    mutating func stringArguments(_ name: String, _ args: [Expr]) -> [Expr]? {
        var typed: [Expr] = []
        for a in args {
            let t = checkExpr(a)
            guard t.type != .none else { return nil }
            guard t.type.isString else {
                diagnostics.append(.error(a.range, "\(name)() expects a string (\(Self.kindWord(t.type)) provided)"))
                return nil
            }
            typed.append(t)
        }
        return typed
    }

    /// `strncmp(a, b, n)`: 0 when the first `n` characters match (up to a NUL), else 1.
    mutating func checkStrncmp(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "strncmp", args, 3...3),
              let strings = stringArguments("strncmp", Array(args.prefix(2))),
              let n = integerLiteral("strncmp", args[2]) else { return e }
        let count = Expr(.integer(n), range: args[2].range, type: .uint64)
        return Expr(.call(name: "strncmp", args: strings + [count]), range: e.range, type: .uint64)
    }

    /// `strcontains(haystack, needle)`: 1 when `needle` occurs in `haystack`.
    mutating func checkStrcontains(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "strcontains", args, 2...2),
              let strings = stringArguments("strcontains", args) else { return e }
        return Expr(.call(name: "strcontains", args: strings), range: e.range, type: .uint64)
    }

    /// `ntop(addr)`, `ntop(af, addr)`: an IPv4 or IPv6 address as text. The address is an
    /// integer (IPv4, in network byte order in memory), or 4 or 16 bytes (an array, `pton()`).
    mutating func checkNtop(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "ntop", args, 1...2) else { return e }
        var family: Expr?
        if args.count == 2 {
            guard let f = integerArgument("ntop", args[0]) else { return e }
            family = f
        }
        let address = checkExpr(args[args.count - 1])
        guard address.type != .none else { return e }
        let bytes: Int
        switch address.type {
        case .integer, .pointer: bytes = 4
        case .array(let element, let count) where element.size == 1: bytes = count
        case .rendered(.byteArray(let count)): bytes = count
        case .string(let n): bytes = n
        default: bytes = 0
        }
        guard bytes == 4 || bytes == 16 else {
            diagnostics.append(.error(address.range, "ntop() expects an integer or an array of 4 or 16 bytes (\(address.type) provided)"))
            return e
        }
        let af = family ?? Expr(.integer(bytes == 4 ? 2 : 10), range: address.range, type: .int64)
        return Expr(.call(name: "ntop", args: [af, address]), range: e.range, type: .rendered(.inetAddress))
    }

    /// `pton("addr")`: the address's bytes in network order, worked out now: 4 for IPv4, 16 for
    /// IPv6. The call keeps the bytes as its one string argument.
    mutating func checkPton(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "pton", args, 1...1), let text = stringLiteral(e, "pton", args[0]) else { return e }
        let string = String(decoding: text, as: UTF8.self)
        guard let bytes = Self.parseAddress(string) else {
            diagnostics.append(.error(args[0].range, "pton() expects an IPv4 or IPv6 address, got '\(string)'"))
            return e
        }
        let literal = Expr(.string(bytes), range: args[0].range, type: .string(capacity: bytes.count + 1))
        return Expr(.call(name: "pton", args: [literal]), range: e.range, type: .rendered(.byteArray(count: bytes.count)))
    }

    /// An address in text form as bytes: IPv4 (a dot) or IPv6 (a colon), through `inet_pton`.
    static func parseAddress(_ text: String) -> [UInt8]? {
        #if canImport(Glibc)
        let family = text.contains(":") ? AF_INET6 : AF_INET
        var buffer = [UInt8](repeating: 0, count: family == AF_INET6 ? 16 : 4)
        let ok = buffer.withUnsafeMutableBytes { inet_pton(family, text, $0.baseAddress) }
        return ok == 1 ? buffer : nil
        #else
        return nil
        #endif
    }

    /// `macaddr(addr)`: six bytes (an array, or read through a pointer) as `AA:BB:CC:DD:EE:FF`.
    mutating func checkMacaddr(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "macaddr", args, 1...1) else { return e }
        let address = checkExpr(args[0])
        guard address.type != .none else { return e }
        let ok: Bool
        switch address.type {
        case .pointer: ok = true
        case .array(let element, let count): ok = element.size * count == 6
        case .rendered(.byteArray(let count)): ok = count == 6
        case .string(let n): ok = n == 6
        default: ok = false
        }
        guard ok else {
            diagnostics.append(.error(e.range, "macaddr() argument must be 6 bytes in size"))
            return e
        }
        return Expr(.call(name: "macaddr", args: [address]), range: e.range, type: .rendered(.macAddress))
    }

    /// `strerror(errno)`: the C library's description, when printed.
    mutating func checkStrerror(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "strerror", args, 1...1), let n = integerArgument("strerror", args[0]) else { return e }
        return Expr(.call(name: "strerror", args: [n]), range: e.range, type: .rendered(.errorText))
    }

    /// `signame(n)`: the signal's name (`SIGKILL`), when printed; bcc's exitsnoop prints it
    /// after a signal number. Not in bpftrace.
    mutating func checkSigname(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "signame", args, 1...1), let n = integerArgument("signame", args[0]) else { return e }
        return Expr(.call(name: "signame", args: [n]), range: e.range, type: .rendered(.signalName))
    }

    /// `bswap(x)`: the bytes of `x` reversed, at the width of its type.
    mutating func checkBswap(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "bswap", args, 1...1), let x = integerArgument("bswap", args[0]) else { return e }
        let type: SType = x.type.isInteger ? x.type : .uint64
        return Expr(.call(name: "bswap", args: [x]), range: e.range, type: type)
    }

    /// `path(p)`: the full path of a `struct path *`, through the kernel's `bpf_d_path`, which
    /// only fentry/fexit programs may call.
    mutating func checkPath(_ e: Expr, _ args: [Expr]) -> Expr {
        guard argumentCount(e, "path", args, 1...1) else { return e }
        let p = checkExpr(args[0])
        guard p.type != .none else { return e }
        // bpf_d_path takes only a pointer the verifier knows, from BTF, to be a struct path.
        guard case .pointer(.record("struct path"), _) = p.type else {
            diagnostics.append(.error(args[0].range,
                "path() expects a struct path * from kernel types, such as an fentry argument or &file->f_path (\(p.type) provided)"))
            return e
        }
        for ap in attachPoints {
            switch ap {
            case .fentry, .fexit: continue
            default:
                diagnostics.append(.error(e.range,
                    "path() can only be used with kfunc/kretfunc (fentry/fexit) probes, as the kernel's bpf_d_path helper is limited to them (\(ap) used here)"))
                return e
            }
        }
        return Expr(.call(name: "path", args: [p]), range: e.range, type: .string(capacity: settings.stringLength))
    }
}
