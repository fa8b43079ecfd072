/// Speculative decoding settings, with Arctic Inference's `--speculative-config` keys and
/// defaults (spec §4.8, §5.5, §9.1). Only `method: "suffix"` exists so far.
public struct SpeculativeConfig: Sendable, Equatable {
    public enum Method: String, Sendable { case suffix }

    public var method: Method = .suffix
    /// Most draft tokens per request and step (Arctic's suffix-only default: 16).
    public var numSpeculativeTokens = 16
    /// `disable_by_batch_size`: with more running requests than this, only the first this many
    /// (in batch order) draft. Arctic's default for suffix: 64.
    public var disableByBatchSize: Int? = 64
    /// `hard_disable_by_batch_size`: with at least this many running requests, nobody drafts.
    public var hardDisableByBatchSize: Int?
    public var suffixCacheMaxDepth = 64
    /// `suffix_speculative_tokens` (0: use `numSpeculativeTokens`).
    public var suffixSpeculativeTokens = 0
    public var suffixCacheMaxRequests = 100_000
    public var suffixMaxSpecFactor: Float = 1
    public var suffixMaxSpecOffset: Float = 0
    public var suffixMinTokenProbability: Float = 0.1

    public init() {}

    public func validate() throws(SpeculativeConfigError) {
        guard numSpeculativeTokens >= 1 else { throw .invalid("num_speculative_tokens must be at least 1, got \(numSpeculativeTokens)") }
        if let limit = disableByBatchSize, limit < 1 { throw .invalid("disable_by_batch_size must be at least 1, got \(limit)") }
        if let limit = hardDisableByBatchSize, limit < 1 { throw .invalid("hard_disable_by_batch_size must be at least 1, got \(limit)") }
        guard suffixCacheMaxDepth >= 1 else { throw .invalid("suffix_cache_max_depth must be at least 1, got \(suffixCacheMaxDepth)") }
        guard suffixSpeculativeTokens >= 0 else {
            throw .invalid("suffix_speculative_tokens must be >= 0, got \(suffixSpeculativeTokens)")
        }
        guard suffixCacheMaxRequests >= -1, suffixCacheMaxRequests <= Int(Int32.max) else {
            throw .invalid("suffix_cache_max_requests must be -1 (unlimited) or in 0...\(Int32.max), got \(suffixCacheMaxRequests)")
        }
        guard suffixMaxSpecFactor.isFinite, suffixMaxSpecFactor >= 0 else {
            throw .invalid("suffix_max_spec_factor must be a finite number >= 0, got \(suffixMaxSpecFactor)")
        }
        guard suffixMaxSpecOffset.isFinite else { throw .invalid("suffix_max_spec_offset must be finite, got \(suffixMaxSpecOffset)") }
        guard suffixMinTokenProbability.isFinite, (0...1).contains(suffixMinTokenProbability) else {
            throw .invalid("suffix_min_token_prob must be in [0, 1], got \(suffixMinTokenProbability)")
        }
    }

    /// Draft tokens per step: `suffix_speculative_tokens` when set, else `num_speculative_tokens`.
    public var draftWidth: Int { suffixSpeculativeTokens > 0 ? suffixSpeculativeTokens : numSpeculativeTokens }

    /// How many of the first requests (in batch order) may draft with `batchSize` running
    /// (spec §4.8): none at or above the hard limit, the first `disableByBatchSize` above the soft.
    public func draftingRequestLimit(batchSize: Int) -> Int {
        if let hard = hardDisableByBatchSize, batchSize >= hard { return 0 }
        if let soft = disableByBatchSize, batchSize > soft { return soft }
        return batchSize
    }
}

public enum SpeculativeConfigError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let message): "invalid speculative config: \(message)" }
    }
}
