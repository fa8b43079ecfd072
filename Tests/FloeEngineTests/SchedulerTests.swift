import Testing
@testable import FloeEngine

@Suite struct SchedulerTests {
    func config(
        blocks: Int = 64, budget: Int = 64, maxSeqs: Int = 8, maxModelLen: Int = 512, chunked: Bool = true, caching: Bool = true
    ) -> SchedulerConfig {
        SchedulerConfig(
            maxModelLen: maxModelLen, blockCount: blocks, maxNumBatchedTokens: budget, maxNumSeqs: maxSeqs,
            enablesPrefixCaching: caching, enablesChunkedPrefill: chunked)
    }

    @Test func longPromptIsChunkedWithinTheBudget() throws {
        var driver = try Driver(config: config(budget: 64))
        try driver.scheduler.add(makeRequest("a", promptLength: 150, maxTokens: 3))
        let steps = try (0..<5).map { _ in try driver.step() }
        #expect(steps.map { $0.scheduled.map(\.tokenIDs.count) } == [[64], [64], [22], [1], [1]])
        #expect(steps.map { $0.scheduled[0].positionStart } == [0, 64, 128, 150, 151])
        #expect(steps.map { $0.scheduled[0].needsLogits } == [false, false, true, true, true])
        #expect(steps[0].scheduled[0].newRequest != nil && steps[1].scheduled[0].newRequest == nil)
        #expect(driver.outputs["a"]?.count == 3)
        #expect(driver.finishReasons["a"] == .length)
        #expect(driver.scheduler.kvCache.freeBlockCount == 64)
        #expect(driver.executor.violations.isEmpty)
    }

    @Test func withoutChunkingAPromptWaitsForAStepItFits() throws {
        var driver = try Driver(config: config(budget: 100, maxModelLen: 100, chunked: false))
        try driver.scheduler.add(makeRequest("a", promptLength: 60, maxTokens: 4))
        try driver.scheduler.add(makeRequest("b", promptLength: 60, maxTokens: 4, seed: 1))
        let first = try driver.step()
        #expect(first.scheduled.map(\.id) == ["a"])
        let second = try driver.step()
        #expect(second.scheduled.map(\.id) == ["a", "b"])
        #expect(second.scheduled.map(\.tokenIDs.count) == [1, 60])
    }

    @Test func decodesAreScheduledBeforeNewPrefills() throws {
        var driver = try Driver(config: config(budget: 32))
        try driver.scheduler.add(makeRequest("a", promptLength: 10, maxTokens: 20))
        try driver.step()
        try driver.scheduler.add(makeRequest("b", promptLength: 100, maxTokens: 2, seed: 1))
        let step = try driver.step()
        #expect(step.scheduled.map(\.id) == ["a", "b"])
        #expect(step.scheduled.map(\.tokenIDs.count) == [1, 31])
        // The unfinished prefill continues after the decode in later steps too.
        let next = try driver.step()
        #expect(next.scheduled.map(\.id) == ["a", "b"])
        #expect(next.scheduled.map(\.positionStart) == [11, 31])
    }

    @Test func maxNumSeqsCapsTheBatch() throws {
        var driver = try Driver(config: config(maxSeqs: 2))
        for index in 0..<4 { try driver.scheduler.add(makeRequest(RequestID("r\(index)"), promptLength: 5, seed: index)) }
        #expect(try driver.step().scheduled.count == 2)
        #expect(driver.scheduler.waitingCount == 2)
        try driver.runToCompletion()
        #expect(driver.problems.isEmpty)
        #expect(driver.outputs.count == 4)
    }

    /// The same requests give the same tokens with a cache too small for all of them (forcing
    /// preemption and recompute) as with plenty of room.
    @Test(arguments: [false, true])
    func preemptionAndResumeGiveTheSameTokens(caching: Bool) throws {
        func run(blocks: Int) throws -> Driver {
            var driver = try Driver(config: config(blocks: blocks, budget: 48, caching: caching))
            for index in 0..<6 {
                let params = SamplingParams(temperature: 1, seed: UInt64(index))
                try driver.scheduler.add(makeRequest(RequestID("r\(index)"), promptLength: 20 + 7 * index, maxTokens: 40, seed: index, params: params))
            }
            try driver.runToCompletion()
            return driver
        }
        let ample = try run(blocks: 64)
        let tight = try run(blocks: 9)
        #expect(ample.scheduler.preemptionCount == 0)
        #expect(tight.scheduler.preemptionCount > 0)
        #expect(ample.problems.isEmpty && tight.problems.isEmpty)
        #expect(tight.outputs == ample.outputs)
        #expect(tight.outputs.values.allSatisfy { $0.count == 40 })
        #expect(tight.scheduler.kvCache.freeBlockCount == 9)
    }

