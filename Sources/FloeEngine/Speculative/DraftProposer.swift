/// Proposes draft tokens for running requests: the seam between the scheduler and a
/// speculator (suffix decoding now; a model-based proposer later). The scheduler tells it what
/// each request generated and asks for drafts when it schedules a decode.
public protocol DraftProposer: Sendable {
    /// A request produced `newTokens` (the first call for a request also carries its prompt).
    mutating func observe(_ request: Request, newTokens: ArraySlice<Int>)
    /// The request finished; its per-request state can go.
    mutating func stop(_ id: RequestID)
    /// Up to `maxTokens` tokens likely to follow `request`'s tokens.
    func propose(for request: Request, maxTokens: Int) -> [Int]
}

/// Suffix decoding (spec §5.5): a `SuffixDecodingCache` keyed by request id, path drafts.
public struct SuffixProposer: DraftProposer {
    public let config: SpeculativeConfig
    public private(set) var cache: SuffixDecodingCache<RequestID>

    public init(config: SpeculativeConfig) throws(SpeculativeConfigError) {
        try config.validate()
        self.config = config
        cache = try SuffixDecodingCache(maxTreeDepth: config.suffixCacheMaxDepth, maxCachedRequests: config.suffixCacheMaxRequests)
    }

    public mutating func observe(_ request: Request, newTokens: ArraySlice<Int>) {
        if !cache.isActive(request.id) {
            try? cache.startRequest(request.id, prompt: request.promptTokenIDs.lazy.map { Int32(truncatingIfNeeded: $0) })
            // Tokens generated before the cache saw the request (none normally).
            let earlier = request.outputTokenIDs.dropLast(newTokens.count)
            cache.addActiveResponse(request.id, tokens: earlier.map { Int32(truncatingIfNeeded: $0) })
        }
        cache.addActiveResponse(request.id, tokens: newTokens.map { Int32(truncatingIfNeeded: $0) })
    }

    public mutating func stop(_ id: RequestID) { cache.stopRequest(id) }

    public func propose(for request: Request, maxTokens: Int) -> [Int] {
        guard maxTokens > 0, cache.isActive(request.id) else { return [] }
        let depth = config.suffixCacheMaxDepth
        let start = max(request.tokenCount - depth, 0)
        let context = request.tokens(in: start..<request.tokenCount).map { Int32(truncatingIfNeeded: $0) }
        let draft = cache.speculate(
            request.id, context: context, maxSpecTokens: maxTokens, maxSpecFactor: config.suffixMaxSpecFactor,
            maxSpecOffset: config.suffixMaxSpecOffset, minTokenProbability: config.suffixMinTokenProbability)
        return draft.tokenIDs.map(Int.init)
    }
}
