import Foundation

/// Python string formatting: `"%s, %d" % (a, b)` / `|format(...)`, and `"{} {name}".format(...)`.
/// Supports the conversions templates use (s, r, d, i, f, x, %) with simple width/precision;
/// anything fancier is an error rather than a silent mismatch.
enum JinjaPercentFormat {
    static func format(_ template: String, _ values: JinjaValue) throws -> String {
        var positional: [JinjaValue]
        var mapping: JinjaDict? = nil
        switch values {
        case .tuple(let items): positional = items
        case .dict(let d): positional = [values]; mapping = d
        default: positional = [values]
        }
        var out = ""
        var next = 0
        let chars = Array(template.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            i += 1
            guard c == "%" else { out.unicodeScalars.append(c); continue }
            guard i < chars.count else { throw JinjaRuntimeError("incomplete format") }
            var value: JinjaValue? = nil
            if chars[i] == "(" {
                guard let close = chars[i...].firstIndex(of: ")"), let mapping else { throw JinjaRuntimeError("format requires a mapping") }
                let key = JinjaStrings.string(chars[(i + 1)..<close])
                value = mapping[key] ?? .undefined(key)
                i = close + 1
            }
            var spec = ""
            while i < chars.count, "-+ #0123456789.".unicodeScalars.contains(chars[i]) {
                spec.unicodeScalars.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw JinjaRuntimeError("incomplete format") }
            let conversion = chars[i]
            i += 1
            if conversion == "%" { out += "%"; continue }
            if value == nil {
                guard next < positional.count else { throw JinjaRuntimeError("not enough arguments for format string") }
                value = positional[next]
                next += 1
            }
            out += try convert(value!, conversion, spec)
        }
        if mapping == nil, next < positional.count {
            throw JinjaRuntimeError("not all arguments converted during string formatting")
        }
        return out
    }

    private static func convert(_ v: JinjaValue, _ conversion: Unicode.Scalar, _ spec: String) throws -> String {
        let parts = spec.split(separator: ".", omittingEmptySubsequences: false)
        let flags = parts.first.map(String.init) ?? ""
        let leftAlign = flags.contains("-")
        let zeroPad = flags.hasPrefix("0") || flags.contains("-0")
        let width = Int(flags.filter { $0.isNumber }) ?? 0
        let precision = parts.count > 1 ? Int(parts[1]) ?? 0 : nil
        var body: String
        switch conversion {
        case "s": body = v.pythonString
        case "r": body = v.pythonRepr
        case "d", "i":
            guard let d = v.asDouble, d.isFinite, abs(d) < 9.2e18 else { throw JinjaRuntimeError("%d format: a real number is required") }
            body = String(v.asInt ?? Int(d))
        case "f", "F":
            guard let d = v.asDouble else { throw JinjaRuntimeError("%f format: a real number is required") }
            body = fixed(d, precision ?? 6)
        case "x", "X":
            guard let n = v.asInt else { throw JinjaRuntimeError("%x format: an integer is required") }
            body = String(n, radix: 16, uppercase: conversion == "X")
        default: throw JinjaRuntimeError("unsupported format character '\(conversion)'")
        }
        if conversion == "s", let precision { body = String(body.unicodeScalars.prefix(precision)) }
        let pad = width - body.unicodeScalars.count
        guard pad > 0 else { return body }
        if leftAlign { return body + String(repeating: " ", count: pad) }
        if zeroPad, conversion != "s" {
            let negative = body.hasPrefix("-")
            return (negative ? "-" : "") + String(repeating: "0", count: pad) + (negative ? String(body.dropFirst()) : body)
        }
        return String(repeating: " ", count: pad) + body
    }

    /// Fixed-point with round-half-even on the exact binary value, like C's printf.
    static func fixed(_ d: Double, _ precision: Int) -> String {
        guard d.isFinite else { return d.isNaN ? "nan" : (d < 0 ? "-inf" : "inf") }
        return String(format: "%.\(max(0, min(precision, 50)))f", d)
    }

    /// `str.format`: `{}`, `{0}`, `{name}`, `{{`/`}}`; a `:spec` supports only `.Nf` and width.
    static func braceFormat(_ template: String, _ args: JinjaArguments) throws -> String {
        var out = ""
        var auto = 0
        let chars = Array(template.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            i += 1
            if c == "}" {
                guard i < chars.count, chars[i] == "}" else { throw JinjaRuntimeError("Single '}' encountered in format string") }
                i += 1
                out += "}"
                continue
            }
            guard c == "{" else { out.unicodeScalars.append(c); continue }
            if i < chars.count, chars[i] == "{" { i += 1; out += "{"; continue }
            guard let close = chars[i...].firstIndex(of: "}") else { throw JinjaRuntimeError("expected '}' before end of string") }
            let field = JinjaStrings.string(chars[i..<close])
            i = close + 1
            let pieces = field.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(pieces[0])
            let value: JinjaValue
            if key.isEmpty {
                guard auto < args.positional.count else { throw JinjaRuntimeError("Replacement index \(auto) out of range") }
                value = args.positional[auto]
                auto += 1
            } else if let n = Int(key) {
                guard n >= 0, n < args.positional.count else { throw JinjaRuntimeError("Replacement index \(n) out of range") }
                value = args.positional[n]
            } else {
                guard let v = args.keywordValue(key) else { throw JinjaRuntimeError("KeyError: '\(key)'") }
                value = v
            }
            if pieces.count > 1, !pieces[1].isEmpty {
                let spec = String(pieces[1])
                if spec.hasSuffix("f"), let dot = spec.firstIndex(of: "."), let p = Int(spec[spec.index(after: dot)..<spec.index(before: spec.endIndex)]),
                    let d = value.asDouble
                {
                    out += fixed(d, p)
                } else if let w = Int(spec) {
                    let body = value.pythonString
                    let pad = String(repeating: " ", count: max(0, w - body.unicodeScalars.count))
                    out += value.asDouble != nil && !(value.isNone) ? pad + body : body + pad
                } else {
                    throw JinjaRuntimeError("unsupported format spec '\(spec)'")
                }
            } else {
                out += value.pythonString
            }
        }
        return out
    }
}