    @Test func preemptionTakesTheLastArrivedRequestAndKeepsItsOutput() throws {
        // 4 blocks of 16: a and b take 2 each once they grow past 16 tokens.
        var driver = try Driver(config: config(blocks: 4, budget: 64, maxModelLen: 64))
        try driver.scheduler.add(makeRequest("a", promptLength: 14, maxTokens: 30))
        try driver.scheduler.add(makeRequest("b", promptLength: 14, maxTokens: 30, seed: 1))
        var preemptingStep = try driver.step()
        while driver.scheduler.preemptionCount == 0 { preemptingStep = try driver.step() }
        #expect(preemptingStep.preemptedRequestIDs == ["b"])
        #expect(preemptingStep.scheduled.map(\.id) == ["a"])
        let b = try #require(driver.scheduler.request("b"))
        #expect(b.status == .preempted)
        #expect(b.numComputedTokens == 0)
        #expect(!b.outputTokenIDs.isEmpty)
        #expect(driver.scheduler.request("a")?.status == .running)
        try driver.runToCompletion()
        #expect(driver.problems.isEmpty)
        #expect(driver.outputs["b"]?.count == 30)
    }

    @Test func secondIdenticalPromptHitsThePrefixCache() throws {
        var driver = try Driver(config: config())
        try driver.scheduler.add(makeRequest("a", promptLength: 40, maxTokens: 2))
        try driver.runToCompletion()
        try driver.scheduler.add(makeRequest("b", promptLength: 40, maxTokens: 2))
        let step = try driver.step()
        #expect(step.scheduled[0].positionStart == 32)
        #expect(step.scheduled[0].tokenIDs.count == 8)
        try driver.runToCompletion()
        #expect(driver.problems.isEmpty)
        #expect(driver.scheduler.stats.prefixCache == PrefixCacheStats(queriedTokens: 80, hitTokens: 32))
        #expect(driver.outputs["a"] == driver.outputs["b"])
    }

    @Test func parallelSamplesComputeTheSharedPromptOnce() throws {
        var driver = try Driver(config: config(budget: 256))
        let params = SamplingParams(temperature: 1, seed: 5, maxTokens: 6, n: 3)
        let children = Request.parallelSamples(of: "p", promptTokenIDs: prompt(40), params: params)
        #expect(children.map(\.id) == ["0_p", "1_p", "2_p"])
        #expect(children.map(\.params.seed) == [5, 6, 7])
        for child in children { try driver.scheduler.add(child) }
        let step = try driver.step()
        #expect(step.scheduled.map(\.tokenIDs.count) == [40, 8, 8])
        let tables = step.scheduled.map(\.blockTable)
        #expect(tables[0].prefix(2) == tables[1].prefix(2) && tables[1].prefix(2) == tables[2].prefix(2))
        #expect(Set(tables.map { $0[2] }).count == 3)  // the partial last block is private
        let shared = driver.scheduler.kvCache.blocks(of: "0_p").blockIDs[0]
        #expect(driver.scheduler.kvCache.referenceCount(of: shared) == 3)
        try driver.runToCompletion()
        #expect(driver.problems.isEmpty)
        #expect(Set(driver.outputs.values).count > 1)  // different seeds, different samples
        #expect(driver.scheduler.kvCache.freeBlockCount == 64)
    }

