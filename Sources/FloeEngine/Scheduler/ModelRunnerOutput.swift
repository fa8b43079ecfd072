/// What the executor returns for one step.
public struct ModelRunnerOutput: Sendable {
    /// For each scheduled request with `needsLogits`, the tokens it sampled: one normally;
    /// several once speculative decoding accepts drafts. Others are absent.
    public var sampledTokens: [RequestID: [SampledToken]]
    /// Prompt log-probabilities computed this step, for requests that asked for them: one
    /// entry per prompt position run this step (`nil` for position 0, which has no
    /// predecessor).
    public var promptLogprobs: [RequestID: [PositionLogprobs?]]

    public init(sampledTokens: [RequestID: [SampledToken]], promptLogprobs: [RequestID: [PositionLogprobs?]] = [:]) {
        self.sampledTokens = sampledTokens
        self.promptLogprobs = promptLogprobs
    }
}

/// What one request got from one step: the scheduler's answer to `update(from:)`.
public struct RequestStepOutput: Sendable, Equatable {
    public var id: RequestID
    public var newTokenIDs: [Int]
    /// Per new token, when the request asked for logprobs.
    public var logprobs: [PositionLogprobs]
    public var promptLogprobs: [PositionLogprobs?]
    public var finishReason: FinishReason?
    /// The stop token id that ended the request (nil for EOS, as in vLLM, and other reasons).
    public var stopTokenID: Int?

    public init(
        id: RequestID, newTokenIDs: [Int], logprobs: [PositionLogprobs] = [], promptLogprobs: [PositionLogprobs?] = [],
        finishReason: FinishReason? = nil, stopTokenID: Int? = nil
    ) {
        self.id = id
        self.newTokenIDs = newTokenIDs
        self.logprobs = logprobs
        self.promptLogprobs = promptLogprobs
        self.finishReason = finishReason
        self.stopTokenID = stopTokenID
    }

    public var isFinished: Bool { finishReason != nil }
}
