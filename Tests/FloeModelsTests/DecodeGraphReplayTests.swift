import FloeCPU
import FloeEngine
import FloeRunner
import FloeTensor
import FloeWeights
import Testing

@testable import FloeModels

/// The replay flow of recorded decode steps (`DecodeGraphs`) on the CPU: stories260K on a
/// `RecordingCPUBackend` (a CPU model of CUDA graphs) decodes in lockstep with the same model on
/// a plain `CPUBackend`, run eagerly, and must give the same logits at every step while padding,
/// staging, recording, replaying, growing its buffers and recording again after a new cache or
/// a replaced metadata buffer.
///
/// Tolerance: a padded step runs the linears over more rows than the eager one (4 instead of 3,
/// 8 instead of 5), and the CPU linear kernels may pick another summation order for another
/// row count, so logits may differ by float rounding; 1e-4 is far below what any wrong input
/// gives (a replay that read the recording's metadata, another cache or a stale token moves
/// logits by whole units). Measured on the development machine: every step identical (0).
@Suite struct DecodeGraphReplayTests {
    static let tolerance: Float = 1e-4

    /// The 5 sequences used below decode in this order: 3, 3, 2, 5, 1, 3, 2, 5, 1, 3 of them.
    /// Padded sizes: 4, 4, 2, 8, 1, 4, 2, 8, 1, 4. Recordings: 4 and 2, then the first 8
    /// grows the buffers from 4 to 8 rows (dropping both), then 8, 1, 4 and 2 again: 6. Replays:
    /// the second 4, then 8, 1 and 4 at the end: 4.
    static let schedule: [[Int]] = [
        [0, 1, 2], [0, 1, 2], [0, 2], [0, 1, 2, 3, 4], [3], [1, 2, 4], [0, 3], [0, 1, 2, 3, 4], [2], [0, 1, 2],
    ]

    @Test func replayedStepsMatchEagerSteps() throws {
        let run = try Lockstep(sequences: 5)
        for (index, sequences) in Self.schedule.enumerated() {
            let difference = try run.step(sequences)
            #expect(difference <= Self.tolerance, "step \(index) (\(sequences.count) sequences) differs by \(difference)")
        }
        #expect(run.recorder.recordings == 6)
        #expect(run.recorder.replays == 4)
        #expect(run.recorder.faults == [])
    }

    @Test func aNewCacheIsRecordedAgainNotReplayedIntoTheOldOne() throws {
        let run = try Lockstep(sequences: 2)
        #expect(try run.step([0, 1]) <= Self.tolerance)
        #expect(try run.step([0, 1]) <= Self.tolerance)
        #expect(run.recorder.recordings == 1 && run.recorder.replays == 1)

        // The same histories in new caches, in other blocks: a replay into the old cache would
        // write there and read blocks the new tables name in the old cache.
        let oldCache = run.graphedCache
        try run.moveToNewCaches(firstBlock: 5)
        let oldKeys = oldCache.keys.map(\.floats), oldValues = oldCache.values.map(\.floats)
        #expect(try run.step([0, 1]) <= Self.tolerance)
        #expect(run.recorder.recordings == 2 && run.recorder.replays == 1)
        #expect(oldCache.keys.map(\.floats) == oldKeys && oldCache.values.map(\.floats) == oldValues)
        #expect(try run.step([0, 1]) <= Self.tolerance)
        #expect(run.recorder.recordings == 2 && run.recorder.replays == 2)
        #expect(run.recorder.faults == [])
    }

    @Test func aReplacedMetadataBufferIsRecordedAgain() throws {
        let run = try Lockstep(sequences: 3)
        #expect(try run.step([0, 1, 2]) <= Self.tolerance)
        #expect(try run.step([0, 1, 2]) <= Self.tolerance)
        #expect(run.recorder.recordings == 1 && run.recorder.replays == 1)
        run.recorder.replaceMetadataBuffer()
        #expect(try run.step([0, 1, 2]) <= Self.tolerance)
        #expect(run.recorder.recordings == 2 && run.recorder.replays == 1)
        #expect(try run.step([0, 1, 2]) <= Self.tolerance)
        #expect(run.recorder.recordings == 2 && run.recorder.replays == 2)
        #expect(run.recorder.faults == [])
    }