    @Test func maxModelLenIsCheckedAtAdd() throws {
        var scheduler = try Scheduler(config: config(maxModelLen: 100))
        let request = makeRequest("a", promptLength: 90, maxTokens: 11)
        #expect(throws: SchedulerError.exceedsMaxModelLen(promptTokens: 90, maxTokens: 11, maxModelLen: 100)) {
            try scheduler.add(request)
        }
        let message = SchedulerError.exceedsMaxModelLen(promptTokens: 90, maxTokens: 11, maxModelLen: 100).description
        #expect(message.contains("100") && message.contains("90") && message.contains("max_tokens"))
        try scheduler.add(makeRequest("b", promptLength: 90, maxTokens: 10))
        #expect(throws: SchedulerError.duplicateRequestID("b")) { try scheduler.add(makeRequest("b", promptLength: 5)) }
        #expect(throws: SchedulerError.emptyPrompt("c")) { try scheduler.add(makeRequest("c", promptLength: 0)) }
        #expect(throws: SchedulerError.exceedsKVCacheCapacity(blocksNeeded: 7, blockCount: 4)) {
            var small = try Scheduler(config: self.config(blocks: 4, maxModelLen: 200))
            try small.add(makeRequest("d", promptLength: 90, maxTokens: 10))
        }
    }

    @Test func abortFreesBlocksInEveryState() throws {
        var driver = try Driver(config: config(blocks: 6, budget: 32, maxModelLen: 96))
        try driver.scheduler.add(makeRequest("running", promptLength: 40, maxTokens: 50))
        try driver.scheduler.add(makeRequest("waiting", promptLength: 40, maxTokens: 50, seed: 1))
        try driver.step()
        try driver.step()
        try driver.step()
        #expect(driver.scheduler.runningCount == 2)
        driver.scheduler.finish(["running"], reason: .abort)
        #expect(driver.scheduler.request("running") == nil)
        driver.scheduler.finish(["waiting", "unknown"], reason: .abort)
        #expect(driver.scheduler.kvCache.freeBlockCount == 6)
        #expect(!driver.scheduler.hasUnfinishedRequests)
        // Nothing runs, so the executor hears of both with the next step that does.
        #expect(try driver.step().finishedRequestIDs == ["running", "waiting"])
    }

    /// Random adds, aborts and natural finishes under memory pressure: every step stays within
    /// its limits, KV contents stay consistent, and all blocks come back.
    @Test(arguments: [1, 2, 3])
    func noBlockLeaksUnderARandomWorkload(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var driver = try Driver(config: config(blocks: 24, budget: 40, maxSeqs: 6, maxModelLen: 160))
        var next = 0
        for _ in 0..<300 {
            let action = random.next() % 10
            if action < 3 {
                let promptLength = Int(random.next() % 60) + 1
                let shared = random.next() % 2 == 0  // half share a prefix family
                var params = SamplingParams(temperature: 1, seed: random.next(), maxTokens: Int(random.next() % 30) + 1)
                params.n = Int(random.next() % 3) + 1
                params.stopTokenIDs = random.next() % 4 == 0 ? [3] : []
                for child in Request.parallelSamples(
                    of: RequestID("r\(next)"), promptTokenIDs: prompt(promptLength, seed: shared ? 0 : next), params: params)
                {
                    try driver.scheduler.add(child)
                }
                next += 1
            } else if action < 4, let victim = driver.scheduler.unfinishedRequestIDs.randomElement(using: &random) {
                driver.scheduler.finish([victim], reason: .abort)
            } else {
                try driver.step()
            }
            #expect(driver.scheduler.kvCache.freeBlockCount >= 0)
        }
        try driver.runToCompletion()
        #expect(driver.problems.isEmpty)
        #expect(driver.scheduler.kvCache.freeBlockCount == 24)
        #expect(driver.scheduler.stats.kvCacheUsage == 0)
    }

    @Test func stopTokensRespectMinTokensAndIgnoreEOS() throws {
        // A scripted executor: always proposes token 7 (EOS) — masking is the sampler's job,
        // this checks the scheduler's own stop rules.
        final class AlwaysSeven: ModelExecutor {
            func execute(_ output: SchedulerOutput) throws -> ModelRunnerOutput {
                ModelRunnerOutput(sampledTokens: Dictionary(uniqueKeysWithValues: output.scheduled.filter(\.needsLogits).map {
                    ($0.id, [SampledToken(tokenID: 7)])
                }))
            }
        }
        var scheduler = try Scheduler(config: config())
        func request(_ id: RequestID, _ params: SamplingParams) -> Request {
            Request(id: id, promptTokenIDs: [1, 2, 3], params: params, eosTokenIDs: [7])
        }
        try scheduler.add(request("eos", SamplingParams(maxTokens: 10)))
        try scheduler.add(request("min", SamplingParams(maxTokens: 10, minTokens: 3)))
        try scheduler.add(request("ignore", SamplingParams(maxTokens: 4, ignoreEOS: true)))
        try scheduler.add(request("stopid", SamplingParams(maxTokens: 10, stopTokenIDs: [7], ignoreEOS: true)))
        let executor = AlwaysSeven()
        var finished: [RequestID: (Int, RequestStepOutput)] = [:]
        var counts: [RequestID: Int] = [:]
        for _ in 0..<10 {
            let output = scheduler.schedule()
            if output.isEmpty { break }
            for update in scheduler.update(from: try executor.execute(output)) {
                counts[update.id, default: 0] += update.newTokenIDs.count
                if update.isFinished { finished[update.id] = (counts[update.id]!, update) }
            }
        }
        #expect(finished["eos"]?.0 == 1 && finished["eos"]?.1.finishReason == .stop && finished["eos"]?.1.stopTokenID == nil)
        #expect(finished["min"]?.0 == 3 && finished["min"]?.1.finishReason == .stop)
        #expect(finished["ignore"]?.0 == 4 && finished["ignore"]?.1.finishReason == .length)
        #expect(finished["stopid"]?.0 == 1 && finished["stopid"]?.1.stopTokenID == 7)
    }

    @Test func failedStepDropsItsRequestsAndTheirUnwrittenCache() throws {
        let executor = FakeExecutor()
        executor.poisoned = ["bad"]
        var driver = try Driver(config: config(), executor: executor)
        try driver.scheduler.add(makeRequest("bad", promptLength: 40))
        #expect(throws: FakeExecutor.Failure.self) { try driver.step() }
        #expect(driver.scheduler.failStep() == ["bad"])
        #expect(driver.scheduler.kvCache.freeBlockCount == 64)
        try driver.scheduler.add(makeRequest("good", promptLength: 40))
        let step = try driver.step()
        #expect(step.scheduled[0].positionStart == 0)  // nothing served from the failed step
        #expect(step.finishedRequestIDs == ["bad"])  // the executor may hold state for it
    }
}
