/// What a request's stream delivers after each step that produced something for it.
public struct RequestOutput: Sendable, Equatable {
    public var requestID: RequestID
    /// Which of the `n` samples this belongs to.
    public var sampleIndex: Int
    public var newTokenIDs: [Int]
    public var logprobs: [PositionLogprobs]
    public var promptLogprobs: [PositionLogprobs?]
    /// Set on the last output of this sample.
    public var finishReason: FinishReason?
    public var stopTokenID: Int?

    public init(
        requestID: RequestID, sampleIndex: Int = 0, newTokenIDs: [Int], logprobs: [PositionLogprobs] = [],
        promptLogprobs: [PositionLogprobs?] = [], finishReason: FinishReason? = nil, stopTokenID: Int? = nil
    ) {
        self.requestID = requestID
        self.sampleIndex = sampleIndex
        self.newTokenIDs = newTokenIDs
        self.logprobs = logprobs
        self.promptLogprobs = promptLogprobs
        self.finishReason = finishReason
        self.stopTokenID = stopTokenID
    }
}
