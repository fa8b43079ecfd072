/// GPT-2 style byte-level pre-tokenization (HF `ByteLevel`): optionally split with the GPT-2
/// regex, then spell each piece's UTF-8 bytes with `ByteLevelAlphabet` so that the BPE
/// vocabulary covers every possible input without an unknown token.
public struct ByteLevelPreTokenizer: PreTokenizer {
    public let addPrefixSpace: Bool
    public let useRegex: Bool

    public init(addPrefixSpace: Bool = false, useRegex: Bool = true) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    public func preTokenize(_ text: String, into pieces: inout [String]) {
        let text = addPrefixSpace && text.unicodeScalars.first != " " ? " " + text : text
        guard useRegex else {
            if !text.isEmpty { pieces.append(ByteLevelAlphabet.encode(text)) }
            return
        }
        let scalars = Array(text.unicodeScalars)
        for range in GPT2PatternScanner.matches(in: scalars) {
            var view = String.UnicodeScalarView()
            for scalar in scalars[range] {
                for byte in UTF8.encode(scalar)! {
                    view.append(ByteLevelAlphabet.characters[Int(byte)])
                }
            }
            pieces.append(String(view))
        }
    }
}
