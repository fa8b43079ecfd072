import FloeEngine

/// The finished result of one prompt: `n` samples.
public struct Completion: Sendable {
    public struct Sample: Sendable, Equatable {
        public var text: String
        public var tokenIDs: [Int]
        public var finishReason: FinishReason?
        /// The stop string that ended the sample, if one did.
        public var stopString: String?
        public var logprobs: [PositionLogprobs]
    }

    public var promptTokenIDs: [Int]
    public var samples: [Sample]
    /// With `promptLogprobs` set: per prompt position, the log-probability of that prompt token
    /// given the ones before it (`nil` for the first), as vLLM returns them.
    public var promptLogprobs: [PositionLogprobs?] = []
    /// The first sample's text (the common `n = 1` case).
    public var text: String { samples.first?.text ?? "" }
}

/// One streamed piece of a sample's text.
public struct CompletionDelta: Sendable, Equatable {
    public var sampleIndex: Int
    public var text: String
    public var tokenIDs: [Int]
    public var finishReason: FinishReason?
    /// Log-probabilities of `tokenIDs` when the request asked for them.
    public var logprobs: [PositionLogprobs] = []
}
