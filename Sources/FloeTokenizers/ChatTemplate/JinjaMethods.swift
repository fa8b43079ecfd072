/// Python methods callable on values (`s.strip()`, `d.items()`, `d.get(k)`...). Like transformers'
/// ImmutableSandboxedEnvironment, mutating methods (`list.append`, `dict.update`...) are refused.
enum JinjaMethods {
    static let unsafeMutators: Set<String> = [
        "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "update", "setdefault", "popitem",
    ]

    /// The bound method `name` of `value`, or nil if it has none.
    static func method(on value: JinjaValue, _ name: String) -> JinjaFunction? {
        switch value {
        case .string(let s): return stringMethod(s, name)
        case .dict(let d): return dictMethod(d, name)
        case .list(let a), .tuple(let a):
            if unsafeMutators.contains(name) {
                return JinjaFunction(name: name) { _ in
                    throw JinjaRuntimeError("access to attribute '\(name)' of '\(value.typeName)' object is unsafe.")
                }
            }
            switch name {
            case "index":
                return JinjaFunction(name: name) { args in
                    guard let x = args.positional.first, let i = a.firstIndex(where: { JinjaOperators.equals($0, x) }) else {
                        throw JinjaRuntimeError("value is not in list")
                    }
                    return .int(i)
                }
            case "count":
                return JinjaFunction(name: name) { args in
                    guard let x = args.positional.first else { throw JinjaRuntimeError("count() takes one argument") }
                    return .int(a.filter { JinjaOperators.equals($0, x) }.count)
                }
            default: return nil
            }
        default: return nil
        }
    }

    private static func dictMethod(_ d: JinjaDict, _ name: String) -> JinjaFunction? {
        if unsafeMutators.contains(name) {
            return JinjaFunction(name: name) { _ in throw JinjaRuntimeError("access to attribute '\(name)' of 'dict' object is unsafe.") }
        }
        switch name {
        case "items": return JinjaFunction(name: name) { _ in .list(d.entries.map { .tuple([$0.key, $0.value]) }) }
        case "keys": return JinjaFunction(name: name) { _ in .list(d.entries.map(\.key)) }
        case "values": return JinjaFunction(name: name) { _ in .list(d.pairs.map(\.value)) }
        case "get":
            return JinjaFunction(name: name) { args in
                guard let key = args.positional.first else { throw JinjaRuntimeError("get expected at least 1 argument") }
                let fallback = args.get(1, "default") ?? .none
                return d[value: key] ?? fallback
            }
        default: return nil
        }
    }

