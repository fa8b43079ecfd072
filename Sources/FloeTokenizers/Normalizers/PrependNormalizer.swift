/// Prepends a fixed string to non-empty text (HF `Prepend`); SentencePiece tokenizers use it to
/// add the "▁" that marks a word start.
public struct PrependNormalizer: Normalizer {
    public let prefix: String

    public init(_ prefix: String) {
        self.prefix = prefix
    }

    public func normalize(_ text: String) -> String {
        // HF leaves empty text empty, so an empty segment between two special tokens stays empty.
        text.isEmpty ? text : prefix + text
    }
}
