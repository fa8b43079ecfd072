/// Fallback for `Split` regexes that have no hand-written scanner. Correct but slow on Linux;
/// the patterns of the models Floe runs never get here.
public struct RegexMatcher: @unchecked Sendable {
    // `Regex<AnyRegexOutput>` is immutable after construction; matching does not mutate it.
    private let regex: Regex<AnyRegexOutput>
    public let pattern: String

    public init(_ pattern: String) throws(TokenizerError) {
        do {
            // Oniguruma (HF) matches over scalars, not grapheme clusters.
            regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
        } catch {
            throw .unsupported("regex '\(pattern)' (\(error))")
        }
        self.pattern = pattern
    }

    func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        let text = String(view)
        var result: [Range<Int>] = []
        var offset = 0
        var index = text.unicodeScalars.startIndex
        for match in text.matches(of: regex) where !match.range.isEmpty {
            let lower = offset + text.unicodeScalars.distance(from: index, to: match.range.lowerBound)
            let upper = lower + text.unicodeScalars.distance(from: match.range.lowerBound, to: match.range.upperBound)
            result.append(lower..<upper)
            offset = upper
            index = match.range.upperBound
        }
        return result
    }
}
