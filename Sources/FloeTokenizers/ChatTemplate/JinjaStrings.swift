/// Python `str` operations on Unicode code points. Swift's `String` compares and searches by
/// grapheme cluster (`"\r\n"` is one Character), which would diverge from Python on exactly
/// the control characters chat templates are full of.
enum JinjaStrings {
    typealias Scalars = [Unicode.Scalar]

    /// Python's `str.isspace` set (Unicode White_Space plus the \x1c-\x1f separators).
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace || (c.value >= 0x1C && c.value <= 0x1F)
    }

    static func string(_ s: some Sequence<Unicode.Scalar>) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s)
        return String(v)
    }

    static func find(_ hay: Scalars, _ needle: Scalars, from start: Int = 0) -> Int? {
        guard !needle.isEmpty else { return start <= hay.count ? start : nil }
        guard hay.count >= needle.count, start <= hay.count - needle.count else { return nil }
        outer: for i in start...(hay.count - needle.count) {
            for j in 0..<needle.count where hay[i + j] != needle[j] { continue outer }
            return i
        }
        return nil
    }

    static func count(_ s: String, _ sub: String) -> Int {
        let hay = Array(s.unicodeScalars), needle = Array(sub.unicodeScalars)
        if needle.isEmpty { return hay.count + 1 }
        var n = 0
        var i = 0
        while let f = find(hay, needle, from: i) {
            n += 1
            i = f + needle.count
        }
        return n
    }

    /// `str.replace(old, new, count)`; an empty `old` inserts `new` around every code point.
    static func replace(_ s: String, _ old: String, _ new: String, count limit: Int = -1) -> String {
        let hay = Array(s.unicodeScalars), needle = Array(old.unicodeScalars), repl = Array(new.unicodeScalars)
        var out: Scalars = []
        var done = 0
        if needle.isEmpty {
            for c in hay {
                if limit < 0 || done < limit { out += repl; done += 1 }
                out.append(c)
            }
            if limit < 0 || done < limit { out += repl }
            return string(out)
        }
        var i = 0
        while limit < 0 || done < limit, let f = find(hay, needle, from: i) {
            out += hay[i..<f]
            out += repl
            i = f + needle.count
            done += 1
        }
        out += hay[i...]
        return string(out)
    }

    /// `str.strip/lstrip/rstrip(chars)`: whitespace when `chars` is nil.
    static func strip(_ s: String, _ chars: String?, leading: Bool, trailing: Bool) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        let drop: (Unicode.Scalar) -> Bool = { c in set.map { $0.contains(c) } ?? isSpace(c) }
        var a = Array(s.unicodeScalars)[...]
        if leading { while let f = a.first, drop(f) { a = a.dropFirst() } }
        if trailing { while let l = a.last, drop(l) { a = a.dropLast() } }
        return string(a)
    }

    /// `str.split(sep, maxsplit)`; `sep == nil` splits on whitespace runs and drops empties.
    static func split(_ s: String, _ sep: String?, maxSplit: Int = -1) throws -> [String] {
        let hay = Array(s.unicodeScalars)
        guard let sep else {
            var parts: [String] = []
            var i = 0
            while i < hay.count {
                while i < hay.count, isSpace(hay[i]) { i += 1 }
                guard i < hay.count else { break }
                if maxSplit >= 0, parts.count == maxSplit {
                    var end = hay.count
                    while end > i, isSpace(hay[end - 1]) { end -= 1 }
                    parts.append(string(hay[i..<end]))
                    break
                }
                let start = i
                while i < hay.count, !isSpace(hay[i]) { i += 1 }
                parts.append(string(hay[start..<i]))
            }
            return parts
        }
        let needle = Array(sep.unicodeScalars)
        guard !needle.isEmpty else { throw JinjaRuntimeError("empty separator") }
        var parts: [String] = []
        var i = 0
        while maxSplit < 0 || parts.count < maxSplit, let f = find(hay, needle, from: i) {
            parts.append(string(hay[i..<f]))
            i = f + needle.count
        }
        parts.append(string(hay[i...]))
        return parts
    }

    static func hasPrefix(_ s: String, _ p: String) -> Bool { s.unicodeScalars.starts(with: p.unicodeScalars) }

    static func hasSuffix(_ s: String, _ p: String) -> Bool {
        s.unicodeScalars.reversed().starts(with: p.unicodeScalars.reversed())
    }

    /// Python `str.upper()/lower()` are full case mappings, which Swift's match closely.
    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + string(s.unicodeScalars.dropFirst()).lowercased()
    }

    /// jinja2's `title` filter: words start after whitespace, `-`, and opening brackets.
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var startOfWord = true
        for c in s.unicodeScalars {
            out += startOfWord ? String(c).uppercased() : String(c).lowercased()
            startOfWord = isSpace(c) || "-({[<".unicodeScalars.contains(c)
        }
        return out
    }

    /// Python `str.title()`: a letter after a non-letter starts a word.
    static func pythonTitle(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s.unicodeScalars {
            let isLetter = c.properties.isCased || c.properties.isAlphabetic
            out += previousCased ? String(c).lowercased() : String(c).uppercased()
            previousCased = isLetter
        }
        return out
    }
}
