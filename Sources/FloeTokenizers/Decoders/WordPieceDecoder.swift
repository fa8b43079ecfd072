/// Undoes WordPiece (HF `WordPiece` decoder): continuation tokens lose their "##", other tokens
/// after the first get a leading space; with `cleanup`, the spaces BERT puts before
/// punctuation and English contractions are removed (HF's `cleanup` rules, in its order).
public struct WordPieceDecoder: TokenDecoder {
    public let prefix: String
    public let cleanup: Bool

    public init(prefix: String = "##", cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }

    static let cleanupRules: [(String, String)] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ]

    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { index, token in
            var token = token
            if index != 0 {
                if !prefix.isEmpty, token.hasScalarPrefix(prefix) {
                    token = String(token.unicodeScalars.dropFirst(prefix.unicodeScalars.count))
                } else {
                    token = " " + token
                }
            }
            if cleanup {
                for (pattern, replacement) in Self.cleanupRules { token = token.replacingAll(pattern, with: replacement) }
            }
            return token
        }
    }
}
