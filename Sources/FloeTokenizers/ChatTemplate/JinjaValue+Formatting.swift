/// Python's `str()` and `repr()` for runtime values, because `{{ x }}` prints `str(x)` and
/// containers print their elements with `repr` (`['a', None, True]`).
extension JinjaValue {
    /// `str(x)`; undefined prints as the empty string.
    var pythonString: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: pythonRepr
        }
    }

    var pythonRepr: String {
        switch self {
        case .undefined: ""
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        // Swift's shortest round-trip description matches Python's float repr (1.0, 1e-05, 1e+16).
        case .float(let d): d.description
        case .string(let s): JinjaValue.reprString(s)
        case .list(let a): "[" + a.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .tuple(let a): a.count == 1 ? "(\(a[0].pythonRepr),)" : "(" + a.map(\.pythonRepr).joined(separator: ", ") + ")"
        case .dict(let d):
            "{" + d.entries.map { $0.key.pythonRepr + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        case .namespace(let n): "<Namespace " + JinjaValue.dict(n.attributes).pythonRepr + ">"
        case .function(let f): "<function \(f.name)>"
        }
    }

    /// Python picks single quotes unless the text has a single quote and no double quote.
    static func reprString(_ s: String) -> String {
        let quote: Unicode.Scalar = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String.UnicodeScalarView()
        out.append(quote)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case quote: out.append("\\"); out.append(c)
            default:
                if c.value < 0x20 || c.value == 0x7F {
                    out.append(contentsOf: ("\\x" + hex(c.value, width: 2)).unicodeScalars)
                } else {
                    out.append(c)
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    static func hex(_ v: UInt32, width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
