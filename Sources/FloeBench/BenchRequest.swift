/// One request of a serving benchmark: the prompt and how many tokens to ask for.
public struct BenchRequest: Sendable, Equatable {
    public enum Prompt: Sendable, Equatable {
        case text(String)
        /// Token ids, sent as-is to `/v1/completions` (exact input lengths, no re-tokenization).
        case tokenIDs([Int])
    }

    public var prompt: Prompt
    /// Prompt length in tokens as the dataset measured it (the server's `usage` wins when sent).
    public var inputTokens: Int
    public var outputTokens: Int

    public init(prompt: Prompt, inputTokens: Int, outputTokens: Int) {
        self.prompt = prompt
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }
}
