/// Splits a template into tokens, applying jinja2's whitespace rules the way transformers
/// configures them (`trim_blocks=True`, `lstrip_blocks=True`, `keep_trailing_newline=False`):
///
/// - `{%-`/`{{-`/`{#-` strip all whitespace before the tag; `-%}`/`-}}`/`-#}` strip all after.
/// - trim_blocks: one `\n` right after `%}` or `#}` is dropped (not after `}}`; `+%}` keeps it).
/// - lstrip_blocks: spaces/tabs between a line start and `{%`/`{#` are dropped (`{%+` keeps them).
/// - One trailing newline of the whole template is dropped; `\r\n` and `\r` become `\n`.
///
/// Tag ends are only recognised while brackets are balanced, so `{{ {'a': 1}}}` works as in jinja2.
struct JinjaLexer {
    let src: [Unicode.Scalar]
    let map: SourceMap
    private var pos = 0
    private var tokens: [JinjaToken] = []

    init(_ source: String) {
        src = JinjaLexer.normalizeNewlines(source)
        map = SourceMap(src)
    }

    static func normalizeNewlines(_ source: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(source.unicodeScalars.count)
        var it = source.unicodeScalars.makeIterator()
        var pendingCR = false
        while let s = it.next() {
            if pendingCR {
                pendingCR = false
                if s == "\n" { continue }
            }
            if s == "\r" {
                out.append("\n")
                pendingCR = true
            } else {
                out.append(s)
            }
        }
        if out.last == "\n" { out.removeLast() }
        return out
    }

    func error(_ message: String, at offset: Int) -> ChatTemplateError {
        let (line, column) = map.location(offset)
        return .syntax(message: message, line: line, column: column)
    }

    mutating func tokenize() throws -> [JinjaToken] {
        while pos < src.count {
            guard let tagStart = nextTagStart(from: pos) else {
                emitText(pos, src.count)
                pos = src.count
                break
            }
            let kind = src[tagStart + 1]
            let sign: Unicode.Scalar? = tagStart + 2 < src.count ? src[tagStart + 2] : nil
            let isRaw = kind == "%" ? rawBeginEnd(tagStart) : nil
            var textEnd = tagStart
            if sign == "-" {
                textEnd = stripTrailingWhitespace(pos, tagStart)
            } else if sign != "+", kind != "{" {
                textEnd = lstripBlock(pos, tagStart)
            }
            emitText(pos, textEnd)
            if let rawContentStart = isRaw {
                try lexRaw(contentStart: rawContentStart)
            } else if kind == "#" {
                try skipComment(tagStart)
            } else {
                try lexTag(tagStart, isBlock: kind == "%")
            }
        }
        tokens.append(JinjaToken(kind: .eof, offset: src.count))
        return tokens
    }

    private func nextTagStart(from start: Int) -> Int? {
        var i = start
        while i + 1 < src.count {
            if src[i] == "{" {
                let n = src[i + 1]
                if n == "{" || n == "%" || n == "#" { return i }
            }
            i += 1
        }
        return nil
    }

