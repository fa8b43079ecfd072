import Testing
@testable import FloeEngine

/// Speculative decoding in the scheduler, against `FakeExecutor` (which checks every KV slot
/// a request's logits depend on, so a rejected draft left in the cache shows up).
@Suite struct SpeculativeSchedulingTests {
    func config(
        speculative: SpeculativeConfig? = SpeculativeConfig(), blocks: Int = 128, maxModelLen: Int = 512, budget: Int = 256,
        caching: Bool = true
    ) -> SchedulerConfig {
        SchedulerConfig(
            maxModelLen: maxModelLen, blockCount: blocks, blockSize: 4, maxNumBatchedTokens: budget, maxNumSeqs: 8,
            enablesPrefixCaching: caching, speculative: speculative)
    }

    /// A driver whose fake model only looks at the last two tokens: outputs cycle, so suffix
    /// drafts are often (not always) right.
    func driver(_ config: SchedulerConfig) throws -> Driver {
        let executor = FakeExecutor(vocabularySize: 50, blockSize: config.blockSize)
        executor.window = 2
        return try Driver(config: config, executor: executor)
    }

    func run(_ config: SchedulerConfig, requests: [Request]) throws -> Driver {
        var driver = try driver(config)
        for request in requests { try driver.scheduler.add(request) }
        try driver.runToCompletion()
        return driver
    }

    func requests(maxTokens: Int = 60, params: SamplingParams = SamplingParams(temperature: 0), count: Int = 5) -> [Request] {
        (0..<count).map { makeRequest(RequestID("r\($0)"), promptLength: 5 + 3 * $0, maxTokens: maxTokens, seed: $0, params: params) }
    }

    @Test func greedyOutputIsUnchangedAndDraftsAreAccepted() throws {
        let plain = try run(config(speculative: nil), requests: requests())
        let speculative = try run(config(), requests: requests())
        #expect(plain.problems.isEmpty && speculative.problems.isEmpty, "\(speculative.problems.prefix(3))")
        #expect(speculative.outputs == plain.outputs)
        #expect(speculative.outputs.values.allSatisfy { $0.count == 60 })
        let stats = speculative.scheduler.stats.speculative
        #expect(stats.acceptedTokens > 0 && stats.acceptedTokens < stats.draftedTokens, "\(stats)")
        #expect(stats.draftedPerPosition.first == stats.draftCount)
        #expect(stats.acceptedPerPosition == stats.acceptedPerPosition.sorted(by: >))
        // Fewer steps than tokens: drafts were accepted.
        #expect(speculative.stepCount < plain.stepCount)
        // Every block came back, and none holds a rejected draft under a prefix-cache hash:
        // the same requests again (prefix hits included) still pass the executor's KV checks.
        #expect(speculative.scheduler.kvCache.freeBlockCount == 128)
        var again = speculative
        for request in requests() { try again.scheduler.add(request) }
        again.outputs = [:]
        try again.runToCompletion()
        #expect(again.problems.isEmpty, "\(again.problems.prefix(3))")
        #expect(again.outputs == plain.outputs)
    }

    @Test func draftsNeverPassMaxTokensOrMaxModelLen() throws {
        let reqs = [
            makeRequest("short", promptLength: 6, maxTokens: 7),
            makeRequest("edge", promptLength: 20, maxTokens: 44, seed: 1),
        ]
        let driver = try run(config(maxModelLen: 64), requests: reqs)
        #expect(driver.problems.isEmpty)
        #expect(driver.outputs["short"]?.count == 7 && driver.outputs["edge"]?.count == 44)
        for step in driver.executor.steps {
            for scheduled in step.scheduled {
                #expect(scheduled.contextLength <= 64)
                let request = reqs.first { $0.id == scheduled.id }!
                let outputBefore = scheduled.positionStart + 1 - request.promptTokenIDs.count
                if !scheduled.draftTokenIDs.isEmpty {
                    // The step emits drafts + 1 tokens at most: never past max_tokens.
                    #expect(outputBefore + scheduled.draftTokenIDs.count + 1 <= request.params.maxTokens)
                }
            }
        }
        #expect(driver.scheduler.stats.speculative.draftedTokens > 0)
    }

    @Test func sampledRequestsVerifyAndFinish() throws {
        let params = SamplingParams(temperature: 0.8, seed: 3)
        let driver = try run(config(), requests: requests(maxTokens: 40, params: params))
        #expect(driver.problems.isEmpty, "\(driver.problems.prefix(3))")
        #expect(driver.outputs.values.allSatisfy { $0.count == 40 })
        #expect(driver.scheduler.stats.speculative.draftedTokens > 0)
        #expect(driver.scheduler.kvCache.freeBlockCount == 128)
    }

    @Test func stopTokenInsideAcceptedDraftsEndsTheRequest() throws {
        let plain = try run(config(speculative: nil), requests: requests(count: 1))
        let output = try #require(plain.outputs["r0"])
        // A token first produced late in the output (so drafts are flowing by then) becomes EOS.
        let stop = try #require(output.dropFirst(20).first { !output.prefix(20).contains($0) })
        let stopIndex = output.firstIndex(of: stop)!
        var params = SamplingParams(temperature: 0)
        params.maxTokens = 60
        let request = Request(id: "r0", promptTokenIDs: prompt(5), params: params, eosTokenIDs: [stop])
        let speculative = try run(config(), requests: [request])
        #expect(speculative.problems.isEmpty)
        #expect(speculative.outputs["r0"] == Array(output[...stopIndex]))
        #expect(speculative.finishReasons["r0"] == .stop)
    }

    @Test func batchSizeGatingLimitsWhoDrafts() throws {
        var soft = SpeculativeConfig()
        soft.disableByBatchSize = 2
        let softRun = try run(config(speculative: soft), requests: requests(maxTokens: 40, count: 4))
        var hard = SpeculativeConfig()
        hard.hardDisableByBatchSize = 3
        let hardRun = try run(config(speculative: hard), requests: requests(maxTokens: 40, count: 4))
        #expect(softRun.problems.isEmpty && hardRun.problems.isEmpty)
        var softDrafted = false
        for step in softRun.executor.steps where step.scheduled.count == 4 {
            #expect(step.scheduled[2...].allSatisfy { $0.draftTokenIDs.isEmpty })
            softDrafted = softDrafted || !step.scheduled[0].draftTokenIDs.isEmpty
        }
        #expect(softDrafted)
        for step in hardRun.executor.steps where step.scheduled.count >= 3 {
            #expect(step.scheduled.allSatisfy { $0.draftTokenIDs.isEmpty })
        }
        #expect(SpeculativeConfig().draftingRequestLimit(batchSize: 100) == 64)
    }

    @Test func tightKVCacheFallsBackToPlainDecode() throws {
        // 5 requests needing ~17 blocks each in 48 blocks: preemption and draft fallbacks.
        let plain = try run(config(speculative: nil, blocks: 48), requests: requests())
        let speculative = try run(config(blocks: 48), requests: requests())
        #expect(speculative.problems.isEmpty, "\(speculative.problems.prefix(3))")
        #expect(speculative.outputs == plain.outputs)
        #expect(speculative.scheduler.kvCache.freeBlockCount == 48)
    }

    @Test func invalidConfigIsRejected() {
        var bad = SpeculativeConfig()
        bad.suffixMinTokenProbability = 2
        #expect(throws: SchedulerError.self) { try Scheduler(config: config(speculative: bad)) }
    }
}
