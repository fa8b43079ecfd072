/// Pre-tokenizers that keep alignments, for encodings with offsets (internal, like
/// `AlignedNormalizer`).
protocol AlignedPreTokenizer {
    func preTokenize(aligned text: AlignedText, into pieces: inout [AlignedText])
}

/// Pre-tokenizers whose output depends on whether the text starts the input (Metaspace's
/// `prepend_scheme: first`). The ids path passes `atStart`; the offsets path reads it from the
/// alignment, as HF does (`offsets_original().0 == 0`).
protocol PositionalPreTokenizer {
    func preTokenize(_ text: String, atStart: Bool, into pieces: inout [String])
}

/// Pre-tokenizers that only cut the text into ranges; both paths come from `pieceRanges`.
protocol RangeSplittingPreTokenizer: PreTokenizer, AlignedPreTokenizer {
    func pieceRanges(in scalars: [Unicode.Scalar]) -> [Range<Int>]
}

extension RangeSplittingPreTokenizer {
    public func preTokenize(_ text: String, into pieces: inout [String]) {
        let scalars = Array(text.unicodeScalars)
        for range in pieceRanges(in: scalars) where !range.isEmpty {
            pieces.append(String(scalars: scalars[range]))
        }
    }

    func preTokenize(aligned text: AlignedText, into pieces: inout [AlignedText]) {
        text.pieces(pieceRanges(in: text.scalars), into: &pieces)
    }
}

extension PreTokenizer {
    /// Entry point used by `Tokenizer`: routes to the positional variant when there is one.
    func preTokenize(_ text: String, atStart: Bool, pieces: inout [String]) {
        if let positional = self as? any PositionalPreTokenizer {
            positional.preTokenize(text, atStart: atStart, into: &pieces)
        } else {
            preTokenize(text, into: &pieces)
        }
    }

    /// Aligned entry point; pre-tokenizers without an aligned version give one piece per
    /// output piece spanning the whole input (correct ids, coarse offsets).
    func preTokenizeAligned(_ text: AlignedText, into pieces: inout [AlignedText]) {
        if let aligned = self as? any AlignedPreTokenizer {
            aligned.preTokenize(aligned: text, into: &pieces)
            return
        }
        var strings: [String] = []
        preTokenize(text.string, atStart: text.starts.first == 0, pieces: &strings)
        let span = text.originalRange(0..<text.count)
        for string in strings {
            var piece = AlignedText()
            for scalar in string.unicodeScalars { piece.append(scalar, start: span.lowerBound, end: span.upperBound) }
            pieces.append(piece)
        }
    }
}

extension SequencePreTokenizer: AlignedPreTokenizer, PositionalPreTokenizer {
    func preTokenize(_ text: String, atStart: Bool, into pieces: inout [String]) {
        var current = [text]
        for preTokenizer in preTokenizers {
            var next: [String] = []
            next.reserveCapacity(current.count)
            for (index, piece) in current.enumerated() {
                preTokenizer.preTokenize(piece, atStart: atStart && index == 0, pieces: &next)
            }
            current = next
        }
        pieces.append(contentsOf: current.lazy.filter { !$0.isEmpty })
    }

    func preTokenize(aligned text: AlignedText, into pieces: inout [AlignedText]) {
        var current = [text]
        for preTokenizer in preTokenizers {
            var next: [AlignedText] = []
            next.reserveCapacity(current.count)
            for piece in current { preTokenizer.preTokenizeAligned(piece, into: &next) }
            current = next
        }
        pieces.append(contentsOf: current.lazy.filter { !$0.isEmpty })
    }
}

extension SplitPreTokenizer: AlignedPreTokenizer {
    func preTokenize(aligned text: AlignedText, into pieces: inout [AlignedText]) {
        let ranges = Self.split(
            count: text.count, matches: pattern.matches(in: text.scalars), behavior: behavior, invert: invert)
        text.pieces(ranges, into: &pieces)
    }
}

extension DigitsPreTokenizer: AlignedPreTokenizer {
    func preTokenize(aligned text: AlignedText, into pieces: inout [AlignedText]) {
        var ranges: [Range<Int>] = []
        var start = 0
        for i in 0..<text.count {
            let isNumber = ScalarClass.isNumber(text.scalars[i])
            if i > start, isNumber != ScalarClass.isNumber(text.scalars[i - 1]) || (isNumber && individualDigits) {
                ranges.append(start..<i)
                start = i
            }
        }
        ranges.append(start..<text.count)
        text.pieces(ranges, into: &pieces)
    }
}

extension ByteLevelPreTokenizer: AlignedPreTokenizer {
    /// Every byte-level character keeps the span of the character whose UTF-8 byte it spells,
    /// so a token holding part of a character reports the whole character, as in HF.
    func preTokenize(aligned text: AlignedText, into pieces: inout [AlignedText]) {
        var text = text
        if addPrefixSpace, !text.isEmpty, text.scalars[0] != " " {
            var prefixed = AlignedText()
            prefixed.append(" ", start: text.starts[0], end: text.ends[0])
            prefixed.append(contentsOf: text, 0..<text.count)
            text = prefixed
        }
        let ranges = useRegex ? GPT2PatternScanner.matches(in: text.scalars) : [0..<text.count]
        for range in ranges where !range.isEmpty {
            var piece = AlignedText()
            for i in range {
                for byte in UTF8.encode(text.scalars[i])! {
                    piece.append(ByteLevelAlphabet.characters[Int(byte)], start: text.starts[i], end: text.ends[i])
                }
            }
            pieces.append(piece)
        }
    }
}
