import Foundation
import Testing
@testable import FloeEngine

/// Rejection sampling with point-mass drafts (spec §4.7) must leave the target distribution
/// unchanged, and greedy verification must accept exactly the argmax.
@Suite struct SpeculativeVerificationTests {
    static let logits: [Float] = [1.0, 0.2, 2.0, -0.5, 1.5]

    static var target: [Double] {
        let weights = logits.map { exp(Double($0)) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// Draws one token per seed through `verify` with the given draft; returns counts per token.
    func counts(draft: Int, params: SamplingParams, draws: Int) -> (counts: [Int], accepted: Int) {
        var counts = [Int](repeating: 0, count: Self.logits.count)
        var accepted = 0
        for seed in 0..<draws {
            var sampler = RequestSampler(params: params, seed: UInt64(seed))
            var row = Self.logits
            let (token, wasAccepted) = row.withUnsafeMutableBufferPointer { sampler.verify($0, draft: draft) }
            counts[token.tokenID] += 1
            if wasAccepted { accepted += 1 }
            #expect(wasAccepted == (token.tokenID == draft))
        }
        return (counts, accepted)
    }

    /// Pearson's chi-square statistic against `expected` probabilities.
    func chiSquare(_ counts: [Int], expected: [Double]) -> Double {
        let total = Double(counts.reduce(0, +))
        return zip(counts, expected).reduce(0) { sum, pair in
            let expectedCount = pair.1 * total
            return sum + (Double(pair.0) - expectedCount) * (Double(pair.0) - expectedCount) / expectedCount
        }
    }

    @Test(arguments: [0, 2, 3])
    func rejectionSamplingPreservesTheTargetDistribution(draft: Int) {
        let draws = 40_000
        let (counts, accepted) = counts(draft: draft, params: SamplingParams(temperature: 1), draws: draws)
        // 4 degrees of freedom: 18.47 is the 0.1 % critical value (fixed seeds: deterministic).
        #expect(chiSquare(counts, expected: Self.target) < 18.47, "counts \(counts)")
        // The draft is accepted with probability p(draft).
        let rate = Double(accepted) / Double(draws)
        #expect(abs(rate - Self.target[draft]) < 4 * (Self.target[draft] * (1 - Self.target[draft]) / Double(draws)).squareRoot())
    }

    @Test func truncationAppliesBeforeVerification() {
        // top-k 2 keeps tokens 2 and 4: a draft outside them is always rejected.
        let params = SamplingParams(temperature: 1, topK: 2)
        let (counts, accepted) = counts(draft: 0, params: params, draws: 20_000)
        #expect(accepted == 0)
        #expect(counts[0] == 0 && counts[1] == 0 && counts[3] == 0)
        let kept = exp(2.0) / (exp(2.0) + exp(1.5))
        #expect(chiSquare([counts[2], counts[4]], expected: [kept, 1 - kept]) < 10.83)
    }

    @Test func greedyAcceptsExactlyTheArgmax() {
        var sampler = RequestSampler(params: SamplingParams(temperature: 0), seed: 1)
        var row = Self.logits
        let accepted = row.withUnsafeMutableBufferPointer { sampler.verify($0, draft: 2) }
        #expect(accepted.accepted && accepted.token.tokenID == 2)
        row = Self.logits
        let rejected = row.withUnsafeMutableBufferPointer { sampler.verify($0, draft: 4) }
        #expect(!rejected.accepted && rejected.token.tokenID == 2)
        #expect(sampler.outputCount == 2)
    }
}