    @Test func stepsRunEagerlyWhenRecordingIsOff() throws {
        let run = try Lockstep(sequences: 5, recordsStepGraphs: false)
        for sequences in Self.schedule.prefix(5) {
            // The same ops on the same rows: no padding, so no rounding either.
            #expect(try run.step(sequences) == 0)
        }
        #expect(run.recorder.recordings == 0 && run.recorder.replays == 0)
        #expect(run.recorder.generation == 0)  // no fixed-layout metadata was ever uploaded
        #expect(run.recorder.faults == [])
    }
}

/// stories260K twice: on a `CPUBackend` run eagerly and on a `RecordingCPUBackend`, each with its
/// own KV cache, fed the same tokens. Each sequence starts with a prefill of its own prompt (an
/// eager step on both), then decodes the eager model's greedy tokens.
final class Lockstep {
    static let blockSize = 16, blocksPerSequence = 4

    let eager: LlamaModel, graphed: LlamaModel
    let recorder: RecordingCPUBackend
    private(set) var eagerCache: KVCache, graphedCache: KVCache
    /// Each sequence's tokens so far; the last one is not in the cache yet.
    private var histories: [[Int32]]
    private var blockTables: [[Int32]]

    init(sequences count: Int, recordsStepGraphs: Bool = true) throws {
        recorder = RecordingCPUBackend(cpu: CPUBackend(threads: 1), recordsStepGraphs: recordsStepGraphs)
        eager = try Self.model(backend: CPUBackend(threads: 1))
        graphed = try Self.model(backend: recorder)
        let blocks = Self.blocksPerSequence * count + 8
        eagerCache = eager.makeKVCache(blockCount: blocks, blockSize: Self.blockSize)
        graphedCache = graphed.makeKVCache(blockCount: blocks, blockSize: Self.blockSize)
        // Prompts of 3, 6, 9, 12, 15 … tokens starting with BOS, so contexts differ between
        // sequences and the longest cross a block boundary while decoding.
        histories = (0..<count).map { (i: Int) -> [Int32] in
            let length = 2 + 3 * (i % 5)
            return [1] + (0..<length).map { (j: Int) -> Int32 in Int32(3 + (37 * i + 101 * j) % 500) }
        }
        blockTables = []
        try prefill(firstBlock: 0)
    }

    static func model(backend: any Backend) throws -> LlamaModel {
        let file = try GGUFFile(path: Stories260KTests.ggufPath)
        return try LlamaModel(
            config: LlamaConfig(gguf: file), weights: ModelWeights(source: file), names: LlamaWeightNames(.gguf),
            ropeStyle: .interleaved, backend: backend)
    }

    /// Fresh caches on both models, holding the same histories in other blocks.
    func moveToNewCaches(firstBlock: Int) throws {
        eagerCache = eager.makeKVCache(blockCount: eagerCache.blockCount, blockSize: Self.blockSize)
        graphedCache = graphed.makeKVCache(blockCount: graphedCache.blockCount, blockSize: Self.blockSize)
        try prefill(firstBlock: firstBlock)
    }

    /// One eager step on both models holding every sequence's history but its last token, with
    /// the blocks of sequence i interleaved with the others' (`firstBlock + j · count + i`).
    private func prefill(firstBlock: Int) throws {
        let count = histories.count
        blockTables = (0..<count).map { i in (0..<Self.blocksPerSequence).map { j in Int32(firstBlock + j * count + i) } }
        var sequences: [AttentionMetadata.Sequence] = [], tokens: [Int32] = [], positions: [Int32] = []
        for (i, history) in histories.enumerated() {
            let cached = history.dropLast()
            sequences.append(.init(queryTokens: tokens.count..<(tokens.count + cached.count), contextLength: cached.count, blockTable: blockTables[i]))
            tokens += cached
            positions += (0..<cached.count).map(Int32.init)
        }
        let batch = ForwardBatch(
            tokens: tokens, positions: positions, attention: AttentionMetadata(sequences: sequences, blockSize: Self.blockSize),
            logitRows: sequences.map { $0.queryTokens.upperBound - 1 })
        #expect(DecodeGraphs<Int>.recordableSize(for: batch) == nil)
        _ = try eager.forward(batch, cache: eagerCache)
        _ = try graphed.forward(batch, cache: graphedCache)
    }