    private static func stringMethod(_ s: String, _ name: String) -> JinjaFunction? {
        func str(_ v: JinjaValue?) throws -> String? {
            guard let v, !v.isNone else { return nil }
            guard case .string(let x) = v else { throw JinjaRuntimeError("\(name)() argument must be str, not \(v.typeName)") }
            return x
        }
        let body: ((JinjaArguments) throws -> JinjaValue)?
        switch name {
        case "strip", "lstrip", "rstrip":
            body = { args in
                .string(JinjaStrings.strip(s, try str(args.get(0, "chars")), leading: name != "rstrip", trailing: name != "lstrip"))
            }
        case "split", "rsplit":
            body = { args in
                let maxSplit = args.get(1, "maxsplit")?.asInt ?? -1
                let sep = try str(args.get(0, "sep"))
                if name == "rsplit", maxSplit >= 0 {
                    // rsplit with a limit splits from the right: mirror on reversed text.
                    let rev = { (x: String) in JinjaStrings.string(x.unicodeScalars.reversed()) }
                    let parts = try JinjaStrings.split(rev(s), sep.map(rev), maxSplit: maxSplit)
                    return .list(parts.reversed().map { .string(rev($0)) })
                }
                return .list(try JinjaStrings.split(s, sep, maxSplit: maxSplit).map { .string($0) })
            }
        case "splitlines": body = { _ in .list(splitLines(s).map { .string($0) }) }
        case "startswith", "endswith":
            body = { args in
                guard let p = args.positional.first else { throw JinjaRuntimeError("\(name)() takes at least 1 argument") }
                let candidates: [JinjaValue]
                switch p {
                case .tuple(let items), .list(let items): candidates = items
                default: candidates = [p]
                }
                for c in candidates {
                    guard case .string(let x) = c else { throw JinjaRuntimeError("\(name) argument must be str or a tuple of str") }
                    if name == "startswith" ? JinjaStrings.hasPrefix(s, x) : JinjaStrings.hasSuffix(s, x) { return .bool(true) }
                }
                return .bool(false)
            }
        case "upper": body = { _ in .string(s.uppercased()) }
        case "lower": body = { _ in .string(s.lowercased()) }
        case "title": body = { _ in .string(JinjaStrings.pythonTitle(s)) }
        case "capitalize": body = { _ in .string(JinjaStrings.capitalize(s)) }
        case "replace":
            body = { args in
                guard let old = try str(args.get(0, "old")), let new = try str(args.get(1, "new")) else {
                    throw JinjaRuntimeError("replace() takes two string arguments")
                }
                return .string(JinjaStrings.replace(s, old, new, count: args.get(2, "count")?.asInt ?? -1))
            }
        case "find":
            body = { args in
                guard let sub = try str(args.get(0, "sub")) else { throw JinjaRuntimeError("find() takes a string") }
                return .int(JinjaStrings.find(Array(s.unicodeScalars), Array(sub.unicodeScalars)) ?? -1)
            }
        case "count":
            body = { args in
                guard let sub = try str(args.get(0, "sub")) else { throw JinjaRuntimeError("count() takes a string") }
                return .int(JinjaStrings.count(s, sub))
            }
        case "join":
            body = { args in
                guard let items = args.positional.first?.iterationElements else { throw JinjaRuntimeError("join() takes an iterable") }
                return .string(try items.map { v -> String in
                    guard case .string(let x) = v else { throw JinjaRuntimeError("sequence item: expected str instance, \(v.typeName) found") }
                    return x
                }.joined(separator: s))
            }
        case "removeprefix", "removesuffix":
            body = { args in
                guard let p = try str(args.get(0, "prefix")) else { throw JinjaRuntimeError("\(name)() takes a string") }
                if name == "removeprefix", JinjaStrings.hasPrefix(s, p) { return .string(JinjaStrings.string(s.unicodeScalars.dropFirst(p.unicodeScalars.count))) }
                if name == "removesuffix", JinjaStrings.hasSuffix(s, p), !p.isEmpty { return .string(JinjaStrings.string(s.unicodeScalars.dropLast(p.unicodeScalars.count))) }
                return .string(s)
            }
        case "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower":
            body = { _ in
                let u = Array(s.unicodeScalars)
                guard !u.isEmpty else { return .bool(false) }
                switch name {
                case "isdigit": return .bool(u.allSatisfy { $0.properties.numericType != nil && $0.properties.numericType != .numeric })
                case "isalpha": return .bool(u.allSatisfy { $0.properties.isAlphabetic })
                case "isalnum": return .bool(u.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
                case "isspace": return .bool(u.allSatisfy(JinjaStrings.isSpace))
                default:
                    let cased = u.filter { $0.properties.isCased }
                    return .bool(!cased.isEmpty && cased.allSatisfy { name == "isupper" ? $0.properties.isUppercase : $0.properties.isLowercase })
                }
            }
        case "format": body = { args in .string(try JinjaPercentFormat.braceFormat(s, args)) }
        default: body = nil
        }
        return body.map { JinjaFunction(name: name, call: $0) }
    }

    /// Python `str.splitlines()`: all line boundaries, `\r\n` counted once, no trailing empty.
    static func splitLines(_ s: String) -> [String] {
        let breaks: Set<UInt32> = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var previousCR = false
        for c in s.unicodeScalars {
            if previousCR && c == "\n" { previousCR = false; continue }
            previousCR = c == "\r"
            if breaks.contains(c.value) {
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }
}
