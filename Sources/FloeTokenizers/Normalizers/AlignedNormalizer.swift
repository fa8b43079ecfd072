/// Normalizers that can say where each output scalar came from, so that encodings report
/// offsets in the original text (HF tracks this for every normalizer). Internal: the public
/// `Normalizer` protocol stays a plain string transform.
protocol AlignedNormalizer {
    func normalize(aligned text: AlignedText) -> AlignedText
}

extension AlignedText {
    /// Applies `normalizer`, keeping alignments. A normalizer without its own aligned version is
    /// applied one grapheme cluster at a time (Unicode forms never cross cluster boundaries).
    /// A rewritten cluster's output scalars all take the alignment of its first scalar, as HF's
    /// transforms do ("e" + U+0301 -> "é" reports the "e"; "ﬁ" -> "f", "i" both report "ﬁ").
    func normalized(by normalizer: any Normalizer) -> AlignedText {
        if let aligned = normalizer as? any AlignedNormalizer { return aligned.normalize(aligned: self) }
        let text = string
        let output = normalizer.normalize(text)
        if output.unicodeScalars.elementsEqual(scalars) { return self }
        return byClusters { normalizer.normalize($0) }
    }

    /// Rewrites every grapheme cluster with `transform`.
    func byClusters(_ transform: (String) -> String) -> AlignedText {
        var result = AlignedText()
        var position = 0
        for character in string {
            let width = character.unicodeScalars.count
            let range = position..<(position + width)
            let start = starts[range.lowerBound]
            let end = ends[range.lowerBound]
            let output = transform(String(character))
            if output.unicodeScalars.elementsEqual(character.unicodeScalars) {
                result.append(contentsOf: self, range)
            } else {
                for scalar in output.unicodeScalars { result.append(scalar, start: start, end: end) }
            }
            position += width
        }
        return result
    }
}

extension SequenceNormalizer: AlignedNormalizer {
    func normalize(aligned text: AlignedText) -> AlignedText {
        normalizers.reduce(text) { $0.normalized(by: $1) }
    }
}

extension PrependNormalizer: AlignedNormalizer {
    func normalize(aligned text: AlignedText) -> AlignedText {
        guard !text.isEmpty else { return text }
        // HF aligns the prepended characters with the first character.
        var result = AlignedText()
        for scalar in prefix.unicodeScalars { result.append(scalar, start: text.starts[0], end: text.ends[0]) }
        result.append(contentsOf: text, 0..<text.count)
        return result
    }
}

extension LowercaseNormalizer: AlignedNormalizer {
    func normalize(aligned text: AlignedText) -> AlignedText {
        text.mapScalars { scalar, out in out.append(contentsOf: LowercaseNormalizer.lowercase(scalar).unicodeScalars) }
    }
}

extension UnicodeNormalizer: AlignedNormalizer {
    func normalize(aligned text: AlignedText) -> AlignedText {
        if text.scalars.allSatisfy({ $0.value < 0xA0 }) { return text }
        return text.byClusters { normalize($0) }
    }
}
