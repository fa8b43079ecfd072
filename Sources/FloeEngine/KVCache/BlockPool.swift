/// The fixed set of KV blocks: reference counts, the free queue, and the prefix-cache index
/// from content hash to block.
///
/// A free block may still hold cached content: it stays findable by hash until the allocator
/// evicts it (pops it from the free queue front for a new use). Hitting it again takes it off
/// the queue. Blocks with no cached content are freed to the front, so they are reused before
/// any block that could still produce a hit.
struct BlockPool: Sendable {
    let blockCount: Int
    let isCachingEnabled: Bool
    private var referenceCounts: [Int]
    private var hashes: [BlockHash?]
    private var freeQueue: FreeBlockQueue
    private var blocksByHash: [BlockHash: BlockID] = [:]

    init(blockCount: Int, isCachingEnabled: Bool) {
        precondition(blockCount > 0, "a KV cache needs at least one block")
        self.blockCount = blockCount
        self.isCachingEnabled = isCachingEnabled
        referenceCounts = Array(repeating: 0, count: blockCount)
        hashes = Array(repeating: nil, count: blockCount)
        freeQueue = FreeBlockQueue(allOf: blockCount)
    }

    /// Blocks not referenced by any request (some may still hold evictable cached content).
    var freeBlockCount: Int { freeQueue.count }

    /// Fraction of blocks referenced by requests.
    var usage: Double { Double(blockCount - freeQueue.count) / Double(blockCount) }

    func referenceCount(of block: BlockID) -> Int { referenceCounts[block.index] }

    func cachedBlock(for hash: BlockHash) -> BlockID? { blocksByHash[hash] }

    func isCached(_ block: BlockID) -> Bool { hashes[block.index] != nil }

    /// `count` fresh blocks with reference count 1, evicting their old cached content; nil
    /// (and nothing changed) when fewer are free.
    mutating func allocate(_ count: Int) -> [BlockID]? {
        guard count <= freeQueue.count else { return nil }
        return (0..<count).map { _ in
            let block = freeQueue.popFirst()!
            uncache(block)
            referenceCounts[block.index] = 1
            return block
        }
    }

    /// Adds a reference to each block (a prefix-cache hit), taking free ones off the queue.
    mutating func touch(_ blocks: some Sequence<BlockID>) {
        for block in blocks {
            if referenceCounts[block.index] == 0 { freeQueue.remove(block) }
            referenceCounts[block.index] += 1
        }
    }

    /// Drops one reference from each block, in the given order; blocks reaching zero join the
    /// free queue: cached ones at the back (evicted last), others at the front.
    mutating func release(_ blocks: some Sequence<BlockID>) {
        for block in blocks {
            precondition(referenceCounts[block.index] > 0, "\(block) released more often than referenced")
            referenceCounts[block.index] -= 1
            guard referenceCounts[block.index] == 0 else { continue }
            if hashes[block.index] != nil { freeQueue.append(block) } else { freeQueue.prepend(block) }
        }
    }

    /// Registers a full block's content so later requests can hit it. Keeps the first block
    /// registered for a hash; a duplicate stays uncached and is reused first once freed.
    mutating func cache(_ block: BlockID, as hash: BlockHash) {
        guard isCachingEnabled, hashes[block.index] == nil, blocksByHash[hash] == nil else { return }
        hashes[block.index] = hash
        blocksByHash[hash] = block
    }

    /// Forgets a block's cached content (eviction, or content that was never written).
    mutating func uncache(_ block: BlockID) {
        guard let hash = hashes[block.index] else { return }
        hashes[block.index] = nil
        if blocksByHash[hash] == block { blocksByHash[hash] = nil }
    }

    var cachedBlockCount: Int { blocksByHash.count }
}
