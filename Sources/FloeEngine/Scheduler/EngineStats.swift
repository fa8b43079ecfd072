/// A snapshot of the engine's load, for logs and `/metrics`.
public struct EngineStats: Sendable, Equatable {
    public var runningCount = 0
    public var waitingCount = 0
    /// Fraction of KV blocks held by requests.
    public var kvCacheUsage = 0.0
    public var prefixCache = PrefixCacheStats()
    /// Preemptions since the engine started.
    public var preemptionCount = 0
    /// Speculative decoding counters (all zero when it is off).
    public var speculative = SpeculativeStats()

    public init() {}

    public var prefixCacheHitRate: Double { prefixCache.hitRate }
}
