/// Replaces a literal string in every token (HF `Replace`), e.g. "▁" -> " " for SentencePiece.
public struct ReplaceDecoder: TokenDecoder {
    public let pattern: String
    public let content: String

    public init(pattern: String, content: String) {
        self.pattern = pattern
        self.content = content
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { $0.replacingAll(pattern, with: content) }
    }
}
