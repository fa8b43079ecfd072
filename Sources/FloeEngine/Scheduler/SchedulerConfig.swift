/// Limits the scheduler works within.
///
/// Defaults follow vLLM V1 where it has one that suits a single engine: 16-token blocks, prefix
/// caching and chunked prefill on, `max_num_seqs` 256. vLLM's `max_num_batched_tokens`
/// default depends on the hardware and entry point (2048 to 16384); 2048 keeps a step's
/// latency bounded on CPUs and small GPUs, and servers raise it.
public struct SchedulerConfig: Sendable, Equatable {
    /// Tokens (prefill chunks + decodes) one step may run.
    public var maxNumBatchedTokens: Int
    /// Requests one step may run.
    public var maxNumSeqs: Int
    /// Longest context (prompt + generated tokens) a request may reach.
    public var maxModelLen: Int
    /// KV blocks in the cache.
    public var blockCount: Int
    public var blockSize: Int
    public var enablesPrefixCaching: Bool
    /// Split prompts longer than the remaining budget across steps. When off, a prompt that
    /// does not fit the step's remaining budget waits for a later step.
    public var enablesChunkedPrefill: Bool
    /// Speculative decoding (nil: off).
    public var speculative: SpeculativeConfig?

    public init(
        maxModelLen: Int, blockCount: Int, blockSize: Int = 16, maxNumBatchedTokens: Int = 2048,
        maxNumSeqs: Int = 256, enablesPrefixCaching: Bool = true, enablesChunkedPrefill: Bool = true,
        speculative: SpeculativeConfig? = nil
    ) {
        self.speculative = speculative
        self.maxNumBatchedTokens = maxNumBatchedTokens
        self.maxNumSeqs = maxNumSeqs
        self.maxModelLen = maxModelLen
        self.blockCount = blockCount
        self.blockSize = blockSize
        self.enablesPrefixCaching = enablesPrefixCaching
        self.enablesChunkedPrefill = enablesChunkedPrefill
    }

    public func validate() throws(SchedulerError) {
        guard maxNumBatchedTokens > 0 else { throw .invalidConfig("maxNumBatchedTokens must be positive, got \(maxNumBatchedTokens)") }
        guard maxNumSeqs > 0 else { throw .invalidConfig("maxNumSeqs must be positive, got \(maxNumSeqs)") }
        guard maxModelLen > 0 else { throw .invalidConfig("maxModelLen must be positive, got \(maxModelLen)") }
        guard blockCount > 0 else { throw .invalidConfig("blockCount must be positive, got \(blockCount)") }
        guard blockSize > 0 else { throw .invalidConfig("blockSize must be positive, got \(blockSize)") }
        do { try speculative?.validate() } catch { throw .invalidConfig(error.description) }
        if !enablesChunkedPrefill, maxNumBatchedTokens < maxModelLen {
            throw .invalidConfig(
                "without chunked prefill, maxNumBatchedTokens (\(maxNumBatchedTokens)) must be at least maxModelLen (\(maxModelLen))")
        }
    }
}
