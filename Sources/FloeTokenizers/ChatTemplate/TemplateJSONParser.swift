import Foundation

/// A small JSON reader that keeps object key order, which `JSONSerialization` loses.
/// Chat requests carry tool schemas whose key order shows up verbatim in `tojson` output.
enum TemplateJSONParser {
    struct Failure: Error, CustomStringConvertible {
        let offset: Int
        let message: String
        var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    static func parse(_ data: Data) throws -> TemplateValue {
        var reader = Reader(bytes: [UInt8](data))
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.pos == reader.bytes.count else { throw reader.fail("trailing characters") }
        return value
    }

    private struct Reader {
        let bytes: [UInt8]
        var pos = 0

        func fail(_ message: String) -> Failure { Failure(offset: pos, message: message) }

        var peek: UInt8? { pos < bytes.count ? bytes[pos] : nil }

        mutating func skipSpace() {
            while let c = peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for b in literal.utf8 {
                guard peek == b else { throw fail("expected \(literal)") }
                pos += 1
            }
        }

        /// `depth` bounds recursion so hostile input cannot overflow the stack.
        mutating func value(depth: Int) throws -> TemplateValue {
            guard depth < 512 else { throw fail("nesting too deep") }
            guard let c = peek else { throw fail("unexpected end") }
            switch c {
            case UInt8(ascii: "{"):
                pos += 1
                var object = TemplateObject()
                skipSpace()
                if peek == UInt8(ascii: "}") { pos += 1; return .object(object) }
                while true {
                    skipSpace()
                    guard peek == UInt8(ascii: "\"") else { throw fail("expected key") }
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    skipSpace()
                    object[key] = try value(depth: depth + 1)
                    skipSpace()
                    if peek == UInt8(ascii: ",") { pos += 1; continue }
                    try expect("}")
                    return .object(object)
                }
            case UInt8(ascii: "["):
                pos += 1
                var array: [TemplateValue] = []
                skipSpace()
                if peek == UInt8(ascii: "]") { pos += 1; return .array(array) }
                while true {
                    skipSpace()
                    array.append(try value(depth: depth + 1))
                    skipSpace()
                    if peek == UInt8(ascii: ",") { pos += 1; continue }
                    try expect("]")
                    return .array(array)
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true"); return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false"); return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null"); return .null
            default:
                return try number()
            }
        }

        mutating func number() throws -> TemplateValue {
            let start = pos
            var isFloat = false
            while let c = peek {
                if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
                    pos += 1
                } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                    isFloat = true
                    pos += 1
                } else {
                    break
                }
            }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            if !isFloat, let i = Int(text) { return .int(i) }
            // Integers beyond 64 bits degrade to Double rather than failing the request.
            guard !text.isEmpty, let d = Double(text) else { pos = start; throw fail("invalid value") }
            return .double(d)
        }

        mutating func string() throws -> String {
            pos += 1  // opening quote
            var out: [UInt8] = []
            while true {
                guard let c = peek else { throw fail("unterminated string") }
                pos += 1
                if c == UInt8(ascii: "\"") { break }
                if c != UInt8(ascii: "\\") { out.append(c); continue }
                guard let e = peek else { throw fail("unterminated escape") }
                pos += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    // Surrogate pairs encode astral characters as two \u escapes.
                    if scalar >= 0xD800 && scalar < 0xDC00, peek == UInt8(ascii: "\\"),
                        pos + 1 < bytes.count, bytes[pos + 1] == UInt8(ascii: "u")
                    {
                        pos += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            out.append(contentsOf: Array("\u{FFFD}".utf8))
                            scalar = low
                        }
                    }
                    let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: out.append(e)  // \" \\ \/
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func hex4() throws -> UInt32 {
            guard pos + 4 <= bytes.count,
                let v = UInt32(String(decoding: bytes[pos..<pos + 4], as: UTF8.self), radix: 16)
            else { throw fail("bad \\u escape") }
            pos += 4
            return v
        }
    }
}
