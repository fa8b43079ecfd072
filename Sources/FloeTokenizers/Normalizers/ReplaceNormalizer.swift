/// Replaces every occurrence of a literal string (HF `Replace` with a `String` pattern), e.g.
/// " " -> "▁" for SentencePiece tokenizers.
public struct ReplaceNormalizer: Normalizer {
    public let pattern: String
    public let content: String

    public init(pattern: String, content: String) {
        self.pattern = pattern
        self.content = content
    }

    public func normalize(_ text: String) -> String {
        text.replacingAll(pattern, with: content)
    }
}

extension String {
    /// Literal, non-overlapping, left-to-right replacement over Unicode scalars (HF compares
    /// chars, i.e. scalars, not grapheme clusters; Swift's `Character` comparison would
    /// merge "e" + combining accent).
    func replacingAll(_ pattern: String, with replacement: String) -> String {
        let needle = Array(pattern.unicodeScalars)
        guard let first = needle.first else { return self }
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
