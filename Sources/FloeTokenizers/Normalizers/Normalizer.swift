/// First stage of the encode pipeline: rewrites text before it is split (Unicode
/// normalization, SentencePiece's space -> "▁" replacement, ...). Mirrors HF `normalizers`.
///
/// Normalizers here work on whole strings; HF also tracks offsets through normalization, which
/// Floe does not need for ids.
public protocol Normalizer: Sendable {
    func normalize(_ text: String) -> String
}

/// Applies normalizers in order (HF `Sequence`).
public struct SequenceNormalizer: Normalizer {
    public let normalizers: [any Normalizer]

    public init(_ normalizers: [any Normalizer]) {
        self.normalizers = normalizers
    }

    public func normalize(_ text: String) -> String {
        var text = text
        for normalizer in normalizers {
            text = normalizer.normalize(text)
        }
        return text
    }
}
