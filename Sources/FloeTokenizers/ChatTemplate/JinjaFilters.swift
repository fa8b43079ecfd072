import Foundation

/// jinja2's builtin filters (the subset chat templates use), with transformers' `tojson`.
/// Collection filters (map/select/sort/...) are in `JinjaFilters+Collections.swift`.
extension JinjaInterpreter {
    func applyFilter(_ name: String, to value: JinjaValue, args: JinjaArguments) throws -> JinjaValue {
        if let v = try applyCollectionFilter(name, to: value, args: args) { return v }
        switch name {
        case "default", "d":
            let fallback = args.get(0, "default_value") ?? .string("")
            let boolean = args.get(1, "boolean")?.truthy ?? false
            return value.isUndefined || (boolean && !value.truthy) ? fallback : value
        case "safe", "string":
            return name == "safe" ? value : .string(value.pythonString)
        case "tojson":
            return .string(try toJSON(value, args))
        case "trim":
            return .string(JinjaStrings.strip(try stringArg(value, name), try optionalString(args.get(0, "chars")), leading: true, trailing: true))
        case "upper": return .string(try stringArg(value, name).uppercased())
        case "lower": return .string(try stringArg(value, name).lowercased())
        case "title": return .string(JinjaStrings.jinjaTitle(try stringArg(value, name)))
        case "capitalize": return .string(JinjaStrings.capitalize(try stringArg(value, name)))
        case "replace":
            guard case .string(let old)? = args.get(0, "old"), case .string(let new)? = args.get(1, "new") else {
                throw JinjaRuntimeError("replace expects two strings")
            }
            let count = args.get(2, "count")?.asInt ?? -1
            return .string(JinjaStrings.replace(try stringArg(value, name), old, new, count: count))
        case "indent":
            return .string(try indent(try stringArg(value, name), args))
        case "escape", "e", "forceescape":
            var s = value.pythonString
            for (a, b) in [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "&#34;"), ("'", "&#39;")] {
                s = JinjaStrings.replace(s, a, b)
            }
            return .string(s)
        case "wordcount":
            return .int(try JinjaStrings.split(try stringArg(value, name), nil).count)
        case "format":
            let items: JinjaValue = args.positional.count == 1 ? args.positional[0] : .tuple(args.positional)
            return .string(try JinjaPercentFormat.format(try stringArg(value, name), items))
        case "int":
            return intFilter(value, default: args.get(0, "default") ?? .int(0), base: args.get(1, "base")?.asInt ?? 10)
        case "float":
            return floatFilter(value, default: args.get(0, "default") ?? .float(0))
        case "abs":
            if case .float(let d) = value { return .float(abs(d)) }
            guard let i = value.asInt else { throw JinjaRuntimeError("bad operand type for abs(): '\(value.typeName)'") }
            guard i != Int.min else { throw JinjaRuntimeError("integer overflow") }
            return .int(abs(i))
        case "round":
            return try round(value, args)
        case "attr":
            guard case .string(let attribute)? = args.get(0, "name") else { throw JinjaRuntimeError("attr expects a name") }
            return try self.attribute(of: value, attribute)
        default:
            throw JinjaRuntimeError("No filter named '\(name)'.")
        }
    }

    /// String filters apply Python `str()` to their operand (None -> "None", Undefined -> "").
    func stringArg(_ value: JinjaValue, _ filter: String) throws -> String {
        value.pythonString
    }

    func optionalString(_ v: JinjaValue?) throws -> String? {
        guard let v, !v.isNone else { return nil }
        guard case .string(let s) = v else { throw JinjaRuntimeError("expected a string argument, got \(v.typeName)") }
        return s
    }

    /// transformers: `tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`.
    private func toJSON(_ value: JinjaValue, _ args: JinjaArguments) throws -> String {
        var indent: String? = nil
        switch args.get(1, "indent") {
        case .int(let n)?: indent = String(repeating: " ", count: max(0, min(n, 1024)))
        case .string(let s)?: indent = s
        case nil, .none?: break
        case let other?: throw JinjaRuntimeError("tojson: bad indent \(other.typeName)")
        }
        var separators: (String, String)? = nil
        if let sep = args.get(2, "separators"), !sep.isNone {
            guard let parts = sep.iterationElements, parts.count == 2,
                case .string(let a) = parts[0], case .string(let b) = parts[1]
            else { throw JinjaRuntimeError("tojson: separators must be a pair of strings") }
            separators = (a, b)
        }
        let encoder = JinjaJSONEncoder(indent: indent, separators: separators, sortKeys: args.get(3, "sort_keys")?.truthy ?? false)
        let json = try encoder.encode(value)
        guard args.get(0, "ensure_ascii")?.truthy == true else { return json }
        var out = ""
        for c in json.unicodeScalars {
            if c.isASCII { out.unicodeScalars.append(c); continue }
            for unit in String(c).utf16 { out += "\\u" + JinjaValue.hex(UInt32(unit), width: 4) }
        }
        return out
    }

    private func indent(_ s: String, _ args: JinjaArguments) throws -> String {
        let prefix: String
        switch args.get(0, "width") {
        case .string(let w)?: prefix = w
        case let w?:
            guard let n = w.asInt else { throw JinjaRuntimeError("indent width must be int or string") }
            prefix = String(repeating: " ", count: max(0, min(n, 1024)))
        case nil: prefix = "    "
        }
        let first = args.get(1, "first")?.truthy ?? false
        let blank = args.get(2, "blank")?.truthy ?? false
        var lines = JinjaMethods.splitLines(s + "\n")
        var result: String
        if blank {
            result = lines.joined(separator: "\n" + prefix)
        } else {
            result = lines.isEmpty ? "" : lines.removeFirst()
            if !lines.isEmpty { result += "\n" + lines.map { $0.isEmpty ? $0 : prefix + $0 }.joined(separator: "\n") }
        }
        return first ? prefix + result : result
    }

    /// jinja2 `int`: int(x), else int(float(x)), else the default; strings may carry a base prefix.
    private func intFilter(_ value: JinjaValue, default fallback: JinjaValue, base: Int) -> JinjaValue {
        switch value {
        case .int, .bool: return .int(value.asInt!)
        case .float(let d):
            guard d.isFinite, abs(d) < 9.2e18 else { return fallback }
            return .int(Int(d))
        case .string(let raw):
            var s = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
            var radix = base
            let lower = s.lowercased()
            for (p, r) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(p) && (base == 0 || base == r) {
                s = String(s.dropFirst(2))
                radix = r
            }
            if radix == 0 { radix = 10 }
            if (2...36).contains(radix), let i = Int(s, radix: radix) { return .int(i) }
            if let d = Double(s), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d)) }
            return fallback
        default: return fallback
        }
    }

    private func floatFilter(_ value: JinjaValue, default fallback: JinjaValue) -> JinjaValue {
        switch value {
        case .int, .bool, .float: return .float(value.asDouble!)
        case .string(let s):
            let t = s.trimmingCharacters(in: .whitespaces).lowercased()
            if let d = Double(t) { return .float(d) }
            if ["inf", "+inf", "infinity"].contains(t) { return .float(.infinity) }
            if ["-inf", "-infinity"].contains(t) { return .float(-.infinity) }
            if t == "nan" { return .float(.nan) }
            return fallback
        default: return fallback
        }
    }

    /// `round(precision=0, method='common')`: 'common' is Python's round (half to even);
    /// 'ceil'/'floor' always give floats.
    private func round(_ value: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        let precision = args.get(0, "precision")?.asInt ?? 0
        guard case .string(let method) = args.get(1, "method") ?? .string("common"),
            ["common", "ceil", "floor"].contains(method)
        else { throw JinjaRuntimeError("method must be common, ceil or floor") }
        guard let x = value.asDouble else { throw JinjaRuntimeError("round expects a number, got \(value.typeName)") }
        if method == "common", case .int(let i) = value, precision >= 0 { return .int(i) }
        let scale = pow(10.0, Double(max(-300, min(precision, 300))))
        let rule: FloatingPointRoundingRule = method == "ceil" ? .up : method == "floor" ? .down : .toNearestOrEven
        let rounded = (x * scale).rounded(rule) / scale
        return .float(rounded.isFinite ? rounded : x)
    }
}
