/// Hand-written equivalent of the Llama 3 (cl100k-style) pre-tokenizer regex
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// and of Qwen2's, which differs only in `\p{N}` (one digit per match).
/// Alternatives are tried in order at each position, as Oniguruma does.
struct LlamaPatternScanner {
    /// 3 for Llama 3, 1 for Qwen2.
    let maxDigits: Int

    func matches(in s: [Unicode.Scalar]) -> [Range<Int>] {
        PatternTiling.tile(s) { matchEnd($0, at: $1) }
    }

    private func matchEnd(_ s: [Unicode.Scalar], at i: Int) -> Int {
        let n = s.count
        let c = s[i]
        if let end = Self.contractionEnd(s, at: i) { return end }

        // `[^\r\n\p{L}\p{N}]?\p{L}+`: one leading non-letter (space, punctuation, tab...) may
        // join a letter run, e.g. " world", "(foo", "\tbar".
        if ScalarClass.isLetter(c) { return letterRunEnd(s, from: i + 1) }
        if !ScalarClass.isNewline(c), !ScalarClass.isNumber(c), i + 1 < n, ScalarClass.isLetter(s[i + 1]) {
            return letterRunEnd(s, from: i + 2)
        }

        if ScalarClass.isNumber(c) {
            var j = i + 1
            while j < n, j - i < maxDigits, ScalarClass.isNumber(s[j]) { j += 1 }
            return j
        }

        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let k = c == " " ? i + 1 : i
        if k < n, ScalarClass.isOther(s[k]) {
            var j = k + 1
            while j < n, ScalarClass.isOther(s[j]) { j += 1 }
            while j < n, ScalarClass.isNewline(s[j]) { j += 1 }
            return j
        }

        // c is whitespace from here on.
        var j = i + 1
        while j < n, ScalarClass.isWhitespace(s[j]) { j += 1 }
        // `\s*[\r\n]+`: backtracking ends the match just after the run's last newline.
        var last = j - 1
        while last >= i, !ScalarClass.isNewline(s[last]) { last -= 1 }
        if last >= i { return last + 1 }
        // `\s+(?!\S)` then `\s+`.
        if j == n || j - i == 1 { return j }
        return j - 1
    }

    private func letterRunEnd(_ s: [Unicode.Scalar], from start: Int) -> Int {
        var j = start
        while j < s.count, ScalarClass.isLetter(s[j]) { j += 1 }
        return j
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)`. Oniguruma's case folding also maps U+017F (long s) to s.
    private static func contractionEnd(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        guard s[i] == "'", i + 1 < s.count else { return nil }
        func lower(_ k: Int) -> UInt32 {
            guard k < s.count else { return 0 }
            let v = s[k].value
            if v == 0x17F { return 0x73 }
            return v < 0x80 ? v | 0x20 : v
        }
        switch lower(i + 1) {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
        case 0x72, 0x76: return lower(i + 2) == 0x65 ? i + 3 : nil  // re ve
        case 0x6C: return lower(i + 2) == 0x6C ? i + 3 : nil  // ll
        default: return nil
        }
    }
}
