/// Undoes `Metaspace` pre-tokenization (HF `Metaspace` decoder): "▁" -> " ", and the first
/// token loses its leading space when the encoder added one.
public struct MetaspaceDecoder: TokenDecoder {
    public let replacement: Unicode.Scalar
    public let stripsLeadingSpace: Bool

    public init(replacement: Unicode.Scalar = "▁", stripsLeadingSpace: Bool = true) {
        self.replacement = replacement
        self.stripsLeadingSpace = stripsLeadingSpace
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { index, token in
            var view = String.UnicodeScalarView()
            for (position, scalar) in token.unicodeScalars.enumerated() {
                if scalar == replacement {
                    if !(index == 0 && position == 0 && stripsLeadingSpace) { view.append(" ") }
                } else {
                    view.append(scalar)
                }
            }
            return String(view)
        }
    }
}
