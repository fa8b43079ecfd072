import Foundation
import Testing
@testable import FloeEngine

@Suite struct RequestSamplerTests {
    func processed(_ logits: [Float], _ body: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        var copy = logits
        copy.withUnsafeMutableBufferPointer { body($0) }
        return copy
    }

    func sample(_ params: SamplingParams, _ logits: [Float], prompt: [Int] = [], output: [Int] = [], stop: Set<Int> = [], seed: UInt64 = 1) -> SampledToken {
        var sampler = RequestSampler(params: params, seed: seed, promptTokenIDs: prompt, outputTokenIDs: output, stopTokenIDs: stop)
        var copy = logits
        return copy.withUnsafeMutableBufferPointer { sampler.sample($0) }
    }

    @Test func repetitionPenaltyCoversPromptAndOutputOnce() {
        let result = processed([2, -2, 1, 4]) {
            LogitsProcessing.applyPenalties(
                $0, promptTokens: [0, 1], outputCounts: [1: 2, 3: 1], repetition: 2, frequency: 0, presence: 0)
        }
        #expect(result == [1, -4, 1, 2])
    }

    @Test func frequencyAndPresencePenaltiesCoverOnlyTheOutput() {
        let result = processed([2, 2, 2]) {
            LogitsProcessing.applyPenalties(
                $0, promptTokens: [0], outputCounts: [1: 3, 2: 1], repetition: 1, frequency: 0.5, presence: 0.25)
        }
        #expect(result == [2, 2 - 1.5 - 0.25, 2 - 0.5 - 0.25])
    }

    @Test func penaltiesSteerGreedyAwayFromRepeats() {
        let logits: [Float] = [3, 2.9, 0]
        #expect(sample(SamplingParams(temperature: 0), logits, output: [0]).tokenID == 0)
        #expect(sample(SamplingParams(temperature: 0, frequencyPenalty: 0.5), logits, output: [0]).tokenID == 1)
        #expect(sample(SamplingParams(temperature: 0, presencePenalty: 0.5), logits, output: [0]).tokenID == 1)
        #expect(sample(SamplingParams(temperature: 0, repetitionPenalty: 1.2), logits, prompt: [0]).tokenID == 1)
        // Frequency/presence ignore the prompt.
        #expect(sample(SamplingParams(temperature: 0, frequencyPenalty: 2), logits, prompt: [0]).tokenID == 0)
    }

    @Test func logitBiasShiftsTheChoice() {
        let logits: [Float] = [1, 2, 3]
        #expect(sample(SamplingParams(temperature: 0, logitBias: [0: 5]), logits).tokenID == 0)
        #expect(sample(SamplingParams(temperature: 0, logitBias: [2: -100, 99: 50]), logits).tokenID == 1)
    }

    @Test func minPDropsUnlikelyTokens() {
        // p ∝ [e^2, e^1.9, 1, 1]: min_p 0.5 keeps tokens 0 and 1 only.
        let logits: [Float] = [2, 1.9, 0, 0]
        let params = SamplingParams(temperature: 1, minP: 0.5)
        let seen = Set((0..<300).map { sample(params, logits, seed: UInt64($0)).tokenID })
        #expect(seen == [0, 1])
        let unrestricted = Set((0..<300).map { sample(SamplingParams(temperature: 1), logits, seed: UInt64($0)).tokenID })
        #expect(unrestricted == [0, 1, 2, 3])
    }

    @Test func minTokensMasksStopTokensUntilReached() {
        let logits: [Float] = [0, 0, 9]  // 2 is EOS and by far the likeliest
        let params = SamplingParams(temperature: 0, minTokens: 2)
        var sampler = RequestSampler(params: params, seed: 0, stopTokenIDs: [2])
        let tokens = (0..<3).map { _ in
            var copy = logits
            return copy.withUnsafeMutableBufferPointer { sampler.sample($0).tokenID }
        }
        #expect(tokens == [0, 0, 2])
        // A resumed sampler that already has the outputs stops masking.
        #expect(sample(params, logits, output: [0, 0], stop: [2]).tokenID == 2)
    }

    @Test func drawsDependOnlyOnSeedAndOutputIndex() {
        let logits = (0..<32).map { Float($0 % 5) }
        let params = SamplingParams(temperature: 1.5, topP: 0.95)
        var straight = RequestSampler(params: params, seed: 99)
        let first = (0..<40).map { _ in
            var copy = logits
            return copy.withUnsafeMutableBufferPointer { straight.sample($0).tokenID }
        }
        // Rebuilt mid-way (as after preemption): the continuation is identical.
        var resumed = RequestSampler(params: params, seed: 99, outputTokenIDs: Array(first[..<17]))
        let rest = (17..<40).map { _ in
            var copy = logits
            return copy.withUnsafeMutableBufferPointer { resumed.sample($0).tokenID }
        }
        #expect(Array(first[17...]) == rest)
        #expect(Set(first).count > 3)
    }

