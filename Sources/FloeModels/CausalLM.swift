import FloeTensor

/// One step's flat batch: the tokens of every scheduled sequence, back to back.
public struct ForwardBatch: Sendable {
    public var tokens: [Int32]
    public var positions: [Int32]
    public var attention: AttentionMetadata
    /// Rows of the batch whose logits are needed (usually each sequence's last token).
    public var logitRows: [Int]

    public init(tokens: [Int32], positions: [Int32], attention: AttentionMetadata, logitRows: [Int]) {
        self.tokens = tokens
        self.positions = positions
        self.attention = attention
        self.logitRows = logitRows
    }

    /// A batch holding one sequence's `tokens`, which continue a context of `cachedCount`
    /// tokens stored in `blockTable`; logits for the last token only, or for every token.
    public static func single(
        tokens: [Int32], cachedCount: Int, blockTable: [Int32], blockSize: Int, allLogits: Bool = false
    ) -> ForwardBatch {
        let sequence = AttentionMetadata.Sequence(
            queryTokens: 0..<tokens.count, contextLength: cachedCount + tokens.count, blockTable: blockTable)
        return ForwardBatch(
            tokens: tokens,
            positions: (0..<tokens.count).map { Int32(cachedCount + $0) },
            attention: AttentionMetadata(sequences: [sequence], blockSize: blockSize),
            logitRows: allLogits ? Array(0..<tokens.count) : [tokens.count - 1])
    }
}

/// A decoder-only language model as the runner sees it.
///
/// Instances keep scratch buffers between calls, so one model is driven by one thread at a time
/// (the engine loop).
public protocol CausalLM: AnyObject, Sendable {
    /// The device the model's weights and activations live on.
    var backend: any Backend { get }
    var vocabularySize: Int { get }
    var maxPositions: Int { get }
    /// Weight bytes one decode step reads (every layer, the head, one embedding row): the
    /// numerator of the memory-bandwidth bound on decode speed.
    var weightBytesPerToken: Int { get }
    /// A zeroed paged KV cache of `blockCount` blocks of `blockSize` tokens.
    func makeKVCache(blockCount: Int, blockSize: Int) -> KVCache
    /// Runs the batch, writing its keys/values into `cache`; returns logits
    /// `[batch.logitRows.count, vocabularySize]` as f32.
    func forward(_ batch: ForwardBatch, cache: KVCache) throws -> Tensor
}
