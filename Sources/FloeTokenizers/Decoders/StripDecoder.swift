/// Removes up to `start` leading and `stop` trailing occurrences of `content` from each token
/// (HF `Strip`); SentencePiece uses it to drop the space its normalizer prepended.
public struct StripDecoder: TokenDecoder {
    public let content: Unicode.Scalar
    public let start: Int
    public let stop: Int

    public init(content: Unicode.Scalar, start: Int, stop: Int) {
        self.content = content
        self.start = start
        self.stop = stop
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var lower = 0
            while lower < min(start, scalars.count), scalars[lower] == content { lower += 1 }
            var upper = scalars.count
            while scalars.count - upper < stop, upper > lower, scalars[upper - 1] == content { upper -= 1 }
            if lower == 0 && upper == scalars.count { return token }
            return String(scalars: scalars[lower..<upper])
        }
    }
}
