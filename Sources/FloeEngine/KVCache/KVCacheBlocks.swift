/// Blocks handed between the KV-cache manager and the scheduler. Opaque on purpose (vLLM's
/// `KVCacheBlocks`): the scheduler passes them back and counts them, it never reasons about ids.
public struct KVCacheBlocks: Sendable, Equatable {
    public let blockIDs: [BlockID]

    public init(_ blockIDs: [BlockID]) { self.blockIDs = blockIDs }

    public static let empty = KVCacheBlocks([])

    public var count: Int { blockIDs.count }
    public var isEmpty: Bool { blockIDs.isEmpty }
}

/// Prefix-cache effectiveness, counted in tokens: how many tokens lookups covered and how
/// many of those were found cached.
public struct PrefixCacheStats: Sendable, Equatable {
    public var queriedTokens = 0
    public var hitTokens = 0

    public init(queriedTokens: Int = 0, hitTokens: Int = 0) {
        self.queriedTokens = queriedTokens
        self.hitTokens = hitTokens
    }

    public var hitRate: Double { queriedTokens == 0 ? 0 : Double(hitTokens) / Double(queriedTokens) }
}
