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
}
