import FloeEngine

/// How an engine is sized, with vLLM's flag meanings.
public struct EngineOptions: Sendable {
    /// Bytes of KV cache to allocate (`--kv-cache-memory`); the cache never grows past it.
    public var kvCacheBytes: Int
    /// `--max-model-len`; `nil` uses the model's `max_position_embeddings`.
    public var maxModelLen: Int?
    public var maxNumSeqs: Int
    public var maxNumBatchedTokens: Int
    public var blockSize: Int
    public var enablesPrefixCaching: Bool
    /// `--speculative-config` (nil: no speculative decoding).
    public var speculative: SpeculativeConfig?

    public init(
        kvCacheBytes: Int = 512 << 20, maxModelLen: Int? = nil, maxNumSeqs: Int = 256, maxNumBatchedTokens: Int = 2048,
        blockSize: Int = 16, enablesPrefixCaching: Bool = true, speculative: SpeculativeConfig? = nil
    ) {
        self.speculative = speculative
        self.kvCacheBytes = kvCacheBytes
        self.maxModelLen = maxModelLen
        self.maxNumSeqs = maxNumSeqs
        self.maxNumBatchedTokens = maxNumBatchedTokens
        self.blockSize = blockSize
        self.enablesPrefixCaching = enablesPrefixCaching
    }

    /// The scheduler configuration for `model`: as many blocks as `kvCacheBytes` holds.
    func schedulerConfig(blockBytes: Int, modelMaxPositions: Int) throws -> SchedulerConfig {
        let maxModelLen = maxModelLen ?? modelMaxPositions
        guard maxModelLen <= modelMaxPositions else {
            throw EngineOptionsError.invalid(
                "max_model_len \(maxModelLen) exceeds the model's max_position_embeddings (\(modelMaxPositions))")
        }
        let blockCount = kvCacheBytes / max(blockBytes, 1)
        guard blockCount >= 1 else {
            throw EngineOptionsError.invalid(
                "KV cache of \(kvCacheBytes) bytes holds no block (one block of \(blockSize) tokens needs \(blockBytes) bytes)")
        }
        let config = SchedulerConfig(
            maxModelLen: maxModelLen, blockCount: blockCount, blockSize: blockSize,
            maxNumBatchedTokens: maxNumBatchedTokens, maxNumSeqs: maxNumSeqs, enablesPrefixCaching: enablesPrefixCaching,
            speculative: speculative)
        do { try config.validate() } catch { throw EngineOptionsError.invalid(error.description) }
        return config
    }
}

public enum EngineOptionsError: Error, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let message): "invalid engine options: \(message)" }
    }
}
