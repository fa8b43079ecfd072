/// Replaces every occurrence of a literal string or a regex (HF `Replace`), e.g. " " -> "▁" for
/// SentencePiece tokenizers, or runs of spaces -> one space.
public struct ReplaceNormalizer: Normalizer {
    /// The literal text, or the regex source when `isRegex`.
    public let pattern: String
    public let content: String
    private let regex: RegexMatcher?

    public var isRegex: Bool { regex != nil }

    public init(pattern: String, content: String) {
        self.pattern = pattern
        self.content = content
        regex = nil
    }

    /// A regex pattern (HF `{"Regex": ...}`), matched over Unicode scalars.
    public init(regex: String, content: String) throws(TokenizerError) {
        pattern = regex
        self.content = content
        self.regex = try RegexMatcher(regex)
    }

    public func normalize(_ text: String) -> String {
        guard let regex else { return text.replacingAll(pattern, with: content) }
        let scalars = Array(text.unicodeScalars)
        let matches = regex.matches(in: scalars)
        guard !matches.isEmpty else { return text }
        var out = String.UnicodeScalarView()
        var last = 0
        for match in matches {
            out.append(contentsOf: scalars[last..<match.lowerBound])
            out.append(contentsOf: content.unicodeScalars)
            last = match.upperBound
        }
        out.append(contentsOf: scalars[last...])
        return String(out)
    }

    func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        if let regex { return regex.matches(in: scalars) }
        return SplitPattern.literalMatches(Array(pattern.unicodeScalars), in: scalars)
    }
}

extension ReplaceNormalizer: AlignedNormalizer {
    /// Replacement scalars take the alignment of the last character they replace (HF inserts
    /// them after removing the match, aligned with the character before the insertion point).
    func normalize(aligned text: AlignedText) -> AlignedText {
        let matches = matches(in: text.scalars)
        guard !matches.isEmpty else { return text }
        var result = AlignedText()
        var last = 0
        for match in matches {
            result.append(contentsOf: text, last..<match.lowerBound)
            let end = match.upperBound - 1
            for scalar in content.unicodeScalars { result.append(scalar, start: text.starts[end], end: text.ends[end]) }
            last = match.upperBound
        }
        result.append(contentsOf: text, last..<text.count)
        return result
    }
}

extension String {
    /// Literal, non-overlapping, left-to-right replacement over Unicode scalars (HF compares
    /// chars, i.e. scalars, not grapheme clusters; Swift's `Character` comparison would
    /// merge "e" + combining accent).
    func replacingAll(_ pattern: String, with replacement: String) -> String {
        let needle = Array(pattern.unicodeScalars)
        guard let first = needle.first else { return self }
        // Single ASCII scalar to anything: scan bytes (the " " -> "▁" of every SentencePiece
        // tokenizer) without materialising a scalar array.
        if needle.count == 1, first.isASCII {
            let byte = UInt8(first.value)
            guard utf8.contains(byte) else { return self }
            var out = [UInt8]()
            out.reserveCapacity(utf8.count + utf8.count / 2)
            let replacementBytes = Array(replacement.utf8)
            for b in utf8 {
                if b == byte { out.append(contentsOf: replacementBytes) } else { out.append(b) }
            }
            return String(decoding: out, as: UTF8.self)
        }
        let scalars = Array(unicodeScalars)
        guard scalars.contains(first) else { return self }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if scalars[i] == first, i + needle.count <= scalars.count,
                scalars[i..<(i + needle.count)].elementsEqual(needle)
            {
                out.append(contentsOf: replacement.unicodeScalars)
                i += needle.count
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }
}