    private mutating func emitText(_ start: Int, _ end: Int) {
        guard start < end else { return }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: src[start..<end])
        tokens.append(JinjaToken(kind: .text(String(s)), offset: start))
    }

    private func stripTrailingWhitespace(_ start: Int, _ end: Int) -> Int {
        var e = end
        while e > start, src[e - 1].properties.isWhitespace { e -= 1 }
        return e
    }

    /// lstrip_blocks: drop the whitespace run between the last line start and the tag, if the
    /// run is all the line holds so far. A text that begins the template or follows a `\n`
    /// consumed by the previous tag counts as starting a line (jinja2's `line_starting`).
    private func lstripBlock(_ start: Int, _ end: Int) -> Int {
        var lineStart = end
        while lineStart > start, src[lineStart - 1] != "\n" { lineStart -= 1 }
        let atLineStart = lineStart > start || start == 0 || src[start - 1] == "\n"
        guard atLineStart, lineStart < end else { return end }
        for i in lineStart..<end where !src[i].properties.isWhitespace { return end }
        return lineStart
    }

    private func skipWhitespace(_ from: Int) -> Int {
        var i = from
        while i < src.count, src[i].properties.isWhitespace { i += 1 }
        return i
    }

    private func matches(_ literal: String, at i: Int) -> Bool {
        var j = i
        for s in literal.unicodeScalars {
            guard j < src.count, src[j] == s else { return false }
            j += 1
        }
        return true
    }

    /// Consumes the end of a block or comment tag whose closing text (`%}` or `#}`) starts at
    /// `closeAt`, honouring `-` (strip all following whitespace), `+` and trim_blocks.
    private func afterBlockEnd(sign: Unicode.Scalar?, closeEnd: Int, trims: Bool = true) -> Int {
        if sign == "-" { return skipWhitespace(closeEnd) }
        if sign == "+" || !trims { return closeEnd }
        return closeEnd < src.count && src[closeEnd] == "\n" ? closeEnd + 1 : closeEnd
    }

    private mutating func skipComment(_ tagStart: Int) throws {
        var contentStart = tagStart + 2
        if contentStart < src.count, src[contentStart] == "-" || src[contentStart] == "+" { contentStart += 1 }
        var i = contentStart
        while i + 1 < src.count {
            if src[i] == "#" && src[i + 1] == "}" {
                let sign: Unicode.Scalar? =
                    i > contentStart && (src[i - 1] == "-" || src[i - 1] == "+") ? src[i - 1] : nil
                pos = afterBlockEnd(sign: sign, closeEnd: i + 2)
                return
            }
            i += 1
        }
        throw error("Missing end of comment tag", at: tagStart)
    }

    /// Matches `{%[-+]? raw [-]?%}` at `tagStart`; returns where the raw content begins.
    /// jinja2 applies no trim_blocks after `{% raw %}`, only `-%}` stripping.
    private func rawBeginEnd(_ tagStart: Int) -> Int? {
        var i = tagStart + 2
        if i < src.count, src[i] == "-" || src[i] == "+" { i += 1 }
        i = skipWhitespace(i)
        guard matches("raw", at: i) else { return nil }
        i = skipWhitespace(i + 3)
        if matches("-%}", at: i) { return skipWhitespace(i + 3) }
        if matches("%}", at: i) { return i + 2 }
        return nil
    }

    private mutating func lexRaw(contentStart: Int) throws {
        var i = contentStart
        while let tag = nextTagStart(from: i) {
            i = tag + 1
            guard src[tag + 1] == "%" else { continue }
            var j = tag + 2
            let sign: Unicode.Scalar? = j < src.count && (src[j] == "-" || src[j] == "+") ? src[j] : nil
            if sign != nil { j += 1 }
            j = skipWhitespace(j)
            guard matches("endraw", at: j) else { continue }
            j = skipWhitespace(j + 6)
            var closeSign: Unicode.Scalar? = nil
            if j < src.count, src[j] == "-" || src[j] == "+" { closeSign = src[j]; j += 1 }
            guard matches("%}", at: j) else { continue }
            var textEnd = tag
            if sign == "-" {
                textEnd = stripTrailingWhitespace(contentStart, tag)
            } else if sign != "+" {
                textEnd = lstripBlock(contentStart, tag)
            }
            emitText(contentStart, textEnd)
            pos = afterBlockEnd(sign: closeSign, closeEnd: j + 2)
            return
        }
        throw error("Missing end of raw directive", at: contentStart)
    }

    private mutating func lexTag(_ tagStart: Int, isBlock: Bool) throws {
        tokens.append(JinjaToken(kind: isBlock ? .blockBegin : .variableBegin, offset: tagStart))
        var i = tagStart + 2
        if i < src.count, src[i] == "-" || src[i] == "+" { i += 1 }
        var balance: [Unicode.Scalar] = []
        while true {
            i = skipWhitespace(i)
            guard i < src.count else { throw error("unexpected end of template, expected end of tag", at: i) }
            if balance.isEmpty {
                if isBlock {
                    let closes: [(String, Unicode.Scalar?)] = [("+%}", "+"), ("-%}", "-"), ("%}", nil)]
                    for (close, sign) in closes where matches(close, at: i) {
                        tokens.append(JinjaToken(kind: .blockEnd, offset: i))
                        pos = afterBlockEnd(sign: sign, closeEnd: i + close.unicodeScalars.count)
                        return
                    }
                } else if matches("-}}", at: i) {
                    tokens.append(JinjaToken(kind: .variableEnd, offset: i))
                    pos = skipWhitespace(i + 3)
                    return
                } else if matches("}}", at: i) {
                    tokens.append(JinjaToken(kind: .variableEnd, offset: i))
                    pos = i + 2
                    return
                }
            }
            let start = i
            let kind = try lexExpressionToken(&i)
            if case .op(let o) = kind {
                switch o {
                case "(": balance.append(")")
                case "[": balance.append("]")
                case "{": balance.append("}")
                case ")", "]", "}":
                    guard let expected = balance.popLast() else { throw error("unexpected '\(o)'", at: start) }
                    guard String(expected) == o else { throw error("unexpected '\(o)', expected '\(expected)'", at: start) }
                default: break
                }
            }
            tokens.append(JinjaToken(kind: kind, offset: start))
        }
    }
}
