/// `tojson` as transformers overrides it: `json.dumps(x, ensure_ascii=False, indent=indent,
/// separators=separators, sort_keys=sort_keys)`, reproduced byte for byte (Python's default
/// separators `", "`/`": "`, or `","` between items once `indent` is given).
struct JinjaJSONEncoder {
    var indent: String? = nil
    var itemSeparator: String
    var keySeparator: String
    var sortKeys = false

    init(indent: String?, separators: (String, String)?, sortKeys: Bool) {
        self.indent = indent
        self.sortKeys = sortKeys
        itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        keySeparator = separators?.1 ?? ": "
    }

    func encode(_ value: JinjaValue) throws -> String {
        var out = ""
        try write(value, level: 0, into: &out)
        return out
    }

    private func newline(_ level: Int, _ out: inout String) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
    }

    private func write(_ value: JinjaValue, level: Int, into out: inout String) throws {
        guard level < 512 else { throw JinjaRuntimeError("tojson: value nested too deeply") }
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .float(let d):
            if d.isNaN { out += "NaN" }
            else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" }
            else { out += d.description }
        case .string(let s): JinjaJSONEncoder.writeString(s, into: &out)
        case .list(let a), .tuple(let a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (i, element) in a.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1, &out)
                try write(element, level: level + 1, into: &out)
            }
            newline(level, &out)
            out += "]"
        case .dict(let d):
            if d.count == 0 { out += "{}"; return }
            out += "{"
            // json.dumps turns non-string keys into strings: 1 -> "1", True -> "true", None -> "null".
            let stringKeyed = d.entries.map { entry -> (key: String, value: JinjaValue) in
                switch entry.key {
                case .string(let s): (s, entry.value)
                case .bool(let b): (b ? "true" : "false", entry.value)
                case .none: ("null", entry.value)
                default: (entry.key.pythonRepr, entry.value)
                }
            }
            let pairs = sortKeys ? stringKeyed.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } : stringKeyed
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1, &out)
                JinjaJSONEncoder.writeString(pair.key, into: &out)
                out += keySeparator
                try write(pair.value, level: level + 1, into: &out)
            }
            newline(level, &out)
            out += "}"
        case .undefined, .namespace, .function:
            throw JinjaRuntimeError("Object of type \(value.typeName) is not JSON serializable")
        }
    }

    /// With `ensure_ascii=False` only `"`, `\` and C0 controls are escaped.
    static func writeString(_ s: String, into out: inout String) {
        var v = String.UnicodeScalarView()
        v.append("\"")
        for c in s.unicodeScalars {
            switch c {
            case "\"": v.append(contentsOf: "\\\"".unicodeScalars)
            case "\\": v.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": v.append(contentsOf: "\\n".unicodeScalars)
            case "\r": v.append(contentsOf: "\\r".unicodeScalars)
            case "\t": v.append(contentsOf: "\\t".unicodeScalars)
            case "\u{08}": v.append(contentsOf: "\\b".unicodeScalars)
            case "\u{0C}": v.append(contentsOf: "\\f".unicodeScalars)
            default:
                if c.value < 0x20 {
                    v.append(contentsOf: ("\\u" + JinjaValue.hex(c.value, width: 4)).unicodeScalars)
                } else {
                    v.append(c)
                }
            }
        }
        v.append("\"")
        out += String(v)
    }
}
