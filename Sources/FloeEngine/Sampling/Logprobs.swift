/// One token's log-probability and its rank (1 = most likely) in the distribution it came from.
public struct TokenLogprob: Sendable, Equatable {
    public var tokenID: Int
    public var logprob: Float
    public var rank: Int

    public init(tokenID: Int, logprob: Float, rank: Int) {
        self.tokenID = tokenID
        self.logprob = logprob
        self.rank = rank
    }
}

/// What one position returns when log-probabilities are requested: the chosen token's entry
/// and the `k` most likely tokens (which may include the chosen one), most likely first.
public struct PositionLogprobs: Sendable, Equatable {
    public var chosen: TokenLogprob
    public var top: [TokenLogprob]

    public init(chosen: TokenLogprob, top: [TokenLogprob]) {
        self.chosen = chosen
        self.top = top
    }
}

/// A token picked by the executor, with its log-probabilities when the request asked for them.
public struct SampledToken: Sendable, Equatable {
    public var tokenID: Int
    public var logprobs: PositionLogprobs?

    public init(tokenID: Int, logprobs: PositionLogprobs? = nil) {
        self.tokenID = tokenID
        self.logprobs = logprobs
    }
}
