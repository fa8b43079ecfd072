/// One logits row's sampling on the device: vLLM's sampler for a request that needs no
/// logprobs — the logits adjustments that depend on its token history (min_tokens mask, logit
/// bias, repetition/frequency/presence penalties), then temperature, min-p, top-k, top-p and
/// the row's random stream. Requests with logprobs (and draft verification) are sampled on the
/// host.
public struct DeviceSamplingRow: Sendable, Equatable {
    /// 0 picks the argmax (greedy).
    public var temperature: Float
    /// 0 keeps every token.
    public var topK: Int
    /// 1 keeps every token.
    public var topP: Float
    /// 0 keeps every token.
    public var minP: Float
    /// The draw of (seed, step) is fixed: a request's tokens depend on its seed and its own
    /// output index only, never on the batch it shares.
    public var seed: UInt64
    public var step: UInt64
    /// 1 leaves logits alone; applied to tokens in the prompt or the output.
    public var repetitionPenalty: Float
    /// 0 leaves logits alone; applied to output tokens.
    public var frequencyPenalty: Float
    public var presencePenalty: Float
    /// At most one entry per token; every token without one keeps its logit.
    public var adjustments: [LogitAdjustment]

    public init(
        temperature: Float, topK: Int = 0, topP: Float = 1, minP: Float = 0, seed: UInt64, step: UInt64,
        repetitionPenalty: Float = 1, frequencyPenalty: Float = 0, presencePenalty: Float = 0,
        adjustments: [LogitAdjustment] = []
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.seed = seed
        self.step = step
        self.repetitionPenalty = repetitionPenalty
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.adjustments = adjustments
    }
}

/// What one token's logit goes through before the draw, in vLLM's order (as
/// `RequestSampler.verify` on the host): set to -infinity if `masked`; plus `bias` if any; the
/// repetition penalty if the token is in the prompt or the output (dividing a positive logit,
/// multiplying a negative one); minus frequency · `outputCount` + presence if it is in the
/// output. Ids outside the vocabulary are ignored.
public struct LogitAdjustment: Sendable, Equatable {
    public var token: Int
    /// Times the token occurs in the output (0: not in it).
    public var outputCount: Int
    public var inPrompt: Bool
    /// Masked by min_tokens (a stop token before the minimum length).
    public var masked: Bool
    /// nil when the request has no bias for the token (adding 0 is not the same: -0 + 0 = +0).
    public var bias: Float?

    public init(token: Int, outputCount: Int = 0, inPrompt: Bool = false, masked: Bool = false, bias: Float? = nil) {
        self.token = token
        self.outputCount = outputCount
        self.inPrompt = inPrompt
        self.masked = masked
        self.bias = bias
    }
}

/// A backend that samples where the logits are (a GPU), so one id per row comes back instead of
/// a vocabulary of floats. The draws follow the same distribution as the host's sampler but not
/// the same random numbers: a seeded request repeats itself on one device kind, not across them
/// (as in vLLM).
public protocol DeviceSampling {
    /// One token per row of `logits` `[rows.count, vocabulary]`. Each row's adjustments are
    /// applied to `logits` in place first (rows without any keep their logits).
    func sampleRows(_ logits: Tensor, rows: [DeviceSamplingRow]) -> [Int]
}
