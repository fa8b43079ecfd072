/// SentencePiece-style pre-tokenization (HF `Metaspace`): spaces become `replacement` ("▁"),
/// a "▁" is prepended per `prependScheme`, and with `split` the text is cut before every "▁"
/// (each piece keeps its leading "▁").
public struct MetaspacePreTokenizer: PreTokenizer, PositionalPreTokenizer, AlignedPreTokenizer {
    public enum PrependScheme: String, Sendable {
        /// Prepend to every piece that does not start with the replacement.
        case always
        /// Only to the piece that starts the input (not after a special token).
        case first
        case never
    }

    public let replacement: Unicode.Scalar
    public let prependScheme: PrependScheme
    public let split: Bool

    public init(replacement: Unicode.Scalar = "▁", prependScheme: PrependScheme = .always, split: Bool = true) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.split = split
    }

    public func preTokenize(_ text: String, into pieces: inout [String]) {
        preTokenize(text, atStart: true, into: &pieces)
    }

    func preTokenize(_ text: String, atStart: Bool, into pieces: inout [String]) {
        guard !text.isEmpty else { return }
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.unicodeScalars.count + 1)
        if prepends(first: text.unicodeScalars.first!, atStart: atStart) { scalars.append(replacement) }
        for scalar in text.unicodeScalars { scalars.append(scalar == " " ? replacement : scalar) }
        for range in ranges(scalars) { pieces.append(String(scalars: scalars[range])) }
    }

    func preTokenize(aligned text: AlignedText, into pieces: inout [AlignedText]) {
        guard !text.isEmpty else { return }
        var replaced = AlignedText()
        if prepends(first: text.scalars[0], atStart: text.starts[0] == 0) {
            replaced.append(replacement, start: text.starts[0], end: text.ends[0])
        }
        for i in 0..<text.count {
            replaced.append(text.scalars[i] == " " ? replacement : text.scalars[i], start: text.starts[i], end: text.ends[i])
        }
        replaced.pieces(ranges(replaced.scalars), into: &pieces)
    }

    private func prepends(first: Unicode.Scalar, atStart: Bool) -> Bool {
        // The check runs after spaces are replaced, so a leading space counts as "▁".
        guard first != replacement, first != " " else { return false }
        switch prependScheme {
        case .always: return true
        case .first: return atStart
        case .never: return false
        }
    }

    /// Cuts before every replacement character (HF `MergedWithNext`).
    private func ranges(_ s: [Unicode.Scalar]) -> [Range<Int>] {
        guard split else { return [0..<s.count] }
        var ranges: [Range<Int>] = []
        var start = 0
        for i in 1..<max(s.count, 1) where s[i] == replacement && i > start {
            ranges.append(start..<i)
            start = i
        }
        if start < s.count { ranges.append(start..<s.count) }
        return ranges
    }
}
