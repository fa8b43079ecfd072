import FloeTokenizers
import Foundation

/// `POST /v1/chat/completions` body. `messages` and `tools` are kept as `TemplateValue`s parsed
/// from the raw body (not re-encoded from Swift types), so any message shape the chat template
/// understands (tool calls, content parts, extra keys) reaches it unchanged and in key order.
public struct ChatCompletionRequest: Sendable {
    public var model: String?
    public var messages: [TemplateValue]
    public var tools: [TemplateValue]?
    public var stream: Bool
    public var streamOptions: StreamOptions?
    public var addGenerationPrompt: Bool
    /// Top log-probabilities per token (`logprobs: true` + `top_logprobs`), nil when not asked.
    public var logprobs: Int?
    public var sampling: SamplingFields

    /// The typed part of the body: everything but messages and tools.
    private struct Typed: Decodable {
        var model: String?
        var stream: Bool?
        var streamOptions: StreamOptions?
        var addGenerationPrompt: Bool?
        var logprobs: Bool?
        var topLogprobs: Int?
        var sampling: SamplingFields

        enum CodingKeys: String, CodingKey {
            case model, stream, logprobs
            case streamOptions = "stream_options", addGenerationPrompt = "add_generation_prompt"
            case topLogprobs = "top_logprobs"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            model = try c.decodeIfPresent(String.self, forKey: .model)
            stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
            streamOptions = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
            addGenerationPrompt = try c.decodeIfPresent(Bool.self, forKey: .addGenerationPrompt)
            logprobs = try c.decodeIfPresent(Bool.self, forKey: .logprobs)
            topLogprobs = try c.decodeIfPresent(Int.self, forKey: .topLogprobs)
            sampling = try SamplingFields(from: decoder)
        }
    }

    /// Decodes a request body; type errors come back as `DecodingError`s (mapped to 400 by the
    /// caller), structural problems with `messages`/`tools` as `OpenAIError`.
    public init(json: Data) throws {
        let typed = try JSONDecoder().decode(Typed.self, from: json)
        guard case .object(let root) = try TemplateValue(jsonData: json) else {
            throw OpenAIError.badRequest("the body must be a JSON object")
        }
        guard case .array(let messages)? = root["messages"] else {
            throw OpenAIError.badRequest("messages must be a list of message objects", param: "messages")
        }
        guard !messages.isEmpty else { throw OpenAIError.badRequest("messages must not be empty", param: "messages") }
        for (index, message) in messages.enumerated() {
            guard case .object(let object) = message, case .string? = object["role"] else {
                throw OpenAIError.badRequest("messages[\(index)] must be an object with a string 'role'", param: "messages")
            }
        }
        switch root["tools"] {
        case nil, .null?: tools = nil
        case .array(let list)?: tools = list
        default: throw OpenAIError.badRequest("tools must be a list", param: "tools")
        }
        self.messages = messages
        model = typed.model
        stream = typed.stream ?? false
        streamOptions = typed.streamOptions
        addGenerationPrompt = typed.addGenerationPrompt ?? true
        sampling = typed.sampling
        if typed.topLogprobs != nil, typed.logprobs != true {
            throw OpenAIError.badRequest("top_logprobs requires logprobs to be true", param: "top_logprobs")
        }
        logprobs = typed.logprobs == true ? typed.topLogprobs ?? 0 : nil
    }
}
