import FloeEngine

/// The sampling fields `/v1/completions` and `/v1/chat/completions` share, with vLLM's
/// extensions (top_k, min_p, repetition_penalty...). Decoded from the same body as the request.
public struct SamplingFields: Decodable, Sendable, Equatable {
    public var n: Int?
    public var temperature: Float?
    public var topP: Float?
    public var topK: Int?
    public var minP: Float?
    public var presencePenalty: Float?
    public var frequencyPenalty: Float?
    public var repetitionPenalty: Float?
    public var seed: Int?
    public var stop: StopSequences?
    public var stopTokenIDs: [Int]?
    public var ignoreEOS: Bool?
    public var minTokens: Int?
    public var includeStopStrInOutput: Bool?
    /// Token id (as a JSON object key, so a string) → bias.
    public var logitBias: [String: Float]?
    public var maxTokens: Int?
    public var maxCompletionTokens: Int?

    enum CodingKeys: String, CodingKey {
        case n, temperature, seed, stop
        case topP = "top_p", topK = "top_k", minP = "min_p"
        case presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
        case repetitionPenalty = "repetition_penalty"
        case stopTokenIDs = "stop_token_ids", ignoreEOS = "ignore_eos", minTokens = "min_tokens"
        case includeStopStrInOutput = "include_stop_str_in_output", logitBias = "logit_bias"
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
    }

    public init() {}

    /// The requested output limit (`max_completion_tokens` wins, as in OpenAI's chat API).
    public var requestedMaxTokens: Int? { maxCompletionTokens ?? maxTokens }

    /// Engine parameters; `maxTokens` is already resolved by the caller (it depends on the
    /// prompt length when the client gave none). Values are checked by `SamplingParams.validate`.
    public func samplingParams(maxTokens: Int, defaultSeed: UInt64?) throws(OpenAIError) -> SamplingParams {
        var bias: [Int: Float] = [:]
        for (key, value) in logitBias ?? [:] {
            guard let id = Int(key) else { throw .badRequest("logit_bias keys must be token ids, got '\(key)'", param: "logit_bias") }
            bias[id] = value
        }
        return SamplingParams(
            temperature: temperature ?? 1, topP: topP ?? 1, topK: topK ?? 0,
            seed: seed.map { UInt64(bitPattern: Int64($0)) } ?? defaultSeed, maxTokens: maxTokens, n: n ?? 1,
            minP: minP ?? 0, repetitionPenalty: repetitionPenalty ?? 1, frequencyPenalty: frequencyPenalty ?? 0,
            presencePenalty: presencePenalty ?? 0, logitBias: bias, stop: stop?.values ?? [],
            stopTokenIDs: stopTokenIDs ?? [], includeStopStringInOutput: includeStopStrInOutput ?? false,
            ignoreEOS: ignoreEOS ?? false, minTokens: minTokens ?? 0)
    }
}
