/// How to pick the next token, with vLLM's field meanings.
public struct SamplingParams: Sendable, Equatable {
    /// 0 means greedy (argmax).
    public var temperature: Float
    /// Keep the smallest set of tokens whose probability reaches `topP` (1 disables).
    public var topP: Float
    /// Keep the `topK` most likely tokens (0 or -1 disables).
    public var topK: Int
    /// Seed for this request's generator; `nil` draws one from the system.
    public var seed: UInt64?
    public var maxTokens: Int

    public init(temperature: Float = 1, topP: Float = 1, topK: Int = 0, seed: UInt64? = nil, maxTokens: Int = 16) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
        self.maxTokens = maxTokens
    }

    public static let greedy = SamplingParams(temperature: 0)

    public var isGreedy: Bool { temperature == 0 || topK == 1 }

    /// Rejects values vLLM rejects, naming the field.
    public func validate() throws(SamplingError) {
        guard temperature >= 0, temperature.isFinite else { throw .invalid("temperature must be >= 0, got \(temperature)") }
        guard topP > 0, topP <= 1 else { throw .invalid("top_p must be in (0, 1], got \(topP)") }
        guard topK >= -1 else { throw .invalid("top_k must be -1 (disable), 0 (disable) or positive, got \(topK)") }
        guard maxTokens >= 1 else { throw .invalid("max_tokens must be at least 1, got \(maxTokens)") }
    }
}

public enum SamplingError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let message): message }
    }
}
