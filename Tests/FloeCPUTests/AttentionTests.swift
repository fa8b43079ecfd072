import Foundation
import FloeTensor
import Testing
@testable import FloeCPU

@Suite struct AttentionTests {
    struct Case: Sendable, CustomStringConvertible {
        var heads: Int, kvHeads: Int, hd: Int, blockSize: Int
        /// (query tokens, context length) per sequence.
        var sequences: [(Int, Int)]
        var description: String { "h\(heads)/kv\(kvHeads) hd\(hd) block\(blockSize) \(sequences)" }
    }

    static let cases: [Case] = [
        Case(heads: 2, kvHeads: 2, hd: 16, blockSize: 4, sequences: [(5, 5)]),  // plain prefill
        Case(heads: 4, kvHeads: 2, hd: 20, blockSize: 4, sequences: [(1, 9), (3, 3), (4, 11)]),  // GQA, decode + chunk
        Case(heads: 9, kvHeads: 3, hd: 64, blockSize: 16, sequences: [(40, 70), (1, 33)]),  // SmolLM-like heads
        Case(heads: 14, kvHeads: 2, hd: 64, blockSize: 8, sequences: [(2, 100)]),  // Qwen-like grouping
        Case(heads: 4, kvHeads: 1, hd: 32, blockSize: 8, sequences: [(17, 20), (1, 5)]),  // MQA; a 1-token query block
    ]

    @Test(arguments: cases, [1, 2])
    func attentionMatchesReference(config: Case, threads: Int) {
        var rng = SeededRandom(seed: 31)
        // Non-contiguous, shuffled block tables drawn from one pool of blocks.
        var freeBlocks = Array(0..<64).shuffled(using: &rng)
        var sequences: [AttentionMetadata.Sequence] = []
        var row = 0
        for (tokens, context) in config.sequences {
            let blocks = (context + config.blockSize - 1) / config.blockSize
            let table = freeBlocks.prefix(blocks).map(Int32.init)
            freeBlocks.removeFirst(blocks)
            sequences.append(.init(queryTokens: row..<row + tokens, contextLength: context, blockTable: table))
            row += tokens
        }
        let metadata = AttentionMetadata(sequences: sequences, blockSize: config.blockSize)
        let slots = 64 * config.blockSize, n = row
        // Random cache contents everywhere stand in for earlier steps' keys and values.
        let keyCache = TestData.tensor([slots, config.kvHeads, config.hd], &rng, range: -2...2)
        let valueCache = TestData.tensor([slots, config.kvHeads, config.hd], &rng)
        let key = TestData.tensor([n, config.kvHeads, config.hd], &rng, range: -2...2)
        let value = TestData.tensor([n, config.kvHeads, config.hd], &rng)
        let query = TestData.tensor([n, config.heads, config.hd], &rng, range: -2...2)
        let backend = CPUBackend(threads: threads)
        backend.storeKV(key: key, value: value, keyCache: keyCache, valueCache: valueCache, metadata: metadata)
        // The new tokens' keys must now sit at their slots.
        let width = config.kvHeads * config.hd
        for (i, slot) in metadata.slotMapping.enumerated() {
            let stored = Array(keyCache.floats[Int(slot) * width..<(Int(slot) + 1) * width])
            #expect(stored == Array(key.floats[i * width..<(i + 1) * width]))
        }
        let fast = Tensor(zeros: query.shape), oracle = Tensor(zeros: query.shape)
        let scale = 1 / Float(config.hd).squareRoot()
        ReferenceOps.attention(query: query, keyCache: keyCache, valueCache: valueCache, metadata: metadata, scale: scale, into: oracle)
        backend.attention(query: query, keyCache: keyCache, valueCache: valueCache, metadata: metadata, scale: scale, into: fast)
        #expect(relativeError(fast.floats, oracle.floats) < 1e-5, "\(config)")
        // The other instruction-set variants (position chunks of 8 and 1 instead of 16).
        for level in KernelLevel.allCases where level < KernelLevel.supported {
            withKernelLevel(level) {
                backend.attention(query: query, keyCache: keyCache, valueCache: valueCache, metadata: metadata, scale: scale, into: fast)
            }
            #expect(relativeError(fast.floats, oracle.floats) < 1e-5, "\(config) at \(level)")
        }
    }

