/// `POST /v1/completions` body.
public struct CompletionRequest: Decodable, Sendable {
    public var model: String?
    public var prompt: PromptInput
    public var stream: Bool
    public var streamOptions: StreamOptions?
    public var echo: Bool
    /// How many top log-probabilities to return per token (0: only the chosen token's).
    public var logprobs: Int?
    public var sampling: SamplingFields

    enum CodingKeys: String, CodingKey {
        case model, prompt, stream, echo, logprobs
        case streamOptions = "stream_options"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        prompt = try c.decode(PromptInput.self, forKey: .prompt)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream) ?? false
        streamOptions = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
        echo = try c.decodeIfPresent(Bool.self, forKey: .echo) ?? false
        logprobs = try c.decodeIfPresent(Int.self, forKey: .logprobs)
        sampling = try SamplingFields(from: decoder)
    }

    /// Refuses what the server does not implement, before any work.
    public func checkSupported() throws(OpenAIError) {
        // Echo with logprobs would need the prompt's logprobs in the same payload.
        if echo, logprobs != nil { throw .badRequest("echo together with logprobs is not supported yet", param: "echo") }
    }
}

/// `stream_options`.
public struct StreamOptions: Decodable, Sendable, Equatable {
    public var includeUsage: Bool?
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}
