import Testing
@testable import FloeEngine

@Suite struct BlockPoolTests {
    @Test func freeQueueSupportsRemovalFromTheMiddle() {
        var queue = FreeBlockQueue(allOf: 5)
        queue.remove(BlockID(2))
        queue.remove(BlockID(0))
        queue.append(BlockID(2))
        queue.prepend(BlockID(0))
        #expect(queue.blocksInEvictionOrder == [0, 1, 3, 4, 2].map { BlockID($0) })
        #expect(queue.count == 5)
        #expect(queue.popFirst() == BlockID(0))
        queue.remove(BlockID(2))
        #expect(queue.blocksInEvictionOrder == [1, 3, 4].map { BlockID($0) })
    }

    @Test func releasedCachedBlocksAreEvictedLeastRecentlyUsedFirst() throws {
        var pool = BlockPool(blockCount: 4, isCachingEnabled: true)
        let blocksAllocation = pool.allocate(4)
        let blocks = try #require(blocksAllocation)
        let hashes = (0..<3).map { BlockHash(parent: nil, tokens: [$0]) }
        for index in 0..<3 { pool.cache(blocks[index], as: hashes[index]) }
        pool.release([blocks[1]])
        pool.release([blocks[0]])
        pool.release([blocks[3]])  // uncached: goes to the front, reused first
        #expect(pool.freeBlockCount == 3)
        let firstAllocation = pool.allocate(1)
        let first = try #require(firstAllocation)
        #expect(first == [blocks[3]])
        let secondAllocation = pool.allocate(1)
        let second = try #require(secondAllocation)
        #expect(second == [blocks[1]])  // the least recently freed cached block
        #expect(pool.cachedBlock(for: hashes[1]) == nil)  // evicted on reuse
        #expect(pool.cachedBlock(for: hashes[0]) == blocks[0])
    }

    @Test func touchingAFreeCachedBlockTakesItOffTheQueue() throws {
        var pool = BlockPool(blockCount: 2, isCachingEnabled: true)
        let blocksAllocation = pool.allocate(2)
        let blocks = try #require(blocksAllocation)
        let hash = BlockHash(parent: nil, tokens: [1, 2])
        pool.cache(blocks[0], as: hash)
        pool.release(blocks)
        pool.touch([blocks[0]])
        #expect(pool.referenceCount(of: blocks[0]) == 1)
        #expect(pool.freeBlockCount == 1)
        #expect(pool.allocate(2) == nil)
        pool.release([blocks[0]])
        #expect(pool.freeBlockCount == 2)
    }

    @Test func chainedHashesDistinguishPrefixes() {
        let a = BlockHash(parent: nil, tokens: [1, 2])
        let b = BlockHash(parent: nil, tokens: [3, 4])
        #expect(BlockHash(parent: a, tokens: [5]) != BlockHash(parent: b, tokens: [5]))
        #expect(BlockHash(parent: a, tokens: [5]) == BlockHash(parent: a, tokens: [5]))
    }
}
