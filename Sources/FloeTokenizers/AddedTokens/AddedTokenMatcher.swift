/// Finds added tokens in text, leftmost-longest and non-overlapping, as HF's Aho-Corasick
/// automaton does. Tokens are bucketed by first scalar; real vocabularies have a few hundred
/// added tokens sharing a handful of first characters ("<", "["), so this stays cheap.
struct AddedTokenMatcher: Sendable {
    enum Segment: Equatable {
        case text(String)
        case token(Int)
    }

    private struct Pattern {
        var scalars: [Unicode.Scalar]
        var token: AddedToken
    }

    /// Candidates per first scalar, longest first.
    private let candidates: [UInt32: [Pattern]]
    private let asciiFirst: [Bool]

    /// - Parameter patterns: (text to look for, token); the text may be the token's normalized form.
    init(_ patterns: [(String, AddedToken)]) {
        var candidates: [UInt32: [Pattern]] = [:]
        var asciiFirst = [Bool](repeating: false, count: 128)
        for (text, token) in patterns {
            let scalars = Array(text.unicodeScalars)
            guard let first = scalars.first else { continue }
            candidates[first.value, default: []].append(Pattern(scalars: scalars, token: token))
            if first.value < 128 { asciiFirst[Int(first.value)] = true }
        }
        self.candidates = candidates.mapValues { $0.sorted { $0.scalars.count > $1.scalars.count } }
        self.asciiFirst = asciiFirst
    }

    var isEmpty: Bool { candidates.isEmpty }

    func split(_ text: String) -> [Segment] {
        guard !isEmpty, text.unicodeScalars.contains(where: mayStart) else { return [.text(text)] }
        let s = Array(text.unicodeScalars)
        var segments: [Segment] = []
        var last = 0
        for match in matches(in: s) {
            if last < match.range.lowerBound { segments.append(.text(String(scalars: s[last..<match.range.lowerBound]))) }
            segments.append(.token(match.id))
            last = match.range.upperBound
        }
        if last < s.count { segments.append(.text(String(scalars: s[last..<s.count]))) }
        return segments
    }

    /// The added tokens in `s`, in order; each range includes the whitespace its token's
    /// `lstrip` / `rstrip` swallows (HF reports that whole span as the token's offsets).
    func matches(in s: [Unicode.Scalar]) -> [(range: Range<Int>, id: Int)] {
        guard !isEmpty, s.contains(where: mayStart) else { return [] }
        let n = s.count
        var result: [(range: Range<Int>, id: Int)] = []
        var startOffset = 0
        var i = 0
        while i < n {
            guard let match = longestMatch(s, at: i) else {
                i += 1
                continue
            }
            var start = i
            var stop = i + match.scalars.count
            let token = match.token
            if token.singleWord {
                let startsClean = start == 0 || !Self.isWordCharacter(s[start - 1])
                let stopsClean = stop == n || !Self.isWordCharacter(s[stop])
                if !(startsClean && stopsClean) {
                    i = stop
                    continue
                }
            }
            if token.lstrip {
                var newStart = start
                while newStart > 0, ScalarClass.isWhitespace(s[newStart - 1]) { newStart -= 1 }
                // Spaces already consumed by the previous token's rstrip stay with it.
                start = max(newStart, startOffset)
            }
            if token.rstrip {
                while stop < n, ScalarClass.isWhitespace(s[stop]) { stop += 1 }
            }
            result.append((start..<stop, token.id))
            startOffset = stop
            i = stop
        }
        return result
    }

    private func mayStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 128 ? asciiFirst[Int(scalar.value)] : candidates[scalar.value] != nil
    }

    private func longestMatch(_ s: [Unicode.Scalar], at i: Int) -> Pattern? {
        guard mayStart(s[i]), let list = candidates[s[i].value] else { return nil }
        for pattern in list where i + pattern.scalars.count <= s.count {
            if s[i..<(i + pattern.scalars.count)].elementsEqual(pattern.scalars) { return pattern }
        }
        return nil
    }

    /// Rust regex `\w`: alphabetic, marks, decimal digits, connector punctuation, join controls.
    static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        let properties = s.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}
