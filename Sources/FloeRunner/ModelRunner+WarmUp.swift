import FloeModels
import FloeTensor
import Foundation

extension ModelRunner {
    /// Runs the step shapes serving needs once before the first request, as vLLM does at start
    /// (its profile run, then its CUDA-graph capture), so that no request pays for them:
    /// - one step of `maxBatchedTokens` prompt tokens, which makes the GPU load the prefill's
    ///   kernels (CUDA loads a kernel at its first launch: cuBLASLt's took 0.14 ms of host time
    ///   per call on average over a whole batch-64 benchmark on an H100 before this);
    /// - one decode step of every recorded batch size up to `maxNumSeqs`, largest first (the
    ///   recordings' activation buffers are sized by the first), each recorded as it runs.
    ///
    /// Only on backends that record step graphs (GPUs); elsewhere nothing is gained. With
    /// `--enforce-eager` the decode steps still run once each, loading their GEMM kernels. The KV blocks
    /// it writes are free before and after (nothing was scheduled yet), and the outputs are dropped.
    public func warmUp(maxBatchedTokens: Int, maxNumSeqs: Int, maxModelLen: Int) throws {
        guard model.backend is any StepGraphRecording, cache.blockCount > 0 else { return }
        let start = DispatchTime.now()
        let blockSize = cache.blockSize
        // Prompts as long as a request may be, as many as fill the step's token budget and the cache.
        let length = max(1, min(maxModelLen, maxBatchedTokens, cache.blockCount * blockSize))
        let blocksEach = (length + blockSize - 1) / blockSize
        // No more sequences than a step may hold: the logits' memory is reserved for that many.
        let prompts = max(1, min(maxBatchedTokens / length, cache.blockCount / blocksEach, maxNumSeqs))
        var sequences: [[Int32]] = []
        for index in 0..<prompts {
            sequences.append((0..<blocksEach).map { Int32(index * blocksEach + $0) })
        }
        try run(sequences.map { (tokens: length, blocks: $0) })
        // Decodes: each sequence one token at position 0 in a block of its own (shared when the
        // cache has fewer blocks than the batch has sequences).
        let largest = DecodeGraphSizes.all.first(where: { $0 >= maxNumSeqs }) ?? DecodeGraphSizes.largest
        let sizes = DecodeGraphSizes.all.reversed().filter { $0 <= largest }
        for size in sizes {
            try run((0..<size).map { (tokens: 1, blocks: [Int32($0 % cache.blockCount)]) })
        }
        model.backend.synchronize()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        FileHandle.standardError.write(Data(String(
            format: "floe: warmed up in %.2f s (a %d-token prefill step, decode steps of %d batch sizes up to %d)\n",
            seconds, prompts * length, sizes.count, largest).utf8))
    }

    /// One forward pass of sequences that start at position 0, each `tokens` long in `blocks`;
    /// logits of each last token.
    private func run(_ sequences: [(tokens: Int, blocks: [Int32])]) throws {
        var positions: [Int32] = [], logitRows: [Int] = []
        var attention: [AttentionMetadata.Sequence] = []
        for sequence in sequences {
            let first = positions.count
            positions += (0..<Int32(sequence.tokens))
            attention.append(.init(queryTokens: first..<positions.count, contextLength: sequence.tokens, blockTable: sequence.blocks))
            logitRows.append(positions.count - 1)
        }
        let batch = ForwardBatch(
            tokens: [Int32](repeating: 0, count: positions.count), positions: positions,
            attention: AttentionMetadata(sequences: attention, blockSize: cache.blockSize), logitRows: logitRows)
        _ = try model.forward(batch, cache: cache)
    }
}
