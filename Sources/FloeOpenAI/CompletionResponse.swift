/// `/v1/completions` response, and (with `object = "text_completion"` too, as OpenAI does) each
/// streamed chunk. `usage` is nil in chunks except the final usage chunk.
public struct CompletionResponse: Encodable, Sendable {
    public var id: String
    public var object = "text_completion"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage?

    public init(id: String, created: Int, model: String, choices: [Choice], usage: Usage?) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }

    public struct Choice: Encodable, Sendable {
        public var index: Int
        public var text: String
        public var finishReason: String?
        /// vLLM's extra: the stop string that ended the choice.
        public var stopReason: String?
        public var logprobs: LogprobsPayload.Completion?

        public init(
            index: Int, text: String, finishReason: String?, stopReason: String? = nil,
            logprobs: LogprobsPayload.Completion? = nil
        ) {
            self.logprobs = logprobs
            self.index = index
            self.text = text
            self.finishReason = finishReason
            self.stopReason = stopReason
        }

        enum CodingKeys: String, CodingKey {
            case index, text, logprobs
            case finishReason = "finish_reason", stopReason = "stop_reason"
        }

        // Nulls are written out: clients read `finish_reason: null` as "not finished".
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(text, forKey: .text)
            try c.encode(logprobs, forKey: .logprobs)
            try c.encode(finishReason, forKey: .finishReason)
            try c.encode(stopReason, forKey: .stopReason)
        }
    }
}
