/// Counters of speculative decoding since the engine started (vLLM's spec-decode metrics).
public struct SpeculativeStats: Sendable, Equatable {
    /// Verification steps that carried a draft.
    public var draftCount = 0
    public var draftedTokens = 0
    public var acceptedTokens = 0
    /// Per draft position `i`: how many drafts had a token there, and how many accepted it.
    public var draftedPerPosition: [Int] = []
    public var acceptedPerPosition: [Int] = []

    public init() {}

    /// Accepted draft tokens / drafted tokens.
    public var acceptanceRate: Double { draftedTokens == 0 ? 0 : Double(acceptedTokens) / Double(draftedTokens) }
    /// Tokens emitted per verification step with a draft: 1 + accepted per draft (vLLM's definition).
    public var meanAcceptanceLength: Double { draftCount == 0 ? 0 : 1 + Double(acceptedTokens) / Double(draftCount) }
    /// Acceptance rate at each draft position.
    public var acceptanceRatePerPosition: [Double] {
        zip(acceptedPerPosition, draftedPerPosition).map { $1 == 0 ? 0 : Double($0) / Double($1) }
    }

    mutating func record(drafted: Int, accepted: Int) {
        draftCount += 1
        draftedTokens += drafted
        acceptedTokens += accepted
        if draftedPerPosition.count < drafted {
            draftedPerPosition += Array(repeating: 0, count: drafted - draftedPerPosition.count)
            acceptedPerPosition += Array(repeating: 0, count: drafted - acceptedPerPosition.count)
        }
        for position in 0..<drafted { draftedPerPosition[position] += 1 }
        for position in 0..<accepted { acceptedPerPosition[position] += 1 }
    }
}
