/// Removes leading and/or trailing whitespace (HF `Strip`; whitespace is Unicode White_Space,
/// as Rust's `char::is_whitespace`).
public struct StripNormalizer: Normalizer, AlignedNormalizer {
    public let left: Bool
    public let right: Bool

    public init(left: Bool, right: Bool) {
        self.left = left
        self.right = right
    }

    public func normalize(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        let range = bounds(scalars)
        return range.count == scalars.count ? text : String(scalars: scalars[range])
    }

    func normalize(aligned text: AlignedText) -> AlignedText {
        let range = bounds(text.scalars)
        return range.count == text.count ? text : text[range]
    }

    private func bounds(_ scalars: [Unicode.Scalar]) -> Range<Int> {
        var lower = 0
        var upper = scalars.count
        if left { while lower < upper, scalars[lower].properties.isWhitespace { lower += 1 } }
        if right { while upper > lower, scalars[upper - 1].properties.isWhitespace { upper -= 1 } }
        return lower..<upper
    }
}

/// Drops combining marks (HF `StripAccents`: general category M*, spacing marks too, so
/// Devanagari and Khmer vowel signs go as well as accents). Meant to follow NFD/NFKD,
/// which split "é" into "e" + U+0301.
public struct StripAccentsNormalizer: Normalizer, AlignedNormalizer {
    public init() {}

    public func normalize(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: Self.isCombiningMark) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !Self.isCombiningMark(scalar) { out.append(scalar) }
        return String(out)
    }

    func normalize(aligned text: AlignedText) -> AlignedText {
        text.mapScalars { scalar, out in if !Self.isCombiningMark(scalar) { out.append(scalar) } }
    }

    static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.value >= 0x300 else { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }
}
