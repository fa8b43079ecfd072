import FloeEngine
import FloeModels
import FloeTensor

/// The engine's executor for a `CausalLM` on any backend: each step becomes one flat batch —
/// prefill chunks and decode tokens of every scheduled request back to back — run through
/// `forward`, with logits computed only for rows that are sampled.
public final class ModelRunner: ModelExecutor {
    public let model: any CausalLM
    public let cache: KVCache
    private var samplers = RequestSamplers()

    public init(model: any CausalLM, blockCount: Int, blockSize: Int) {
        self.model = model
        cache = model.makeKVCache(blockCount: blockCount, blockSize: blockSize)
    }

    /// Bytes of KV cache one block holds on this model (keys and values, every layer).
    public static func blockBytes(model: any CausalLM, blockSize: Int) -> Int {
        let probe = model.makeKVCache(blockCount: 1, blockSize: blockSize)
        return (probe.keys + probe.values).reduce(0) { $0 + $1.byteCount }
    }

    public func execute(_ output: SchedulerOutput) throws -> ModelRunnerOutput {
        samplers.prepare(for: output)
        guard !output.isEmpty else { return ModelRunnerOutput(sampledTokens: [:]) }

        var tokens: [Int32] = [], positions: [Int32] = []
        var sequences: [AttentionMetadata.Sequence] = []
        var logitRows: [Int] = [], sampledIDs: [RequestID] = []
        tokens.reserveCapacity(output.totalTokenCount)
        for request in output.scheduled {
            let first = tokens.count
            tokens.append(contentsOf: request.tokenIDs.map { Int32(truncatingIfNeeded: $0) })
            positions.append(contentsOf: request.positions.map { Int32($0) })
            sequences.append(.init(
                queryTokens: first..<tokens.count, contextLength: request.contextLength, blockTable: request.blockTable))
            if request.needsLogits {
                logitRows.append(tokens.count - 1)
                sampledIDs.append(request.id)
            }
        }
        // A step may be all prefill chunks that end mid-prompt; the model still needs one row.
        let batch = ForwardBatch(
            tokens: tokens, positions: positions,
            attention: AttentionMetadata(sequences: sequences, blockSize: cache.blockSize),
            logitRows: logitRows.isEmpty ? [tokens.count - 1] : logitRows)
        let logits = try model.forward(batch, cache: cache)
        guard !sampledIDs.isEmpty else { return ModelRunnerOutput(sampledTokens: [:]) }

        var values = model.backend.readFloats(logits)
        let vocabulary = model.vocabularySize
        var sampled: [RequestID: [SampledToken]] = [:]
        values.withUnsafeMutableBufferPointer { all in
            for (row, id) in sampledIDs.enumerated() {
                let slice = UnsafeMutableBufferPointer(rebasing: all[row * vocabulary..<(row + 1) * vocabulary])
                sampled[id] = [samplers.sample(id, logits: slice)]
            }
        }
        return ModelRunnerOutput(sampledTokens: sampled)
    }
}
