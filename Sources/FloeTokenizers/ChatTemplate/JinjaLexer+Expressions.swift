/// Tokens inside `{{ }}` and `{% %}`: names, numbers, strings (Python escapes) and operators.
extension JinjaLexer {
    /// Longest first, so `//` wins over `/` and `**` over `*`.
    private static let operators = [
        "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
        ">", "<", "=", ".", ":", "|", ",", ";",
    ]

    func lexExpressionToken(_ i: inout Int) throws -> JinjaToken.Kind {
        let c = src[i]
        if c == "_" || c.properties.isAlphabetic {
            let start = i
            while i < src.count, src[i] == "_" || src[i].properties.isAlphabetic || isDigit(src[i]) { i += 1 }
            return .name(string(start, i))
        }
        if isDigit(c) { return try lexNumber(&i) }
        if c == "'" || c == "\"" { return .string(try lexString(&i)) }
        for op in JinjaLexer.operators where matchesAt(op, i) {
            i += op.unicodeScalars.count
            return .op(op)
        }
        throw error("unexpected char '\(Character(c))'", at: i)
    }

    private func isDigit(_ s: Unicode.Scalar) -> Bool { s >= "0" && s <= "9" }

    private func matchesAt(_ literal: String, _ i: Int) -> Bool {
        var j = i
        for s in literal.unicodeScalars {
            guard j < src.count, src[j] == s else { return false }
            j += 1
        }
        return true
    }

    private func string(_ start: Int, _ end: Int) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: src[start..<end])
        return String(v)
    }

    /// Digits with `_` separators; `0x`/`0o`/`0b` prefixes; floats need a fraction or exponent.
    /// A number right after `.` is never a float, so `items.0.1` stays two subscripts.
    private func lexNumber(_ i: inout Int) throws -> JinjaToken.Kind {
        let start = i
        func digits(_ ok: (Unicode.Scalar) -> Bool) {
            while i < src.count, ok(src[i]) || (src[i] == "_" && i + 1 < src.count && ok(src[i + 1])) { i += 1 }
        }
        if src[i] == "0", i + 1 < src.count, let radix = ["x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2][Character(src[i + 1])] {
            i += 2
            let ds = i
            digits { $0.isASCII && Int(String($0), radix: radix) != nil }
            guard let v = Int(string(ds, i).replacingOccurrences(of: "_", with: ""), radix: radix) else {
                throw error("invalid integer literal", at: start)
            }
            return .integer(v)
        }
        digits(isDigit)
        var isFloat = false
        let afterDot = start > 0 && src[start - 1] == "."
        if !afterDot, i + 1 < src.count, src[i] == ".", isDigit(src[i + 1]) {
            isFloat = true
            i += 1
            digits(isDigit)
        }
        if !afterDot, i < src.count, src[i] == "e" || src[i] == "E" {
            var j = i + 1
            if j < src.count, src[j] == "+" || src[j] == "-" { j += 1 }
            if j < src.count, isDigit(src[j]) {
                isFloat = true
                i = j
                digits(isDigit)
            }
        }
        let text = string(start, i).replacingOccurrences(of: "_", with: "")
        if isFloat {
            guard let d = Double(text) else { throw error("invalid float literal", at: start) }
            return .float(d)
        }
        guard let v = Int(text) else { throw error("integer literal too large", at: start) }
        return .integer(v)
    }

    /// Quoted string with Python `unicode_escape` semantics, as jinja2 decodes string literals.
    private func lexString(_ i: inout Int) throws -> String {
        let quote = src[i]
        let start = i
        i += 1
        var out = String.UnicodeScalarView()
        while true {
            guard i < src.count else { throw error("unexpected end of string", at: start) }
            let c = src[i]
            i += 1
            if c == quote { return String(out) }
            guard c == "\\" else { out.append(c); continue }
            guard i < src.count else { throw error("unexpected end of string", at: start) }
            let e = src[i]
            i += 1
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "\\", "'", "\"": out.append(e)
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "\n": break  // line continuation
            case "0"..."7":
                var value = Int(e.value - 48)
                var n = 1
                while n < 3, i < src.count, src[i] >= "0", src[i] <= "7" {
                    value = value * 8 + Int(src[i].value - 48)
                    i += 1
                    n += 1
                }
                out.append(Unicode.Scalar(UInt32(value)) ?? "\u{FFFD}")
            case "x", "u", "U":
                let width = e == "x" ? 2 : e == "u" ? 4 : 8
                guard i + width <= src.count, let v = UInt32(string(i, i + width), radix: 16),
                    let scalar = Unicode.Scalar(v)
                else { throw error("invalid \\\(e) escape in string", at: i - 2) }
                out.append(scalar)
                i += width
            default:
                out.append("\\")
                out.append(e)
            }
        }
    }
}
