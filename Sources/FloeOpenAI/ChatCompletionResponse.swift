/// `/v1/chat/completions` response (`object = "chat.completion"`).
public struct ChatCompletionResponse: Encodable, Sendable {
    public var id: String
    public var object = "chat.completion"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage

    public init(id: String, created: Int, model: String, choices: [Choice], usage: Usage) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }

    public struct Message: Encodable, Sendable {
        public var role = "assistant"
        public var content: String
        public init(content: String) { self.content = content }
    }

    public struct Choice: Encodable, Sendable {
        public var index: Int
        public var message: Message
        public var finishReason: String?
        public var stopReason: String?
        public var logprobs: LogprobsPayload.Chat?

        public init(
            index: Int, message: Message, finishReason: String?, stopReason: String? = nil,
            logprobs: LogprobsPayload.Chat? = nil
        ) {
            self.logprobs = logprobs
            self.index = index
            self.message = message
            self.finishReason = finishReason
            self.stopReason = stopReason
        }

        enum CodingKeys: String, CodingKey {
            case index, message, logprobs
            case finishReason = "finish_reason", stopReason = "stop_reason"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(message, forKey: .message)
            try c.encode(logprobs, forKey: .logprobs)
            try c.encode(finishReason, forKey: .finishReason)
            try c.encode(stopReason, forKey: .stopReason)
        }
    }
}

/// One streamed chat chunk (`object = "chat.completion.chunk"`); the final usage chunk has no
/// choices and a `usage`.
public struct ChatCompletionChunk: Encodable, Sendable {
    public var id: String
    public var object = "chat.completion.chunk"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage?

    public init(id: String, created: Int, model: String, choices: [Choice], usage: Usage? = nil) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }

    public struct Delta: Encodable, Sendable {
        public var role: String?
        public var content: String?
        public init(role: String? = nil, content: String?) {
            self.role = role
            self.content = content
        }
    }

    public struct Choice: Encodable, Sendable {
        public var index: Int
        public var delta: Delta
        public var finishReason: String?
        public var logprobs: LogprobsPayload.Chat?

        public init(index: Int, delta: Delta, finishReason: String?, logprobs: LogprobsPayload.Chat? = nil) {
            self.logprobs = logprobs
            self.index = index
            self.delta = delta
            self.finishReason = finishReason
        }

        enum CodingKeys: String, CodingKey {
            case index, delta, logprobs
            case finishReason = "finish_reason"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(delta, forKey: .delta)
            try c.encode(logprobs, forKey: .logprobs)
            try c.encode(finishReason, forKey: .finishReason)
        }
    }
}
