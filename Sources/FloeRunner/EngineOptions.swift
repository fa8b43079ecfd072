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
    /// `--device`: `cpu` or `cuda` (checked by the command line; the backend is chosen from it).
    public var device: String
    /// `--dtype`: `auto`, `float32`, `bfloat16` or `float16` (CPU computes in float32).
    public var dtype: String

    public init(
        kvCacheBytes: Int = 512 << 20, maxModelLen: Int? = nil, maxNumSeqs: Int = 256, maxNumBatchedTokens: Int = 2048,
        blockSize: Int = 16, enablesPrefixCaching: Bool = true, device: String = "cpu", dtype: String = "auto"
    ) {
        self.device = device
        self.dtype = dtype
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
            maxNumBatchedTokens: maxNumBatchedTokens, maxNumSeqs: maxNumSeqs, enablesPrefixCaching: enablesPrefixCaching)
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
