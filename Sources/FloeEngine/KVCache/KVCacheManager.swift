/// Which KV blocks each request owns, with hashed full-block prefix caching (vLLM V1's three
/// verbs: `computedBlocks(for:)`, `allocateSlots(for:newTokenCount:newComputedBlocks:)`,
/// `free(_:)`).
///
/// A full block is registered in the cache as soon as the step that writes it is scheduled,
/// not when it finishes: a request scheduled later in the *same* step can then hit it. That is
/// how the children of an `n > 1` request compute their shared prompt once. It relies on the
/// runner writing a layer's keys/values for the whole batch before that layer's attention
/// reads them (as `storeKV` then `attention` does), and on `free(_:contentIsValid: false)` for
/// steps that fail, so content that was never written is never served.
public struct KVCacheManager: Sendable {
    public let blockSize: Int
    private var pool: BlockPool
    private var blocksByRequest: [RequestID: [BlockID]] = [:]
    /// Chained hashes of each request's full blocks, computed once and extended as it grows.
    private var hashesByRequest: [RequestID: [BlockHash]] = [:]
    /// How many of a request's leading blocks are registered in the cache.
    private var registeredCounts: [RequestID: Int] = [:]
    public private(set) var prefixCacheStats = PrefixCacheStats()

    public init(blockCount: Int, blockSize: Int = 16, enablesPrefixCaching: Bool = true) {
        precondition(blockSize > 0, "block size must be positive")
        self.blockSize = blockSize
        pool = BlockPool(blockCount: blockCount, isCachingEnabled: enablesPrefixCaching)
    }

    public var totalBlockCount: Int { pool.blockCount }
    public var freeBlockCount: Int { pool.freeBlockCount }
    public var isPrefixCachingEnabled: Bool { pool.isCachingEnabled }
    /// Fraction of blocks held by requests.
    public var usage: Double { pool.usage }

    /// Blocks needed to hold `tokenCount` tokens.
    public func blocksNeeded(forTokens tokenCount: Int) -> Int { (tokenCount + blockSize - 1) / blockSize }

    /// The longest run of leading full blocks of `request`'s tokens that is already cached, and
    /// the number of tokens it covers. Never covers the last token, whose logits the request
    /// needs, so a fully cached prompt still runs at least one token (a whole block when the
    /// prompt ends on a block boundary, as in vLLM). Requests asking for prompt logprobs get no
    /// hit: every prompt position must go through the model.
    public mutating func computedBlocks(for request: Request) -> (blocks: KVCacheBlocks, tokenCount: Int) {
        guard pool.isCachingEnabled, request.params.promptLogprobs == nil, request.tokenCount > 0 else {
            return (.empty, 0)
        }
        let maxHitBlocks = (request.tokenCount - 1) / blockSize
        var hits: [BlockID] = []
        for hash in blockHashes(of: request, count: maxHitBlocks) {
            guard let block = pool.cachedBlock(for: hash) else { break }
            hits.append(block)
        }
        return (KVCacheBlocks(hits), hits.count * blockSize)
    }

    /// Makes room for `newTokenCount` more tokens after `request.numComputedTokens` (plus the
    /// cached `newComputedBlocks`, when the request is being admitted after a lookup). Returns
    /// the freshly allocated blocks, or nil, changing nothing, when too few blocks are free:
    /// the scheduler then preempts or waits.
    ///
    /// Pass `newComputedBlocks` (even `.empty`) exactly once per admission; it is what the
    /// prefix-cache statistics count.
    public mutating func allocateSlots(
        for request: Request, newTokenCount: Int, newComputedBlocks: KVCacheBlocks? = nil
    ) -> KVCacheBlocks? {
        let existing = blocksByRequest[request.id] ?? []
        let hits = newComputedBlocks?.blockIDs ?? []
        precondition(hits.isEmpty || existing.isEmpty, "cache hits are only taken when a request is admitted")
        let computedTokens = request.numComputedTokens + hits.count * blockSize
        let requiredBlocks = blocksNeeded(forTokens: computedTokens + newTokenCount)
        let freshCount = max(requiredBlocks - existing.count - hits.count, 0)
        // Hit blocks that sit in the free queue stop being allocatable once touched.
        let freeHits = hits.count(where: { pool.referenceCount(of: $0) == 0 })
        guard freshCount <= pool.freeBlockCount - freeHits else { return nil }

        if newComputedBlocks != nil {
            prefixCacheStats.queriedTokens += request.tokenCount
            prefixCacheStats.hitTokens += hits.count * blockSize
        }
        pool.touch(hits)
        let fresh = pool.allocate(freshCount)!
        if !hits.isEmpty || !fresh.isEmpty { blocksByRequest[request.id, default: []] += hits + fresh }
        if !hits.isEmpty { registeredCounts[request.id] = hits.count }

        // Register the blocks this step fills completely (their tokens are all known now).
        let fullBlocks = min(computedTokens + newTokenCount, request.tokenCount) / blockSize
        registerFullBlocks(of: request, upTo: fullBlocks)
        return KVCacheBlocks(fresh)
    }