    /// A seeded request yields the same tokens alone and in a crowded batch.
    @Test func seededOutputIsIndependentOfTheBatch() throws {
        func run(crowd: Int) throws -> [Int] {
            var driver = try Driver(config: SchedulerConfig(maxModelLen: 256, blockCount: 64, maxNumBatchedTokens: 64))
            for index in 0..<crowd {
                try driver.scheduler.add(makeRequest(RequestID("other\(index)"), promptLength: 9 + index, maxTokens: 12, seed: index + 1,
                                                     params: SamplingParams(temperature: 1)))
            }
            try driver.scheduler.add(makeRequest("me", promptLength: 30, maxTokens: 20, params: SamplingParams(temperature: 1.2, topK: 20, seed: 7)))
            try driver.runToCompletion()
            #expect(driver.problems.isEmpty)
            return driver.outputs["me"] ?? []
        }
        let alone = try run(crowd: 0)
        #expect(alone.count == 20)
        #expect(try run(crowd: 5) == alone)
    }

    @Test func rawLogprobsDescribeTheModelsDistribution() throws {
        let logits: [Float] = [1, 3, 2, 0]
        let params = SamplingParams(temperature: 0, logitBias: [3: 10], logprobs: 2)
        let token = sample(params, logits)
        #expect(token.tokenID == 3)
        let logprobs = try #require(token.logprobs)
        let normalizer = log(exp(1) + exp(3) + exp(2) + exp(0) as Float)
        #expect(abs(logprobs.chosen.logprob - (0 - normalizer)) < 1e-5)
        #expect(logprobs.chosen.rank == 4)
        #expect(logprobs.top.map(\.tokenID) == [1, 2])
        #expect(logprobs.top.map(\.rank) == [1, 2])
    }

    @Test func processedLogprobsDescribeTheSampledDistribution() throws {
        let logits: [Float] = [1, 3, 2, 0]
        let params = SamplingParams(temperature: 1, topK: 2, logprobs: 3, logprobsMode: .processed)
        let logprobs = try #require(sample(params, logits).logprobs)
        let keptNormalizer = log(exp(3) + exp(2) as Float)
        #expect(logprobs.top.map(\.tokenID) == [1, 2, 0])
        #expect(abs(logprobs.top[0].logprob - (3 - keptNormalizer)) < 1e-5)
        #expect(logprobs.top[2].logprob == -.infinity)
        #expect(sample(SamplingParams(temperature: 1), logits).logprobs == nil)
    }

