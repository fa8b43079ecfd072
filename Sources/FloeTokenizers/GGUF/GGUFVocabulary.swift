/// The tokenizer metadata of a GGUF file (`tokenizer.ggml.*`), as plain values so this target
/// does not depend on the GGUF reader in FloeWeights: the loader copies the keys in and calls
/// `Tokenizer(gguf:)`.
public struct GGUFVocabulary: Sendable {
    /// llama.cpp token types (`tokenizer.ggml.token_type`).
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// `tokenizer.ggml.model`: "llama" (SentencePiece BPE), "gpt2" (byte-level BPE), "bert", ...
    public var model: String
    /// `tokenizer.ggml.pre`: "smollm", "qwen2", "llama-bpe", "gpt-2", "default", ...
    public var pre: String?
    public var tokens: [String]
    public var scores: [Float]?
    public var tokenTypes: [Int32]?
    /// "left right" lines, highest priority first (byte-level BPE only).
    public var merges: [String]?
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    /// `tokenizer.ggml.eot_token_id` / `eom_token_id`: end-of-turn markers that also stop generation.
    public var eotTokenID: Int?
    public var eomTokenID: Int?
    public var unknownTokenID: Int?
    public var paddingTokenID: Int?
    /// `tokenizer.ggml.add_bos_token`; when absent, llama.cpp's default for the model type.
    public var addBOS: Bool?
    public var addEOS: Bool?
    /// `tokenizer.ggml.add_space_prefix` (SentencePiece); default true.
    public var addSpacePrefix: Bool?

    public init(
        model: String, pre: String? = nil, tokens: [String], scores: [Float]? = nil, tokenTypes: [Int32]? = nil,
        merges: [String]? = nil, bosTokenID: Int? = nil, eosTokenID: Int? = nil, eotTokenID: Int? = nil,
        eomTokenID: Int? = nil, unknownTokenID: Int? = nil, paddingTokenID: Int? = nil, addBOS: Bool? = nil,
        addEOS: Bool? = nil, addSpacePrefix: Bool? = nil
    ) {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.eotTokenID = eotTokenID
        self.eomTokenID = eomTokenID
        self.unknownTokenID = unknownTokenID
        self.paddingTokenID = paddingTokenID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
    }

    /// The type of token `id`; normal when the file has no types.
    func type(of id: Int) -> TokenType {
        guard let tokenTypes, id < tokenTypes.count else { return .normal }
        return TokenType(rawValue: tokenTypes[id]) ?? .normal
    }
}