    /// A decode step of `indices` (one token each) on both models; appends the eager model's
    /// greedy token to each history and returns the largest logit difference.
    func step(_ indices: [Int]) throws -> Float {
        let sequences = indices.enumerated().map { row, i in
            AttentionMetadata.Sequence(queryTokens: row..<(row + 1), contextLength: histories[i].count, blockTable: blockTables[i])
        }
        let batch = ForwardBatch(
            tokens: indices.map { histories[$0].last! }, positions: indices.map { Int32(histories[$0].count - 1) },
            attention: AttentionMetadata(sequences: sequences, blockSize: Self.blockSize), logitRows: Array(indices.indices))
        precondition(histories.allSatisfy { $0.count <= Self.blocksPerSequence * Self.blockSize }, "a history outgrew its blocks")
        let expected = eager.backend.readFloats(try eager.forward(batch, cache: eagerCache))
        let actual = graphed.backend.readFloats(try graphed.forward(batch, cache: graphedCache))
        precondition(expected.count == indices.count * eager.vocabularySize && actual.count == expected.count)
        let vocabulary = eager.vocabularySize
        for (row, i) in indices.enumerated() {
            let logits = expected[(row * vocabulary)..<((row + 1) * vocabulary)]
            histories[i].append(Int32(logits.indices.max { logits[$0] < logits[$1] }! - row * vocabulary))
        }
        return zip(expected, actual).map { $0.isNaN || $1.isNaN ? .infinity : abs($0 - $1) }.max()!
    }
}

/// The engine's own decode batches take the recorded path: requests batched by the scheduler
/// (prefill chunks, then decode steps of 6 and then 3 sequences as the shorter requests finish)
/// generate exactly what they generate on a plain CPU backend.
@Suite struct DecodeGraphEngineTests {
    static let prompts = [
        "Once upon a time", "Lily saw a big red ball", "The cat", "One day, Tim went to the park with his mom",
        "There was a little bird", "Sam and Ben",
    ]

    static func generate(backend: any Backend) async throws -> [[Int]] {
        let llm = try LLM(
            model: Stories260KTests.ggufPath, backend: backend, options: EngineOptions(kvCacheBytes: 8 << 20, maxModelLen: 256))
        // Half the requests stop early, so the batch shrinks from 6 sequences to 3.
        async let short = llm.generate(Array(prompts.prefix(3)), sampling: SamplingParams(temperature: 0, maxTokens: 6, ignoreEOS: true))
        async let long = llm.generate(Array(prompts.suffix(3)), sampling: SamplingParams(temperature: 0, maxTokens: 20, ignoreEOS: true))
        return try await (short + long).map { $0.samples[0].tokenIDs }
    }

    @Test func engineDecodesThroughRecordingsLikeTheEagerBackend() async throws {
        let recorder = RecordingCPUBackend(cpu: CPUBackend(threads: 1))
        let replayed = try await Self.generate(backend: recorder)
        let eager = try await Self.generate(backend: CPUBackend(threads: 1))
        #expect(replayed == eager)
        #expect(eager.map(\.count) == [6, 6, 6, 20, 20, 20])
        #expect(recorder.recordings >= 1 && recorder.replays >= 10, "\(recorder.recordings) recordings, \(recorder.replays) replays")
        #expect(recorder.faults == [])
    }

    /// The engine records every decode size it can need (up to max_num_seqs = 12: 16, 8, 4, 2
    /// and 1) while it starts, so the requests' decode steps only replay.
    @Test func warmUpRecordsEveryDecodeSizeBeforeTheFirstRequest() async throws {
        let recorder = RecordingCPUBackend(cpu: CPUBackend(threads: 1))
        let llm = try LLM(
            model: Stories260KTests.ggufPath, backend: recorder,
            options: EngineOptions(kvCacheBytes: 8 << 20, maxModelLen: 256, maxNumSeqs: 12))
        #expect(recorder.recordings == 5 && recorder.replays == 0, "\(recorder.recordings) recordings, \(recorder.replays) replays")
        let outputs = try await llm.generate(Self.prompts, sampling: SamplingParams(temperature: 0, maxTokens: 8, ignoreEOS: true))
        #expect(outputs.map(\.samples[0].tokenIDs.count) == [8, 8, 8, 8, 8, 8])
        #expect(recorder.recordings == 5 && recorder.replays >= 7, "\(recorder.recordings) recordings, \(recorder.replays) replays")
        #expect(recorder.faults == [])
    }
}
