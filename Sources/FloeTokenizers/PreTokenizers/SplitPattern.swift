/// What a `Split` pre-tokenizer (or ByteLevel with `use_regex`) matches.
///
/// The regexes real tokenizers use are recognised by their exact text and run by hand-written
/// scanners: Swift's `Regex` on Linux is orders of magnitude too slow for encode. Any other
/// regex falls back to Swift `Regex`, which is correct for the syntax both engines share.
public enum SplitPattern: Sendable {
    /// GPT-2's ByteLevel regex (also SmolLM2, StarCoder, "default" in llama.cpp).
    case gpt2
    /// Llama 3 / tiktoken cl100k-style regex; digits in runs of at most 3.
    case llama3
    /// Qwen2's regex: the Llama 3 one with single digits.
    case qwen2
    /// A literal string (HF `{"String": ...}`).
    case literal(String)
    /// Any other regex.
    case regex(RegexMatcher)

    static let gpt2Regex =
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Picks a scanner for a regex from a tokenizer file.
    public static func fromRegex(_ regex: String) throws(TokenizerError) -> SplitPattern {
        switch regex {
        case gpt2Regex: return .gpt2
        case llama3Regex: return .llama3
        case qwen2Regex: return .qwen2
        default: return .regex(try RegexMatcher(regex))
        }
    }

    /// Non-overlapping matches, in order, as scalar index ranges.
    func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        switch self {
        case .gpt2: return GPT2PatternScanner.matches(in: scalars)
        case .llama3: return LlamaPatternScanner(maxDigits: 3).matches(in: scalars)
        case .qwen2: return LlamaPatternScanner(maxDigits: 1).matches(in: scalars)
        case .literal(let needle): return Self.literalMatches(Array(needle.unicodeScalars), in: scalars)
        case .regex(let matcher): return matcher.matches(in: scalars)
        }
    }

    static func literalMatches(_ needle: [Unicode.Scalar], in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        guard !needle.isEmpty, needle.count <= scalars.count else { return [] }
        var result: [Range<Int>] = []
        var i = 0
        while i + needle.count <= scalars.count {
            if scalars[i..<(i + needle.count)].elementsEqual(needle) {
                result.append(i..<(i + needle.count))
                i += needle.count
            } else {
                i += 1
            }
        }
        return result
    }
}
