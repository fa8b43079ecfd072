/// Turns token strings back into text (HF `decoders`). Each decoder maps the token list to a
/// new list so that decoders chain; `Tokenizer.decode` joins the final list.
public protocol TokenDecoder: Sendable {
    func decodeChain(_ tokens: [String]) -> [String]
}

/// Applies decoders in order (HF `Sequence`).
public struct SequenceDecoder: TokenDecoder {
    public let decoders: [any TokenDecoder]

    public init(_ decoders: [any TokenDecoder]) {
        self.decoders = decoders
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        decoders.reduce(tokens) { $1.decodeChain($0) }
    }
}
