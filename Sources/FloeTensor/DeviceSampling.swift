/// One logits row's sampling on the device: the part of vLLM's sampler that needs no token
/// history (temperature, min-p, top-k, top-p) and the row's random stream. Requests with
/// penalties, a logit bias, logprobs or a min_tokens mask are sampled on the host.
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

    public init(temperature: Float, topK: Int = 0, topP: Float = 1, minP: Float = 0, seed: UInt64, step: UInt64) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.seed = seed
        self.step = step
    }
}

/// A backend that samples where the logits are (a GPU), so one id per row comes back instead of
/// a vocabulary of floats. The draws follow the same distribution as the host's sampler but not
/// the same random numbers: a seeded request repeats itself on one device kind, not across them
/// (as in vLLM).
public protocol DeviceSampling {
    /// One token per row of `logits` `[rows.count, vocabulary]`.
    func sampleRows(_ logits: Tensor, rows: [DeviceSamplingRow]) -> [Int]
}
