/// Arctic's `SuffixDecodingCache` (spec §5.4): a local suffix tree per active request (its
/// prompt and output) and one global tree of the outputs of cached requests — running ones
/// included, appended as they decode — evicted first-in first-out by request count.
///
/// `Key` is the caller's request id (engine request ids; integers in the simulator).
public struct SuffixDecodingCache<Key: Hashable & Sendable>: Sendable {
    public let maxTreeDepth: Int
    /// Most responses kept in the global tree: -1 unlimited, 0 no global tree.
    public let maxCachedRequests: Int
    public private(set) var globalTree: SuffixTree
    private var localTrees: [Key: SuffixTree] = [:]
    private var sequenceIDs: [Key: Int32] = [:]
    private var owners: [Int32: Key] = [:]
    /// Cached responses in insertion order; entries whose key no longer maps to that sequence
    /// id are stale and skipped (removal from the middle stays O(1)).
    private var insertionOrder: [(key: Key, sequence: Int32)] = []
    private var orderStart = 0
    private var nextSequenceID: Int32 = 0

    public init(maxTreeDepth: Int = 64, maxCachedRequests: Int = -1) throws(SpeculativeConfigError) {
        guard maxTreeDepth > 0 else { throw .invalid("suffix_cache_max_depth must be positive, got \(maxTreeDepth)") }
        guard maxCachedRequests >= -1, maxCachedRequests <= Int(Int32.max) else {
            throw .invalid("suffix_cache_max_requests must be -1 (unlimited) or in 0...\(Int32.max), got \(maxCachedRequests)")
        }
        self.maxTreeDepth = maxTreeDepth
        self.maxCachedRequests = maxCachedRequests
        globalTree = SuffixTree(maxDepth: maxTreeDepth)
    }

    public var activeRequestCount: Int { localTrees.count }
    public var cachedRequestCount: Int { sequenceIDs.count }
    public func isActive(_ key: Key) -> Bool { localTrees[key] != nil }
    public func isCached(_ key: Key) -> Bool { sequenceIDs[key] != nil }

    /// Starts a request: its prompt goes into a new local tree, and (with a global tree) a
    /// fresh slot for its response is allocated, evicting the oldest cached responses beyond
    /// `maxCachedRequests` and any earlier response cached under the same key.
    public mutating func startRequest(_ key: Key, prompt: some Collection<Int32>) throws(SpeculativeConfigError) {
        guard localTrees[key] == nil else { throw .invalid("suffix cache: request \(key) is already active") }
        var tree = SuffixTree(maxDepth: maxTreeDepth)
        tree.extend(0, with: prompt)
        localTrees[key] = tree
        guard maxCachedRequests != 0 else { return }
        if sequenceIDs[key] != nil { evictCachedResponse(key) }
        allocateSequence(for: key)
    }

    /// The local tree goes; the response stays in the global tree until evicted.
    public mutating func stopRequest(_ key: Key) {
        localTrees[key] = nil
    }

    /// Appends generated tokens to the request's local tree and, while cached, its response.
    public mutating func addActiveResponse(_ key: Key, tokens: some Collection<Int32>) {
        guard localTrees[key] != nil else { return }
        localTrees[key]!.extend(0, with: tokens)
        if let sequence = sequenceIDs[key] { globalTree.extend(sequence, with: tokens) }
    }

    public mutating func evictCachedResponse(_ key: Key) {
        guard let sequence = sequenceIDs.removeValue(forKey: key) else { return }
        owners[sequence] = nil
        globalTree.remove(sequence)
    }

    /// The better of the local and global drafts (local wins ties) for the last
    /// `maxTreeDepth` tokens of `context`.
    public func speculate(
        _ key: Key, context: some RandomAccessCollection<Int32>, maxSpecTokens: Int? = nil, maxSpecFactor: Float = 1,
        maxSpecOffset: Float = 0, minTokenProbability: Float = 0.1, usesTreeSpeculation: Bool = false
    ) -> SuffixDraft {
        guard let local = localTrees[key] else { return SuffixDraft() }
        let tail = context.suffix(maxTreeDepth)
        let limit = maxSpecTokens ?? maxTreeDepth
        let first = local.speculate(
            tail, maxSpecTokens: limit, maxSpecFactor: maxSpecFactor, maxSpecOffset: maxSpecOffset,
            minTokenProbability: minTokenProbability, usesTreeSpeculation: usesTreeSpeculation)
        let second = globalTree.speculate(
            tail, maxSpecTokens: limit, maxSpecFactor: maxSpecFactor, maxSpecOffset: maxSpecOffset,
            minTokenProbability: minTokenProbability, usesTreeSpeculation: usesTreeSpeculation)
        return first.score >= second.score ? first : second
    }

    /// Bytes held by the global tree and every local tree.
    public var estimatedMemoryBytes: Int {
        localTrees.values.reduce(globalTree.estimatedMemoryBytes) { $0 + $1.estimatedMemoryBytes }
    }

    /// Invariant violations of any tree, for tests.
    public func integrityViolation() -> String? {
        if let problem = globalTree.integrityViolation() { return "global tree: \(problem)" }
        for (key, tree) in localTrees { if let problem = tree.integrityViolation() { return "local tree \(key): \(problem)" } }
        if owners.count != sequenceIDs.count { return "sequence id maps disagree" }
        return nil
    }

    // MARK: Sequence ids

    /// Round-robin 31-bit ids, skipping those of active requests; a stale owner of the chosen
    /// id is evicted.
    private mutating func allocateSequence(for key: Key) {
        var sequence: Int32
        repeat {
            sequence = nextSequenceID
            nextSequenceID = (nextSequenceID &+ 1) & 0x7FFF_FFFF
        } while owners[sequence].map { localTrees[$0] != nil } ?? false
        if let stale = owners[sequence] { evictCachedResponse(stale) }
        sequenceIDs[key] = sequence
        owners[sequence] = key
        insertionOrder.append((key, sequence))
        evictOldest(sparing: sequence)
    }

    private mutating func evictOldest(sparing newSequence: Int32) {
        guard maxCachedRequests > 0 else { return }
        while sequenceIDs.count > maxCachedRequests {
            var index = orderStart
            while index < insertionOrder.count {
                let entry = insertionOrder[index]
                if sequenceIDs[entry.key] == entry.sequence, entry.sequence != newSequence { break }
                index += 1
            }
            guard index < insertionOrder.count else { return }
            let entry = insertionOrder[index]
            evictCachedResponse(entry.key)
            // Entries before the evicted one are stale or the spared newest; drop stale heads.
            while orderStart < insertionOrder.count,
                sequenceIDs[insertionOrder[orderStart].key] != insertionOrder[orderStart].sequence
            {
                orderStart += 1
            }
        }
        if orderStart > 1024, orderStart * 2 > insertionOrder.count {
            insertionOrder.removeFirst(orderStart)
            orderStart = 0
        }
    }
}