    @Test(arguments: [
        (SamplingParams(n: 0), "n"), (SamplingParams(minP: 1.5), "min_p"),
        (SamplingParams(repetitionPenalty: 0), "repetition_penalty"), (SamplingParams(frequencyPenalty: 3), "frequency_penalty"),
        (SamplingParams(presencePenalty: -2.5), "presence_penalty"), (SamplingParams(logitBias: [-1: 1]), "logit_bias"),
        (SamplingParams(maxTokens: 4, minTokens: 5), "min_tokens"), (SamplingParams(logprobs: 21), "logprobs"),
        (SamplingParams(promptLogprobs: -1), "prompt_logprobs"), (SamplingParams(stop: [""]), "stop"),
        (SamplingParams(stopTokenIDs: [-3]), "stop_token_ids"), (SamplingParams(temperature: .nan), "temperature"),
    ])
    func validationNamesTheField(params: SamplingParams, field: String) {
        #expect {
            try params.validate()
        } throws: { error in
            (error as? SamplingError)?.description.hasPrefix(field) == true
        }
    }

    /// A device may draw every token whose logprobs are not wanted; the draw carries the
    /// request's seed, output index and penalties, and greedy is temperature 0.
    @Test func deviceDrawsUnlessLogprobsAreWanted() {
        func draw(_ params: SamplingParams, output: [Int] = []) -> RequestSampler.DeviceDraw? {
            RequestSampler(params: params, seed: 9, outputTokenIDs: output, stopTokenIDs: [2]).deviceDraw(vocabularySize: 100)
        }
        let sampled = draw(SamplingParams(temperature: 0.7, topP: 0.9, topK: 40, minP: 0.05), output: [5, 6])
        #expect(sampled == RequestSampler.DeviceDraw(
            temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05, seed: 9, outputIndex: 2,
            repetitionPenalty: 1, frequencyPenalty: 0, presencePenalty: 0, adjustments: []))
        #expect(draw(SamplingParams(temperature: 1.2, topK: 1))?.temperature == 0)
        #expect(draw(SamplingParams(temperature: 0))?.temperature == 0)
        let penalized = draw(SamplingParams(temperature: 1, repetitionPenalty: 1.1, frequencyPenalty: 0.2, presencePenalty: -0.3))
        #expect(penalized?.repetitionPenalty == 1.1 && penalized?.frequencyPenalty == 0.2 && penalized?.presencePenalty == -0.3)
        #expect(draw(SamplingParams(temperature: 1, logitBias: [3: 1])) != nil)
        #expect(draw(SamplingParams(temperature: 1, minTokens: 3), output: [5]) != nil)
        #expect(draw(SamplingParams(temperature: 1, logprobs: 2)) == nil)
        #expect(draw(SamplingParams(temperature: 0, logprobs: 0)) == nil)
    }

    /// One entry per distinct token, merging the prompt (with a repetition penalty), the output
    /// counts, the logit bias and the min_tokens mask; ids outside the vocabulary are left out.
    @Test func deviceAdjustmentsMergeEveryTokenOnce() {
        let params = SamplingParams(
            temperature: 0, repetitionPenalty: 1.2, frequencyPenalty: 0.5, logitBias: [9: 1.5, 11: -2, 100: 3], minTokens: 4)
        let sampler = RequestSampler(
            params: params, seed: 1, promptTokenIDs: [5, 7, 5, 300], outputTokenIDs: [7, 9, 7], stopTokenIDs: [2, 7, 150])
        #expect(sampler.deviceDraw(vocabularySize: 100)?.adjustments.sorted { $0.token < $1.token } == [
            .init(token: 2, masked: true),
            .init(token: 5, inPrompt: true),
            .init(token: 7, outputCount: 2, inPrompt: true, masked: true),
            .init(token: 9, outputCount: 1, bias: 1.5),
            .init(token: 11, bias: -2),
        ])
    }

    /// The list follows the request as tokens are accepted: counts grow, and the mask's
    /// entries go (or lose their mask) once min_tokens tokens exist.
    @Test func deviceAdjustmentsFollowAcceptedTokens() {
        var sampler = RequestSampler(
            params: SamplingParams(temperature: 0, presencePenalty: 0.5, minTokens: 2), seed: 1, outputTokenIDs: [], stopTokenIDs: [2, 3])
        func sorted() -> [RequestSampler.TokenAdjustment]? {
            sampler.deviceDraw(vocabularySize: 10)?.adjustments.sorted { $0.token < $1.token }
        }
        #expect(sorted() == [.init(token: 2, masked: true), .init(token: 3, masked: true)])
        sampler.accept(3)
        #expect(sorted() == [.init(token: 2, masked: true), .init(token: 3, outputCount: 1, masked: true)])
        sampler.accept(7)
        #expect(sorted() == [.init(token: 3, outputCount: 1), .init(token: 7, outputCount: 1)])
        sampler.accept(7)
        #expect(sorted() == [.init(token: 3, outputCount: 1), .init(token: 7, outputCount: 2)])
        // Built afresh from the same history: the same entries.
        let rebuilt = RequestSampler(
            params: sampler.params, seed: 1, outputTokenIDs: [3, 7, 7], stopTokenIDs: [2, 3])
        #expect(rebuilt.deviceDraw(vocabularySize: 10)?.adjustments.sorted { $0.token < $1.token } == sorted())
    }

    /// Prompt tokens count only for the repetition penalty, output tokens only when some
    /// penalty is set, and the mask only until min_tokens tokens exist (as in `verify`).
    @Test func deviceAdjustmentsOnlyWhatTheHostApplies() {
        func adjustments(_ params: SamplingParams, output: [Int]) -> [RequestSampler.TokenAdjustment]? {
            RequestSampler(params: params, seed: 1, promptTokenIDs: [5, 6], outputTokenIDs: output, stopTokenIDs: [2])
                .deviceDraw(vocabularySize: 50)?.adjustments.sorted { $0.token < $1.token }
        }
        #expect(adjustments(SamplingParams(temperature: 0, frequencyPenalty: 0.5), output: [7, 7]) == [.init(token: 7, outputCount: 2)])
        #expect(adjustments(SamplingParams(temperature: 0, presencePenalty: 0.5), output: [5]) == [.init(token: 5, outputCount: 1)])
        #expect(adjustments(SamplingParams(temperature: 0, logitBias: [7: 1]), output: [7, 8]) == [.init(token: 7, bias: 1)])
        #expect(adjustments(SamplingParams(temperature: 0, minTokens: 2), output: [7]) == [.init(token: 2, masked: true)])
        #expect(adjustments(SamplingParams(temperature: 0, minTokens: 2), output: [7, 8]) == [])
        #expect(adjustments(SamplingParams(temperature: 0), output: [7]) == [])
        #expect(adjustments(SamplingParams(temperature: 0, repetitionPenalty: 2, logitBias: [-1: 1, 50: 2]), output: [49]) == [
            .init(token: 5, inPrompt: true), .init(token: 6, inPrompt: true), .init(token: 49, outputCount: 1),
        ])
    }
}
