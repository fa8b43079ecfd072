/// HF `Whitespace`: the regex `\w+|[^\w\s]+`, i.e. runs of word characters and runs of other
/// non-space characters; whitespace is dropped.
public struct WhitespacePreTokenizer: RangeSplittingPreTokenizer {
    public init() {}

    func pieceRanges(in s: [Unicode.Scalar]) -> [Range<Int>] {
        nonWhitespaceRuns(in: s) { WordClass.isWord($0) == WordClass.isWord($1) }
    }
}

/// HF `WhitespaceSplit`: splits on whitespace and drops it.
public struct WhitespaceSplitPreTokenizer: RangeSplittingPreTokenizer {
    public init() {}

    func pieceRanges(in s: [Unicode.Scalar]) -> [Range<Int>] {
        nonWhitespaceRuns(in: s) { _, _ in true }
    }
}

/// Maximal runs of non-whitespace scalars in which every scalar `belongsWith` the run's first;
/// whitespace separates runs and is dropped.
private func nonWhitespaceRuns(
    in s: [Unicode.Scalar], belongsWith: (_ first: Unicode.Scalar, _ next: Unicode.Scalar) -> Bool
) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var i = 0
    while i < s.count {
        if ScalarClass.isWhitespace(s[i]) {
            i += 1
            continue
        }
        var j = i + 1
        while j < s.count, !ScalarClass.isWhitespace(s[j]), belongsWith(s[i], s[j]) { j += 1 }
        ranges.append(i..<j)
        i = j
    }
    return ranges
}

/// HF `BertPreTokenizer`: split on whitespace (dropped), then every punctuation character is a
/// piece of its own.
public struct BertPreTokenizer: RangeSplittingPreTokenizer {
    public init() {}

    func pieceRanges(in s: [Unicode.Scalar]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(s.count / 4 + 1)
        var i = 0
        while i < s.count {
            let c = s[i]
            if ScalarClass.isWhitespace(c) {
                i += 1
            } else if WordClass.isPunctuation(c) {
                ranges.append(i..<(i + 1))
                i += 1
            } else {
                var j = i + 1
                while j < s.count, !ScalarClass.isWhitespace(s[j]), !WordClass.isPunctuation(s[j]) { j += 1 }
                ranges.append(i..<j)
                i = j
            }
        }
        return ranges
    }
}

/// HF `Punctuation`: each punctuation character is a delimiter handled per `behavior`
/// (default `Isolated`).
public struct PunctuationPreTokenizer: RangeSplittingPreTokenizer {
    public let behavior: SplitPreTokenizer.Behavior

    public init(behavior: SplitPreTokenizer.Behavior = .isolated) {
        self.behavior = behavior
    }

    func pieceRanges(in s: [Unicode.Scalar]) -> [Range<Int>] {
        var matches: [Range<Int>] = []
        for i in s.indices where WordClass.isPunctuation(s[i]) { matches.append(i..<(i + 1)) }
        if matches.isEmpty { return [0..<s.count] }
        return SplitPreTokenizer.split(count: s.count, matches: matches, behavior: behavior, invert: false)
    }
}

/// Character classes of the BERT-style pre-tokenizers (Rust definitions, not Oniguruma's).
enum WordClass {
    /// Rust regex `\w`.
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 {
            return (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A || (v >= 0x30 && v <= 0x39) || v == 0x5F
        }
        return AddedTokenMatcher.isWordCharacter(s)
    }

    /// HF's `is_bert_punc`: ASCII punctuation (which includes symbols like `$+<=>^`|~`) or
    /// any Unicode P* category.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 {
            return (v >= 0x21 && v <= 0x2F) || (v >= 0x3A && v <= 0x40) || (v >= 0x5B && v <= 0x60) || (v >= 0x7B && v <= 0x7E)
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