    /// A step padded to a recorded size (`fixedLayout`): its padding rows (slot -1, a context of
    /// 0, no blocks) store nothing and attend to nothing, and the real rows are unchanged.
    @Test(arguments: [1, 2])
    func paddingRowsStoreNothingAndSeeNothing(threads: Int) {
        var rng = SeededRandom(seed: 7)
        let heads = 4, kvHeads = 2, hd = 16, blockSize = 4, n = 4
        let real: [AttentionMetadata.Sequence] = [
            .init(queryTokens: 0..<1, contextLength: 9, blockTable: [5, 2, 7]),
            .init(queryTokens: 1..<2, contextLength: 5, blockTable: [0, 3]),
        ]
        let unpadded = AttentionMetadata(sequences: real, blockSize: blockSize)
        var padded = unpadded
        padded.sequences += [.init(queryTokens: 2..<3, contextLength: 0, blockTable: []), .init(queryTokens: 3..<4, contextLength: 0, blockTable: [])]
        padded.slotMapping += [-1, -1]
        padded.fixedLayout = .init(maxTokens: 8, blocksPerSequence: 2)

        let keyCache = TestData.tensor([8 * blockSize, kvHeads, hd], &rng), valueCache = TestData.tensor([8 * blockSize, kvHeads, hd], &rng)
        let query = TestData.tensor([n, heads, hd], &rng), key = TestData.tensor([n, kvHeads, hd], &rng)
        let value = TestData.tensor([n, kvHeads, hd], &rng)
        let positions = Tensor(int32: [8, 4, 0, 0], shape: [n])
        let frequencies = Tensor((0..<(hd / 2)).map { 1 / Float(pow(10000, Double(2 * $0) / Double(hd))) }, shape: [hd / 2])
        func copy(_ t: Tensor) -> Tensor { Tensor(t.floats, shape: t.shape) }
        let backend = CPUBackend(threads: threads)

        // The padded step against the same step without its padding rows.
        let (paddedKeys, paddedValues, paddedQuery) = (copy(keyCache), copy(valueCache), copy(query))
        backend.ropeAndStoreKV(
            query: paddedQuery, key: copy(key), value: value, positions: positions, inverseFrequencies: frequencies,
            style: .halves, keyCache: paddedKeys, valueCache: paddedValues, metadata: padded)
        let (keys, values, realQuery) = (copy(keyCache), copy(valueCache), copy(query.slice(0..<2)))
        backend.ropeAndStoreKV(
            query: realQuery, key: copy(key.slice(0..<2)), value: value.slice(0..<2), positions: positions.slice(0..<2),
            inverseFrequencies: frequencies, style: .halves, keyCache: keys, valueCache: values, metadata: unpadded)
        #expect(paddedKeys.floats == keys.floats && paddedValues.floats == values.floats)

        let width = heads * hd
        let expected = Tensor(zeros: [2, heads, hd])
        backend.attention(query: realQuery, keyCache: keys, valueCache: values, metadata: unpadded, scale: 0.25, into: expected)
        let fast = Tensor([Float](repeating: .nan, count: n * width), shape: [n, heads, hd])
        backend.attention(query: paddedQuery, keyCache: paddedKeys, valueCache: paddedValues, metadata: padded, scale: 0.25, into: fast)
        #expect(Array(fast.floats[0..<(2 * width)]) == expected.floats)
        #expect(fast.floats[(2 * width)...].allSatisfy { $0 == 0 })

        let oracle = Tensor([Float](repeating: .nan, count: n * width), shape: [n, heads, hd])
        ReferenceOps.attention(query: paddedQuery, keyCache: paddedKeys, valueCache: paddedValues, metadata: padded, scale: 0.25, into: oracle)
        #expect(relativeError(Array(oracle.floats[0..<(2 * width)]), expected.floats) < 1e-5)
        #expect(oracle.floats[(2 * width)...].allSatisfy { $0 == 0 })
        let referenceKeys = copy(keyCache), referenceValues = copy(valueCache)
        ReferenceOps.storeKV(key: key, value: value, keyCache: referenceKeys, valueCache: referenceValues, metadata: padded)
        ReferenceOps.storeKV(key: key.slice(0..<2), value: value.slice(0..<2), keyCache: keyCache, valueCache: valueCache, metadata: unpadded)
        #expect(referenceKeys.floats == keyCache.floats && referenceValues.floats == valueCache.floats)
    }

    /// Without a fixed layout a sequence with no context is still refused (it is no padding row).
    @Test func contextShorterThanQueriesIsRefusedOutsideAFixedLayout() async {
        await #expect(processExitsWith: .failure) {
            let metadata = AttentionMetadata(
                sequences: [.init(queryTokens: 0..<1, contextLength: 0, blockTable: [])], slotMapping: [-1], blockSize: 4)
            let query = Tensor(zeros: [1, 2, 8]), cache = Tensor(zeros: [4, 2, 8])
            CPUBackend(threads: 1).attention(query: query, keyCache: cache, valueCache: cache, metadata: metadata, scale: 1, into: Tensor(zeros: [1, 2, 8]))
        }
    }
}
