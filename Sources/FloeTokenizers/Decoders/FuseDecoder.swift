/// Joins all tokens into one (HF `Fuse`), so that a following `Strip` only touches the text's
/// very start.
public struct FuseDecoder: TokenDecoder {
    public init() {}

    public func decodeChain(_ tokens: [String]) -> [String] {
        [tokens.joined()]
    }
}
