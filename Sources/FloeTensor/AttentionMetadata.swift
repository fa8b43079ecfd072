/// Where each sequence of a flat batch reads and writes its paged KV cache.
///
/// The KV cache is split into blocks of `blockSize` token slots; a sequence's block table lists
/// its blocks in order, so the KV of its position `p` lives in slot
/// `blockTable[p / blockSize] * blockSize + p % blockSize`. The query tokens of a sequence are
/// always the last `queryTokens.count` tokens of its context, which is what makes prefill chunks,
/// decode steps and prefix-cache hits one mechanism.
public struct AttentionMetadata: Sendable, Equatable {
    public struct Sequence: Sendable, Equatable {
        /// This sequence's rows in the flat batch.
        public var queryTokens: Range<Int>
        /// Tokens of context after this step (cached + new).
        public var contextLength: Int
        /// Physical block ids, in position order.
        public var blockTable: [Int32]

        public init(queryTokens: Range<Int>, contextLength: Int, blockTable: [Int32]) {
            self.queryTokens = queryTokens
            self.contextLength = contextLength
            self.blockTable = blockTable
        }
    }

    /// How a step replayed from a recorded graph (`StepGraphRecording`) lays out its metadata:
    /// every sequence has one query token, and the device keeps the metadata of every such step
    /// in one buffer sized for `maxTokens` sequences of up to `blocksPerSequence` blocks, so its
    /// address never changes. Rows of such a batch that only pad it to a recorded size have
    /// slot -1 (nothing stored) and a context of 0 tokens (nothing attended): `isPadding`.
    public struct FixedLayout: Sendable, Equatable {
        public var maxTokens: Int
        public var blocksPerSequence: Int

        public init(maxTokens: Int, blocksPerSequence: Int) {
            self.maxTokens = maxTokens
            self.blocksPerSequence = blocksPerSequence
        }

        public var maxTableEntries: Int { maxTokens * blocksPerSequence }
    }

    public var sequences: [Sequence]
    /// The cache slot of each token of the flat batch.
    public var slotMapping: [Int32]
    public var blockSize: Int
    /// Set for steps that replay a recorded graph.
    public var fixedLayout: FixedLayout?

    public init(sequences: [Sequence], slotMapping: [Int32], blockSize: Int) {
        self.sequences = sequences
        self.slotMapping = slotMapping
        self.blockSize = blockSize
    }

    /// Metadata for sequences whose blocks are given, computing every token's slot.
    public init(sequences: [Sequence], blockSize: Int) {
        var slots: [Int32] = []
        for sequence in sequences {
            let first = sequence.contextLength - sequence.queryTokens.count
            for position in first..<sequence.contextLength {
                let block = sequence.blockTable[position / blockSize]
                slots.append(block * Int32(blockSize) + Int32(position % blockSize))
            }
        }
        self.init(sequences: sequences, slotMapping: slots, blockSize: blockSize)
    }

    public var tokenCount: Int { slotMapping.count }

    /// Whether `sequence` only pads a recorded step (`fixedLayout`) to its size: one query token
    /// and a context of 0 tokens (its slot is -1). It stores nothing and attends to nothing (its
    /// output is zeros) on every backend. Without a fixed layout such a sequence is invalid.
    public func isPadding(_ sequence: Sequence) -> Bool {
        fixedLayout != nil && sequence.contextLength == 0 && sequence.queryTokens.count == 1
    }
}
