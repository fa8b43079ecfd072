import Testing
@testable import FloeEngine

@Suite struct SuffixTreeTests {
    @Test func pathDraftFollowsTheMostFrequentContinuation() throws {
        var tree = SuffixTree(maxDepth: 64)
        tree.extend(0, with: [1, 2, 3, 4, 1, 2, 3, 5, 1, 2, 3, 4] as [Int32])
        #expect(tree.integrityViolation() == nil)
        // "2" (match 1) allows one token; "1 2" (match 2) allows two: 3, then 4 (2 of 3 suffixes).
        let draft = tree.speculate([9, 1, 2] as [Int32], maxSpecTokens: 8, maxSpecFactor: 1, maxSpecOffset: 0, minTokenProbability: 0.1)
        #expect(draft.tokenIDs == [3, 4])
        #expect(draft.probabilities == [1, Float(2) / 3])
        #expect(draft.parents == [-1, 0])
        #expect(draft.matchLength == 2)
        // A longer allowance continues along the 1-2-3-4 path until the sequence ends.
        let long = tree.speculate([9, 1, 2] as [Int32], maxSpecTokens: 8, maxSpecFactor: 4, maxSpecOffset: 0, minTokenProbability: 0.1)
        #expect(long.tokenIDs == [3, 4, 1, 2, 3, 5, 1, 2])
        // min_token_prob cuts the path once the probability falls below it.
        let strict = tree.speculate([9, 1, 2] as [Int32], maxSpecTokens: 8, maxSpecFactor: 4, maxSpecOffset: 0, minTokenProbability: 0.9)
        #expect(strict.tokenIDs == [3])
    }

