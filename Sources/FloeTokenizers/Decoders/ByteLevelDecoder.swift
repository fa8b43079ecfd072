/// Maps byte-alphabet tokens back to bytes and the whole sequence to one string (HF
/// `ByteLevel`). Invalid UTF-8 (a multi-byte character cut between tokens) becomes U+FFFD,
/// which is what streaming watches for.
public struct ByteLevelDecoder: TokenDecoder {
    public init() {}

    public func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens {
            let start = bytes.count
            var allMapped = true
            for scalar in token.unicodeScalars {
                guard let byte = ByteLevelAlphabet.byte(for: scalar) else {
                    allMapped = false
                    break
                }
                bytes.append(byte)
            }
            // A token outside the alphabet (an added token with non-Latin text) is kept as its
            // own UTF-8, as in HF.
            if !allMapped {
                bytes.removeSubrange(start...)
                bytes.append(contentsOf: token.utf8)
            }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}