    /// Returns all of a request's blocks. Its tail blocks are freed first so that, among its
    /// cached blocks, the tail is evicted before the more shareable head. When the content was
    /// never written (the step failed), blocks no one else holds are dropped from the cache.
    public mutating func free(_ id: RequestID, contentIsValid: Bool = true) {
        guard let blocks = blocksByRequest.removeValue(forKey: id) else { return }
        hashesByRequest[id] = nil
        registeredCounts[id] = nil
        for block in blocks.reversed() {
            if !contentIsValid, pool.referenceCount(of: block) == 1 { pool.uncache(block) }
            pool.release(CollectionOfOne(block))
        }
    }

    /// Returns the request's blocks past the first `blocksNeeded(forTokens: tokenCount)`: those
    /// that held only rejected draft tokens. They were never registered in the prefix cache
    /// (only blocks full of known tokens are), so they go straight back to the free queue.
    public mutating func releaseBlocks(of id: RequestID, beyondTokens tokenCount: Int) {
        guard var blocks = blocksByRequest[id] else { return }
        let keep = blocksNeeded(forTokens: tokenCount)
        guard blocks.count > keep else { return }
        precondition((registeredCounts[id] ?? 0) <= keep, "a block past the known tokens was registered in the cache")
        let extra = blocks[keep...]
        blocks.removeSubrange(keep...)
        blocksByRequest[id] = blocks
        for block in extra.reversed() { pool.release(CollectionOfOne(block)) }
    }

    /// The request's physical blocks in position order, as runners index them.
    public func blockTable(for id: RequestID) -> [Int32] {
        (blocksByRequest[id] ?? []).map(\.rawValue)
    }

    public func blocks(of id: RequestID) -> KVCacheBlocks { KVCacheBlocks(blocksByRequest[id] ?? []) }

    public func referenceCount(of block: BlockID) -> Int { pool.referenceCount(of: block) }

    /// Drops every statistic counted so far (e.g. at a metrics interval).
    public mutating func resetPrefixCacheStats() { prefixCacheStats = PrefixCacheStats() }

    private mutating func registerFullBlocks(of request: Request, upTo fullBlocks: Int) {
        guard pool.isCachingEnabled else { return }
        let registered = registeredCounts[request.id] ?? 0
        guard fullBlocks > registered, let blocks = blocksByRequest[request.id] else { return }
        let hashes = blockHashes(of: request, count: fullBlocks)
        for index in registered..<fullBlocks { pool.cache(blocks[index], as: hashes[index]) }
        registeredCounts[request.id] = fullBlocks
    }

    /// The chained hashes of the request's first `count` full blocks.
    private mutating func blockHashes(of request: Request, count: Int) -> ArraySlice<BlockHash> {
        var hashes = hashesByRequest[request.id] ?? []
        if hashes.count < count {
            hashes.reserveCapacity(count)
            for index in hashes.count..<count {
                let tokens = request.tokens(in: (index * blockSize)..<((index + 1) * blockSize))
                hashes.append(BlockHash(parent: hashes.last, tokens: tokens))
            }
            hashesByRequest[request.id] = hashes
        }
        return hashes[..<count]
    }
}
