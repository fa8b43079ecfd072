/// `POST /v1/embeddings` body (OpenAI's fields plus vLLM's `truncate_prompt_tokens`).
public struct EmbeddingRequest: Decodable, Sendable, Equatable {
    /// One input: a text or token ids.
    public enum Input: Sendable, Equatable {
        case text(String)
        case tokenIDs([Int])
    }

    public enum EncodingFormat: String, Decodable, Sendable {
        case float, base64
    }

    public var model: String?
    public var inputs: [Input]
    public var encodingFormat: EncodingFormat
    public var dimensions: Int?
    public var user: String?
    /// vLLM's option: over-long inputs are cut to this many tokens (−1: to the model's limit)
    /// instead of being refused with 400.
    public var truncatePromptTokens: Int?

    enum CodingKeys: String, CodingKey {
        case model, input, dimensions, user
        case encodingFormat = "encoding_format", truncatePromptTokens = "truncate_prompt_tokens"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        encodingFormat = try c.decodeIfPresent(EncodingFormat.self, forKey: .encodingFormat) ?? .float
        dimensions = try c.decodeIfPresent(Int.self, forKey: .dimensions)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        truncatePromptTokens = try c.decodeIfPresent(Int.self, forKey: .truncatePromptTokens)
        // `input` is a string, a list of strings, a list of ids, or a list of id lists.
        if let text = try? c.decode(String.self, forKey: .input) {
            inputs = [.text(text)]
        } else if let texts = try? c.decode([String].self, forKey: .input) {
            inputs = texts.map(Input.text)
        } else if let ids = try? c.decode([Int].self, forKey: .input) {
            inputs = [.tokenIDs(ids)]
        } else if let lists = try? c.decode([[Int]].self, forKey: .input) {
            inputs = lists.map(Input.tokenIDs)
        } else {
            throw DecodingError.dataCorruptedError(
                forKey: .input, in: c,
                debugDescription: "'input' must be a string, a list of strings, a list of token ids, or a list of token-id lists")
        }
    }
}
