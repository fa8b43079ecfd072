/// Why a request or a configuration was refused. Messages name the field and the numbers, as
/// they reach API clients.
public enum SchedulerError: Error, Equatable, CustomStringConvertible {
    case invalidConfig(String)
    case invalidSamplingParams(SamplingError)
    case emptyPrompt(RequestID)
    case duplicateRequestID(RequestID)
    /// prompt + max_tokens exceed the model's context.
    case exceedsMaxModelLen(promptTokens: Int, maxTokens: Int, maxModelLen: Int)
    /// The request could not fit even with the whole KV cache to itself.
    case exceedsKVCacheCapacity(blocksNeeded: Int, blockCount: Int)

    public var description: String {
        switch self {
        case .invalidConfig(let message): "invalid scheduler configuration: \(message)"
        case .invalidSamplingParams(let error): error.description
        case .emptyPrompt(let id): "request \(id): the prompt is empty (no tokens to start from)"
        case .duplicateRequestID(let id): "request id \(id) is already in use"
        case .exceedsMaxModelLen(let prompt, let maxTokens, let maxModelLen):
            "this model's maximum context length is \(maxModelLen) tokens, but the prompt has \(prompt) tokens "
                + "and max_tokens is \(maxTokens) (\(prompt + maxTokens) in total); shorten the prompt or lower max_tokens"
        case .exceedsKVCacheCapacity(let needed, let count):
            "the request needs \(needed) KV-cache blocks but the cache has only \(count); shorten it or enlarge the cache"
        }
    }
}
