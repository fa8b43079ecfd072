/// Hand-written equivalent of GPT-2's pre-tokenizer regex
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// with Oniguruma's leftmost-first alternation. Every scalar belongs to some alternative, so the
/// matches tile the input.
enum GPT2PatternScanner {
    static func matches(in s: [Unicode.Scalar]) -> [Range<Int>] {
        PatternTiling.tile(s) { matchEnd($0, at: $1) }
    }

    private static func matchEnd(_ s: [Unicode.Scalar], at i: Int) -> Int {
        let n = s.count
        if let end = contractionEnd(s, at: i) { return end }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: the optional space binds to the run.
        let k = s[i] == " " ? i + 1 : i
        if k < n {
            let c = s[k]
            let test: (Unicode.Scalar) -> Bool
            if ScalarClass.isLetter(c) {
                test = ScalarClass.isLetter
            } else if ScalarClass.isNumber(c) {
                test = ScalarClass.isNumber
            } else if !ScalarClass.isWhitespace(c) {
                test = ScalarClass.isOther
            } else {
                test = { _ in false }
            }
            if test(c) {
                var j = k + 1
                while j < n, test(s[j]) { j += 1 }
                return j
            }
        }
        // s[i] is whitespace. `\s+(?!\S)` leaves the last space of a run for the next word.
        var j = i + 1
        while j < n, ScalarClass.isWhitespace(s[j]) { j += 1 }
        if j == n || j - i == 1 { return j }
        return j - 1
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`, case-sensitive.
    private static func contractionEnd(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        guard s[i] == "'", i + 1 < s.count else { return nil }
        switch s[i + 1] {
        case "s", "t", "m", "d": return i + 2
        case "r", "v":
            return i + 2 < s.count && s[i + 2] == "e" ? i + 3 : nil
        case "l":
            return i + 2 < s.count && s[i + 2] == "l" ? i + 3 : nil
        default: return nil
        }
    }
}
