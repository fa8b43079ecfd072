/// What one step runs: for each scheduled request, the tokens to feed and where its KV lives.
/// Everything a runner needs to build the flat batch (`ForwardBatch`, `AttentionMetadata`)
/// and to sample; nothing else.
public struct SchedulerOutput: Sendable {
    /// In batch order: running requests (decodes and prefill continuations) first, then newly
    /// admitted ones, FCFS.
    public var scheduled: [ScheduledRequest]
    /// Requests finished or aborted since the previous step: the executor drops their state.
    public var finishedRequestIDs: [RequestID]
    /// Requests preempted since the previous step: the executor drops their state; they come
    /// back later with `newRequest` set again.
    public var preemptedRequestIDs: [RequestID]

    public init(scheduled: [ScheduledRequest], finishedRequestIDs: [RequestID] = [], preemptedRequestIDs: [RequestID] = []) {
        self.scheduled = scheduled
        self.finishedRequestIDs = finishedRequestIDs
        self.preemptedRequestIDs = preemptedRequestIDs
    }

    public var totalTokenCount: Int { scheduled.reduce(0) { $0 + $1.tokenIDs.count } }
    public var isEmpty: Bool { scheduled.isEmpty }
}

/// One request's share of a step.
public struct ScheduledRequest: Sendable {
    public let id: RequestID
    /// Tokens to run now: the next slice of prompt + output after `positionStart`.
    public let tokenIDs: [Int]
    /// Position of `tokenIDs[0]`, which is also the number of tokens already in the KV cache
    /// (after prefix-cache hits and earlier chunks).
    public let positionStart: Int
    /// Physical blocks holding positions `0..<contextLength`, in order. Sent whole every step
    /// (vLLM sends diffs; a runner may diff it against the previous table).
    public let blockTable: [Int32]
    /// True when this step reaches the end of the known tokens (last prompt chunk, or a
    /// decode): the runner samples one token from the last row's logits. Partial prefill
    /// chunks sample nothing.
    public let needsLogits: Bool
    /// Set the first time the runner sees the request, and again after it was preempted.
    public let newRequest: NewRequestData?
    /// Speculative draft tokens: the tail of `tokenIDs`. The runner takes logits at the last
    /// `draftTokenIDs.count + 1` rows and returns the accepted drafts plus one token
    /// (`SpeculativeVerifier`).
    public let draftTokenIDs: [Int]

    public init(
        id: RequestID, tokenIDs: [Int], positionStart: Int, blockTable: [Int32], needsLogits: Bool,
        newRequest: NewRequestData?, draftTokenIDs: [Int] = []
    ) {
        self.draftTokenIDs = draftTokenIDs
        self.id = id
        self.tokenIDs = tokenIDs
        self.positionStart = positionStart
        self.blockTable = blockTable
        self.needsLogits = needsLogits
        self.newRequest = newRequest
    }

    /// Tokens of context after this step.
    public var contextLength: Int { positionStart + tokenIDs.count }
    public var positions: Range<Int> { positionStart..<contextLength }
}

/// What an executor keeps per request to sample it: enough to build its `RequestSampler`
/// (penalties need the prompt and the output so far).
public struct NewRequestData: Sendable {
    public let promptTokenIDs: [Int]
    /// Tokens generated before a preemption (empty for a fresh request).
    public let outputTokenIDs: [Int]
    public let params: SamplingParams
    public let samplingSeed: UInt64
    /// Tokens masked until `params.minTokens` outputs exist (EOS unless ignored, stop ids).
    public let stopTokenIDs: Set<Int>

    public init(promptTokenIDs: [Int], outputTokenIDs: [Int], params: SamplingParams, samplingSeed: UInt64, stopTokenIDs: Set<Int>) {
        self.promptTokenIDs = promptTokenIDs
        self.outputTokenIDs = outputTokenIDs
        self.params = params
        self.samplingSeed = samplingSeed
        self.stopTokenIDs = stopTokenIDs
    }

    /// The sampler for this request, positioned after its existing output.
    public func makeSampler() -> RequestSampler {
        RequestSampler(
            params: params, seed: samplingSeed, promptTokenIDs: promptTokenIDs, outputTokenIDs: outputTokenIDs,
            stopTokenIDs: stopTokenIDs)
    }
}
