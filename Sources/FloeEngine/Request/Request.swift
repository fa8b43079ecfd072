/// One sequence the scheduler drives: a prompt, how to sample, and what it has produced.
///
/// A value owned by the `Scheduler`; the engine reads copies. `numComputedTokens` counts the
/// tokens whose KV is in the cache (or is being written by the step just scheduled), so the
/// next step always runs the tokens `numComputedTokens..<tokenCount`: the rest of the prompt
/// (chunked prefill), the last sampled token (decode), or everything after a prefix-cache hit.
public struct Request: Sendable {
    public let id: RequestID
    public let promptTokenIDs: [Int]
    public let params: SamplingParams
    /// End-of-sequence ids of the model (from its tokenizer / generation config).
    public let eosTokenIDs: Set<Int>
    /// The seed every draw of this request derives from (`params.seed`, or one drawn at creation
    /// so that a request resumed after preemption samples the same tokens).
    public let samplingSeed: UInt64
    /// For the children of an `n > 1` request: the id the client knows and this sample's index.
    public let parentID: RequestID?
    public let sampleIndex: Int

    public internal(set) var outputTokenIDs: [Int] = []
    public internal(set) var status: RequestStatus = .waiting
    public internal(set) var numComputedTokens = 0
    public internal(set) var preemptionCount = 0

    public init(
        id: RequestID, promptTokenIDs: [Int], params: SamplingParams, eosTokenIDs: Set<Int> = [],
        parentID: RequestID? = nil, sampleIndex: Int = 0
    ) {
        self.id = id
        self.promptTokenIDs = promptTokenIDs
        self.params = params
        self.eosTokenIDs = eosTokenIDs
        self.samplingSeed = params.seed ?? UInt64.random(in: .min ... .max)
        self.parentID = parentID
        self.sampleIndex = sampleIndex
    }

    /// The `params.n` child requests of one client request, as vLLM V1 fans them out: each is
    /// an ordinary request with `n = 1`; they share the prompt's KV blocks through the prefix
    /// cache. With a seed, sample `i` uses `seed + i` (vLLM's rule), so samples differ yet stay
    /// reproducible. With `n == 1` the single request keeps the client's id.
    public static func parallelSamples(
        of id: RequestID, promptTokenIDs: [Int], params: SamplingParams, eosTokenIDs: Set<Int> = []
    ) -> [Request] {
        guard params.n > 1 else {
            return [Request(id: id, promptTokenIDs: promptTokenIDs, params: params, eosTokenIDs: eosTokenIDs)]
        }
        return (0..<params.n).map { index in
            var child = params
            child.n = 1
            child.seed = params.seed.map { $0 &+ UInt64(index) }
            return Request(
                id: id.child(index), promptTokenIDs: promptTokenIDs, params: child, eosTokenIDs: eosTokenIDs,
                parentID: id, sampleIndex: index)
        }
    }

    /// Prompt plus generated tokens: the context this request's KV describes once computed.
    public var tokenCount: Int { promptTokenIDs.count + outputTokenIDs.count }

    public var isFinished: Bool { status.isFinished }

    /// The client-visible id (the parent's for children of an `n > 1` request).
    public var clientID: RequestID { parentID ?? id }

    /// Token `index` of prompt + output.
    public func token(at index: Int) -> Int {
        index < promptTokenIDs.count ? promptTokenIDs[index] : outputTokenIDs[index - promptTokenIDs.count]
    }

    /// Tokens `range` of prompt + output.
    public func tokens(in range: Range<Int>) -> [Int] {
        let promptCount = promptTokenIDs.count
        if range.upperBound <= promptCount { return Array(promptTokenIDs[range]) }
        if range.lowerBound >= promptCount {
            return Array(outputTokenIDs[(range.lowerBound - promptCount)..<(range.upperBound - promptCount)])
        }
        return Array(promptTokenIDs[range.lowerBound...]) + outputTokenIDs[..<(range.upperBound - promptCount)]
    }

    /// Token ids that end generation: stop token ids always, EOS unless `ignoreEOS`. Both are
    /// masked by the sampler until `minTokens` tokens were generated.
    public var stopTokenIDs: Set<Int> {
        params.ignoreEOS ? Set(params.stopTokenIDs) : eosTokenIDs.union(params.stopTokenIDs)
    }
}
