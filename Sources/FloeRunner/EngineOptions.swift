import FloeEngine
import FloeModels
import FloeTensor
import Foundation

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
    /// `--gpu-memory-utilization`: on a device backend, the share of the device's memory the
    /// whole engine may use; the KV cache gets what the weights and activations leave of it
    /// (replacing `kvCacheBytes`). Ignored on the CPU.
    public var gpuMemoryUtilization: Double?
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

    /// The KV-cache bytes for a model already loaded on `backend`: `gpuMemoryUtilization` of
    /// the device's memory minus what is in use and an activation reserve for the largest step.
    func resolvedKVCacheBytes(backend: any Backend, hiddenSize: Int, intermediateSize: Int, vocabularySize: Int) throws -> Int {
        guard let utilization = gpuMemoryUtilization, let device = backend as? DeviceMemoryReporting else { return kvCacheBytes }
        guard utilization > 0, utilization <= 1 else {
            throw EngineOptionsError.invalid("gpu_memory_utilization must be in (0, 1], got \(utilization)")
        }
        let (free, total) = try device.deviceMemory()
        let perToken = 8 * hiddenSize + 3 * intermediateSize
        var activations: Int = maxNumBatchedTokens * perToken * 4 + maxNumSeqs * vocabularySize * 4
        if let recorder = backend as? any StepGraphRecording, recorder.recordsStepGraphs {
            // Recorded decode steps keep activation buffers of their own (`DecodeGraphs`), for up
            // to twice the largest decode batch (they grow by doubling).
            activations += min(DecodeGraphSizes.largest, 2 * maxNumSeqs) * (perToken + vocabularySize) * 4
        }
        let allowed = Int(Double(total) * utilization)
        let budget: Int = allowed - (total - free) - activations - (256 << 20)
        guard budget > 0 else {
            let gib = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_073_741_824) }
            throw EngineOptionsError.invalid(
                "gpu_memory_utilization \(utilization) leaves no room for the KV cache: \(gib(total - free)) of \(gib(total)) GiB in use, \(gib(activations)) GiB reserved for activations")
        }
        return budget
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
