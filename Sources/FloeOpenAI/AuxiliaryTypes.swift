import FloeTokenizers

/// `GET /v1/models`.
public struct ModelList: Encodable, Sendable {
    public var object = "list"
    public var data: [Model]

    public init(data: [Model]) { self.data = data }

    public struct Model: Encodable, Sendable {
        public var id: String
        public var object = "model"
        public var created: Int
        public var ownedBy = "floe"
        public var root: String
        public var maxModelLen: Int

        public init(id: String, created: Int, root: String, maxModelLen: Int) {
            self.id = id
            self.created = created
            self.root = root
            self.maxModelLen = maxModelLen
        }

        enum CodingKeys: String, CodingKey {
            case id, object, created, root
            case ownedBy = "owned_by", maxModelLen = "max_model_len"
        }
    }
}

/// `POST /tokenize` (vLLM): a `prompt`, or chat `messages` rendered with the chat template.
public struct TokenizeRequest: Decodable, Sendable {
    public var model: String?
    public var prompt: String?
    public var addSpecialTokens: Bool?
    public var addGenerationPrompt: Bool?
    public var returnTokenStrs: Bool?

    enum CodingKeys: String, CodingKey {
        case model, prompt
        case addSpecialTokens = "add_special_tokens", addGenerationPrompt = "add_generation_prompt"
        case returnTokenStrs = "return_token_strs"
    }
}

public struct TokenizeResponse: Encodable, Sendable {
    public var count: Int
    public var maxModelLen: Int
    public var tokens: [Int]
    public var tokenStrs: [String]?

    public init(count: Int, maxModelLen: Int, tokens: [Int], tokenStrs: [String]?) {
        self.count = count
        self.maxModelLen = maxModelLen
        self.tokens = tokens
        self.tokenStrs = tokenStrs
    }

    enum CodingKeys: String, CodingKey {
        case count, tokens
        case maxModelLen = "max_model_len", tokenStrs = "token_strs"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(maxModelLen, forKey: .maxModelLen)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(tokenStrs, forKey: .tokenStrs)
    }
}

/// `POST /detokenize` (vLLM).
public struct DetokenizeRequest: Decodable, Sendable {
    public var model: String?
    public var tokens: [Int]
}

public struct DetokenizeResponse: Encodable, Sendable {
    public var prompt: String
    public init(prompt: String) { self.prompt = prompt }
}
