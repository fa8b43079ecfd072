/// How to pick the next tokens and when to stop, with vLLM's field meanings.
///
/// Only the engine-side semantics live here; stop strings are matched on detokenized text by
/// the frontend (see `StopStringMatcher`).
public struct SamplingParams: Sendable, Equatable {
    /// 0 means greedy (argmax).
    public var temperature: Float
    /// Keep the smallest set of tokens whose probability reaches `topP` (1 disables).
    public var topP: Float
    /// Keep the `topK` most likely tokens (0 or -1 disables).
    public var topK: Int
    /// Seed for this request's draws; `nil` draws one from the system when the request is
    /// created. Either way a request's tokens depend only on its seed and its own tokens.
    public var seed: UInt64?
    public var maxTokens: Int

    /// Number of independent samples of the same prompt (child requests sharing its KV blocks).
    public var n: Int
    /// Drop tokens whose probability is below `minP` times the most likely token's (0 disables).
    public var minP: Float
    /// Divides positive / multiplies negative logits of every token already in the prompt or
    /// the output (1 disables).
    public var repetitionPenalty: Float
    /// Subtracted from a logit once per occurrence of the token in the output (0 disables).
    public var frequencyPenalty: Float
    /// Subtracted from a logit if the token occurs in the output at all (0 disables).
    public var presencePenalty: Float
    /// Added to the logits of the given token ids before any penalty.
    public var logitBias: [Int: Float]
    /// Stop strings, matched by the frontend on detokenized text.
    public var stop: [String]
    /// Token ids that end generation like EOS does (even with `ignoreEOS`).
    public var stopTokenIDs: [Int]
    public var includeStopStringInOutput: Bool
    /// Keep generating past EOS (stop token ids still stop).
    public var ignoreEOS: Bool
    /// EOS and stop token ids are masked until this many tokens were generated.
    public var minTokens: Int
    /// Number of top log-probabilities to return per generated token, besides the sampled
    /// token's own (`nil`: none; 0: only the sampled token's).
    public var logprobs: Int?
    /// The same for every prompt token (the first has none). Requests asking for it skip the
    /// prefix cache, since every prompt position must run through the model.
    public var promptLogprobs: Int?
    /// Which distribution the returned log-probabilities describe.
    public var logprobsMode: LogprobsMode

    /// Largest `logprobs` / `promptLogprobs` accepted (vLLM's default `max_logprobs`).
    public static let maxLogprobs = 20

    public init(
        temperature: Float = 1, topP: Float = 1, topK: Int = 0, seed: UInt64? = nil, maxTokens: Int = 16,
        n: Int = 1, minP: Float = 0, repetitionPenalty: Float = 1, frequencyPenalty: Float = 0,
        presencePenalty: Float = 0, logitBias: [Int: Float] = [:], stop: [String] = [], stopTokenIDs: [Int] = [],
        includeStopStringInOutput: Bool = false, ignoreEOS: Bool = false, minTokens: Int = 0,
        logprobs: Int? = nil, promptLogprobs: Int? = nil, logprobsMode: LogprobsMode = .raw
    ) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
        self.maxTokens = maxTokens
        self.n = n
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.logitBias = logitBias
        self.stop = stop
        self.stopTokenIDs = stopTokenIDs
        self.includeStopStringInOutput = includeStopStringInOutput
        self.ignoreEOS = ignoreEOS
        self.minTokens = minTokens
        self.logprobs = logprobs
        self.promptLogprobs = promptLogprobs
        self.logprobsMode = logprobsMode
    }

    public static let greedy = SamplingParams(temperature: 0)

    public var isGreedy: Bool { temperature == 0 || topK == 1 }

    var hasPenalties: Bool { repetitionPenalty != 1 || frequencyPenalty != 0 || presencePenalty != 0 }

    /// Rejects values vLLM rejects, naming the field.
    public func validate() throws(SamplingError) {
        guard temperature >= 0, temperature.isFinite else { throw .invalid("temperature must be >= 0, got \(temperature)") }
        guard topP > 0, topP <= 1 else { throw .invalid("top_p must be in (0, 1], got \(topP)") }
        guard topK >= -1 else { throw .invalid("top_k must be -1 (disable), 0 (disable) or positive, got \(topK)") }
        guard maxTokens >= 1 else { throw .invalid("max_tokens must be at least 1, got \(maxTokens)") }
        guard n >= 1 else { throw .invalid("n must be at least 1, got \(n)") }
        guard minP >= 0, minP <= 1 else { throw .invalid("min_p must be in [0, 1], got \(minP)") }
        guard repetitionPenalty > 0, repetitionPenalty.isFinite else {
            throw .invalid("repetition_penalty must be > 0, got \(repetitionPenalty)")
        }
        guard (-2...2).contains(frequencyPenalty) else {
            throw .invalid("frequency_penalty must be in [-2, 2], got \(frequencyPenalty)")
        }
        guard (-2...2).contains(presencePenalty) else {
            throw .invalid("presence_penalty must be in [-2, 2], got \(presencePenalty)")
        }
        for (token, bias) in logitBias {
            guard token >= 0 else { throw .invalid("logit_bias token ids must be >= 0, got \(token)") }
            guard bias.isFinite else { throw .invalid("logit_bias values must be finite, got \(bias) for token \(token)") }
        }
        guard !stop.contains(where: \.isEmpty) else { throw .invalid("stop must not contain an empty string") }
        guard stopTokenIDs.allSatisfy({ $0 >= 0 }) else { throw .invalid("stop_token_ids must be >= 0, got \(stopTokenIDs)") }
        guard minTokens >= 0, minTokens <= maxTokens else {
            throw .invalid("min_tokens must be in [0, max_tokens (\(maxTokens))], got \(minTokens)")
        }
        if let logprobs, !(0...Self.maxLogprobs).contains(logprobs) {
            throw .invalid("logprobs must be in [0, \(Self.maxLogprobs)], got \(logprobs)")
        }
        if let promptLogprobs, !(0...Self.maxLogprobs).contains(promptLogprobs) {
            throw .invalid("prompt_logprobs must be in [0, \(Self.maxLogprobs)], got \(promptLogprobs)")
        }
    }
}

/// Which distribution returned log-probabilities describe.
public enum LogprobsMode: Sendable, Equatable {
    /// log-softmax of the model's raw logits, before logit bias, penalties, temperature and
    /// truncation: vLLM V1's default (`raw_logprobs`).
    case raw
    /// log-softmax of the distribution actually sampled from, after every processing step
    /// (vLLM's `processed_logprobs`, and V0's behaviour). Tokens removed by top-k/top-p/min_p
    /// get -infinity.
    case processed
}

public enum SamplingError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let message): message }
    }
}
