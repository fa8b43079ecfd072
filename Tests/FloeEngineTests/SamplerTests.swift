import Testing
import Foundation
@testable import FloeEngine

@Suite struct SamplerTests {
    let logits: [Float] = [1.0, 3.0, 2.0, 3.0, -1.0]

    @Test func greedyTakesFirstArgmax() {
        var sampler = Sampler(params: .greedy)
        #expect(logits.withUnsafeBufferPointer { sampler.sample($0) } == 1)
    }

    @Test func topKOneIsGreedy() {
        var sampler = Sampler(params: SamplingParams(temperature: 5, topK: 1, seed: 7))
        for _ in 0..<20 { #expect(logits.withUnsafeBufferPointer { sampler.sample($0) } == 1) }
    }

    @Test func topKRestrictsCandidates() {
        var sampler = Sampler(params: SamplingParams(temperature: 100, topK: 3, seed: 1))
        let seen = Set((0..<500).map { _ in logits.withUnsafeBufferPointer { sampler.sample($0) } })
        #expect(seen == [1, 2, 3])
    }

    @Test func topPKeepsSmallestSetReachingP() {
        // Probabilities ≈ [0.0001, 0.9998, 0.0001]: top_p 0.5 keeps only id 1.
        let peaked: [Float] = [0, 10, 0]
        var sampler = Sampler(params: SamplingParams(temperature: 1, topP: 0.5, seed: 3))
        for _ in 0..<50 { #expect(peaked.withUnsafeBufferPointer { sampler.sample($0) } == 1) }
    }

    @Test func seedMakesDrawsRepeatable() {
        let params = SamplingParams(temperature: 1, seed: 42)
        var a = Sampler(params: params), b = Sampler(params: params)
        let first = (0..<50).map { _ in logits.withUnsafeBufferPointer { a.sample($0) } }
        let second = (0..<50).map { _ in logits.withUnsafeBufferPointer { b.sample($0) } }
        #expect(first == second)
        #expect(Set(first).count > 1)
    }

    @Test func frequenciesFollowSoftmax() {
        // Two tokens with logits differing by ln 3: the first should be drawn ~3× as often.
        let pair: [Float] = [logf(3), 0]
        var sampler = Sampler(params: SamplingParams(temperature: 1, seed: 9))
        let draws = 20_000
        let firsts = (0..<draws).filter { _ in pair.withUnsafeBufferPointer { sampler.sample($0) } == 0 }.count
        #expect(abs(Double(firsts) / Double(draws) - 0.75) < 0.02)
    }

    @Test(arguments: [
        SamplingParams(temperature: -1), SamplingParams(topP: 0), SamplingParams(topP: 1.5),
        SamplingParams(topK: -2), SamplingParams(maxTokens: 0),
    ])
    func invalidParametersAreRejected(_ params: SamplingParams) {
        #expect(throws: SamplingError.self) { try params.validate() }
    }
}
