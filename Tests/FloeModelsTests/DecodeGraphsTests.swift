import FloeTensor
import Testing

@testable import FloeModels

/// Which steps replay recorded graphs, and how a step is padded to a recorded size (the GPU
/// check runs the replays themselves: `floe cuda-check`).
@Suite struct DecodeGraphsTests {
    /// `counts[i]` query tokens for sequence i, logits for every row in order.
    static func batch(queries counts: [Int], logitRows: [Int]? = nil) -> ForwardBatch {
        var sequences: [AttentionMetadata.Sequence] = []
        var row = 0
        for (index, count) in counts.enumerated() {
            sequences.append(.init(queryTokens: row..<(row + count), contextLength: 10 + index % 5, blockTable: [Int32(index)]))
            row += count
        }
        let attention = AttentionMetadata(sequences: sequences, blockSize: 16)
        return ForwardBatch(
            tokens: (0..<row).map { Int32($0 + 5) }, positions: sequences.flatMap { s in (0..<s.queryTokens.count).map { Int32(s.contextLength - s.queryTokens.count + $0) } },
            attention: attention, logitRows: logitRows ?? Array(0..<row))
    }

    @Test func decodeStepsTakeTheNextRecordedSize() {
        #expect(DecodeGraphs<Int>.recordableSize(for: Self.batch(queries: [1])) == 1)
        #expect(DecodeGraphs<Int>.recordableSize(for: Self.batch(queries: [1, 1, 1])) == 4)
        #expect(DecodeGraphs<Int>.recordableSize(for: Self.batch(queries: Array(repeating: 1, count: 12))) == 16)
        #expect(DecodeGraphs<Int>.recordableSize(for: Self.batch(queries: Array(repeating: 1, count: 256))) == 256)
    }

    @Test func otherStepsRunEagerly() {
        // A prefill chunk, a verification of drafts, too many sequences, logits of some rows only.
        #expect(DecodeGraphs<Int>.recordableSize(for: Self.batch(queries: [1, 5])) == nil)
        #expect(DecodeGraphs<Int>.recordableSize(for: Self.batch(queries: [3])) == nil)
        #expect(DecodeGraphs<Int>.recordableSize(for: Self.batch(queries: Array(repeating: 1, count: 257))) == nil)
        #expect(DecodeGraphs<Int>.recordableSize(for: Self.batch(queries: [1, 1], logitRows: [1])) == nil)
        #expect(DecodeGraphs<Int>.recordableSize(for: Self.batch(queries: [1, 1], logitRows: [1, 0])) == nil)
    }

    @Test func paddingRowsStoreNothingAndSeeNothing() {
        let original = Self.batch(queries: [1, 1, 1])
        let layout = AttentionMetadata.FixedLayout(maxTokens: 8, blocksPerSequence: 8)
        let padded = DecodeGraphs<Int>.padded(original, to: 4, layout: layout)
        #expect(padded.tokens == original.tokens + [0])
        #expect(padded.positions == original.positions + [0])
        #expect(padded.logitRows == [0, 1, 2, 3])
        #expect(padded.attention.fixedLayout == layout)
        #expect(padded.attention.slotMapping == original.attention.slotMapping + [-1])
        #expect(Array(padded.attention.sequences.prefix(3)) == original.attention.sequences)
        let extra = padded.attention.sequences[3]
        #expect(extra.queryTokens == 3..<4 && extra.contextLength == 0 && extra.blockTable.isEmpty)
        #expect(padded.attention.tokenCount == 4)
    }
}