    @Test func equalCountsKeepInsertionOrderAndTreeDraftsBranch() {
        var tree = SuffixTree(maxDepth: 16)
        tree.extend(7, with: [5, 6, 7, 5, 6, 8] as [Int32])
        // After "6" come 7 and 8 once each: the child inserted first heads the list.
        let draft = tree.speculate([5, 6] as [Int32], maxSpecTokens: 1, maxSpecFactor: 1, maxSpecOffset: 0, minTokenProbability: 0)
        #expect(draft.tokenIDs == [7])
        #expect(draft.matchLength == 1)
        var branching = SuffixTree(maxDepth: 16)
        branching.extend(1, with: [5, 6, 7, 5, 6, 7, 5, 6, 8] as [Int32])
        let treeDraft = branching.speculate(
            [5, 6] as [Int32], maxSpecTokens: 20, maxSpecFactor: 20, maxSpecOffset: 0, minTokenProbability: 0.1,
            usesTreeSpeculation: true)
        #expect(treeDraft.tokenIDs.first == 7 && treeDraft.probabilities.first == Float(2) / 3)
        let eight = treeDraft.tokenIDs.firstIndex(of: 8)
        #expect(eight != nil)
        if let eight { #expect(treeDraft.parents[eight] == -1) }
        #expect(treeDraft.parents.allSatisfy { $0 < Int32(treeDraft.tokenIDs.count) })
    }

    @Test func randomAppendsAndRemovalsKeepEveryInvariant() {
        var generator = SeededGenerator(seed: 42)
        for depth in [1, 3, 8] {
            var tree = SuffixTree(maxDepth: depth)
            var live: [Int32] = []
            for step in 0..<1500 {
                let action = generator.next() % 10
                if action < 7 || live.isEmpty {
                    let id = live.isEmpty || generator.next() % 4 == 0 ? Int32(step) : live[Int(generator.next() % UInt64(live.count))]
                    if !live.contains(id) { live.append(id) }
                    // Tiny alphabets make repeats, splits, fusions and equal-count siblings common.
                    let alphabet = UInt64(2 + generator.next() % 3)
                    let tokens = (0..<Int(1 + generator.next() % 6)).map { _ in Int32(generator.next() % alphabet) }
                    tree.extend(id, with: tokens)
                } else {
                    let index = Int(generator.next() % UInt64(live.count))
                    tree.remove(live.remove(at: index))
                }
                if step % 25 == 0 { #expect(tree.integrityViolation() == nil, "depth \(depth) step \(step)") }
            }
            #expect(tree.integrityViolation() == nil)
            for id in live { tree.remove(id) }
            #expect(tree.integrityViolation() == nil)
            #expect(tree.nodeCount == 1)
            #expect(tree.sequenceCount == 0)
        }
    }

    @Test func removingEverySequenceLeavesOnlyTheRoot() {
        var tree = SuffixTree(maxDepth: 4)
        tree.extend(1, with: [1, 1, 1, 1, 1, 1] as [Int32])
        tree.extend(2, with: [1, 1, 2, 1, 1, 2] as [Int32])
        #expect(tree.integrityViolation() == nil)
        tree.remove(1)
        #expect(tree.integrityViolation() == nil)
        tree.remove(2)
        #expect(tree.integrityViolation() == nil)
        #expect(tree.nodeCount == 1)
    }
}

@Suite struct SuffixDecodingCacheTests {
    @Test func evictsOldestResponsesFirstAndReusesRequestIDs() throws {
        var cache = try SuffixDecodingCache<Int>(maxTreeDepth: 8, maxCachedRequests: 2)
        for id in 0..<3 {
            try cache.startRequest(id, prompt: [1, 2] as [Int32])
            cache.addActiveResponse(id, tokens: [Int32(10 + id), 20, 30] as [Int32])
            cache.stopRequest(id)
        }
        #expect(!cache.isCached(0) && cache.isCached(1) && cache.isCached(2))
        #expect(cache.globalTree.sequenceCount == 2)
        // Reusing id 1 replaces its old response and makes it the newest.
        try cache.startRequest(1, prompt: [3] as [Int32])
        cache.addActiveResponse(1, tokens: [40, 41] as [Int32])
        try cache.startRequest(5, prompt: [3] as [Int32])
        #expect(!cache.isCached(2) && cache.isCached(1) && cache.isCached(5))
        #expect(cache.integrityViolation() == nil)
        #expect(throws: SpeculativeConfigError.self) { try cache.startRequest(1, prompt: [1] as [Int32]) }
    }

    @Test func globalTreeServesOtherRequestsAndLocalWinsTies() throws {
        var cache = try SuffixDecodingCache<String>(maxTreeDepth: 16)
        try cache.startRequest("a", prompt: [1, 2, 3] as [Int32])
        cache.addActiveResponse("a", tokens: [7, 8, 9, 10] as [Int32])
        try cache.startRequest("b", prompt: [5] as [Int32])
        // "b" never saw 7 8 9 10, but the global tree holds "a"'s running response.
        let draft = cache.speculate("b", context: [5, 7, 8] as [Int32], maxSpecTokens: 4, maxSpecFactor: 2)
        #expect(draft.tokenIDs == [9, 10])
        // With no global cache there is nothing to find.
        var local = try SuffixDecodingCache<String>(maxTreeDepth: 16, maxCachedRequests: 0)
        try local.startRequest("a", prompt: [1, 2, 3] as [Int32])
        local.addActiveResponse("a", tokens: [7, 8] as [Int32])
        try local.startRequest("b", prompt: [5] as [Int32])
        #expect(local.speculate("b", context: [5, 7] as [Int32]).tokenIDs.isEmpty)
        #expect(local.speculate("a", context: [2, 3] as [Int32], maxSpecFactor: 4).tokenIDs == [7, 8])
    }

    @Test func memoryStaysBoundedUnderEviction() throws {
        var cache = try SuffixDecodingCache<Int>(maxTreeDepth: 32, maxCachedRequests: 8)
        var generator = SeededGenerator(seed: 7)
        func run(_ ids: Range<Int>) throws {
            for id in ids {
                try cache.startRequest(id, prompt: (0..<50).map { _ in Int32(generator.next() % 500) })
                for _ in 0..<20 { cache.addActiveResponse(id, tokens: (0..<5).map { _ in Int32(generator.next() % 500) }) }
                cache.stopRequest(id)
            }
        }
        try run(0..<40)
        let warm = cache.estimatedMemoryBytes
        try run(40..<400)
        #expect(cache.cachedRequestCount == 8)
        #expect(cache.activeRequestCount == 0)
        // Storage is recycled through free lists: ten times the traffic, not ten times the memory.
        #expect(cache.estimatedMemoryBytes <= warm * 3 / 2, "\(warm) → \(cache.estimatedMemoryBytes)")
        #expect(cache.integrityViolation() == nil)
    }
}
