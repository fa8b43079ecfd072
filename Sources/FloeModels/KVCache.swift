import FloeTensor

/// The paged key/value cache of one model: per layer, `blockCount · blockSize` token slots of
/// `[kvHeads, headDim]` keys and values (this rank's KV heads only).
public struct KVCache: Sendable {
    public let keys: [Tensor]
    public let values: [Tensor]
    public let blockSize: Int
    public let blockCount: Int

    public init(keys: [Tensor], values: [Tensor], blockSize: Int, blockCount: Int) {
        self.keys = keys
        self.values = values
        self.blockSize = blockSize
        self.blockCount = blockCount
    }

    public var slotCount: Int { blockSize * blockCount }
}
