import Testing
@testable import FloeEngine

@Suite struct KVCacheManagerTests {
    func admit(_ request: inout Request, into manager: inout KVCacheManager) -> Int? {
        let (hits, hitTokens) = manager.computedBlocks(for: request)
        let count = request.tokenCount - hitTokens
        guard manager.allocateSlots(for: request, newTokenCount: count, newComputedBlocks: hits) != nil else { return nil }
        request.numComputedTokens = request.tokenCount
        return hitTokens
    }

    /// A second identical prompt hits every full block except one holding the last token.
    @Test(arguments: [(40, 32), (32, 16), (16, 0), (15, 0), (33, 32)])
    func identicalPromptHitsAllFullBlocksButTheLastToken(promptLength: Int, expectedHit: Int) throws {
        var manager = KVCacheManager(blockCount: 20)
        var first = makeRequest("a", promptLength: promptLength)
        var second = makeRequest("b", promptLength: promptLength)
        #expect(admit(&first, into: &manager) == 0)
        #expect(try #require(admit(&second, into: &manager)) == expectedHit)
        #expect(manager.prefixCacheStats == PrefixCacheStats(queriedTokens: 2 * promptLength, hitTokens: expectedHit))
        // Shared blocks are the same physical blocks, referenced twice.
        let shared = expectedHit / 16
        #expect(Array(manager.blockTable(for: "a").prefix(shared)) == Array(manager.blockTable(for: "b").prefix(shared)))
        for block in manager.blocks(of: "b").blockIDs.prefix(shared) { #expect(manager.referenceCount(of: block) == 2) }
    }

    @Test func hitsSurviveTheOwnerFinishing() {
        var manager = KVCacheManager(blockCount: 10)
        var first = makeRequest("a", promptLength: 40)
        _ = admit(&first, into: &manager)
        manager.free("a")
        #expect(manager.freeBlockCount == 10)
        var second = makeRequest("b", promptLength: 40)
        #expect(admit(&second, into: &manager) == 32)
    }

    @Test func differentPrefixesDoNotHit() {
        var manager = KVCacheManager(blockCount: 10)
        var first = makeRequest("a", promptLength: 40, seed: 1)
        var second = makeRequest("b", promptLength: 40, seed: 2)
        _ = admit(&first, into: &manager)
        #expect(admit(&second, into: &manager) == 0)
    }

    @Test func disabledCachingNeverHits() {
        var manager = KVCacheManager(blockCount: 10, enablesPrefixCaching: false)
        var first = makeRequest("a", promptLength: 40)
        var second = makeRequest("b", promptLength: 40)
        _ = admit(&first, into: &manager)
        #expect(admit(&second, into: &manager) == 0)
    }

    @Test func promptLogprobsSkipTheCache() {
        var manager = KVCacheManager(blockCount: 10)
        var first = makeRequest("a", promptLength: 40)
        var second = makeRequest("b", promptLength: 40, params: SamplingParams(temperature: 0, promptLogprobs: 1))
        _ = admit(&first, into: &manager)
        #expect(admit(&second, into: &manager) == 0)
    }

    @Test func allocationFailsWithoutChangingAnything() throws {
        var manager = KVCacheManager(blockCount: 4)
        var first = makeRequest("a", promptLength: 48)
        _ = try #require(admit(&first, into: &manager))
        var second = makeRequest("b", promptLength: 40, seed: 3)
        #expect(admit(&second, into: &manager) == nil)
        #expect(manager.freeBlockCount == 1)
        #expect(manager.blockTable(for: "b").isEmpty)
        // Growing into the last free block works; one more token past it does not.
        first.outputTokenIDs = [1]
        #expect(manager.allocateSlots(for: first, newTokenCount: 1)?.count == 1)
        #expect(manager.freeBlockCount == 0)
    }

    @Test func failedContentIsNotServed() {
        var manager = KVCacheManager(blockCount: 10)
        var first = makeRequest("a", promptLength: 40)
        _ = admit(&first, into: &manager)
        manager.free("a", contentIsValid: false)
        var second = makeRequest("b", promptLength: 40)
        #expect(admit(&second, into: &manager) == 0)
    }
}
