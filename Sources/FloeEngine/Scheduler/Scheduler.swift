/// Continuous batching after vLLM V1: each step decides how many tokens every request runs.
///
/// One rule covers prefill, chunked prefill, decode and prefix-cache hits: a scheduled request
/// runs its tokens `numComputedTokens..<tokenCount`, cut to the step's token budget. Running
/// requests go first, in arrival order (so decodes and unfinished prefills are never starved
/// by new arrivals), then waiting requests FCFS while budget, sequence slots and KV blocks
/// last. When a running request cannot get a block, the last-arrived running request is
/// preempted by recompute: its blocks are freed (they stay in the prefix cache, so resuming is
/// usually cheap) and it waits at the front of the queue with its output kept, to be
/// re-prefilled as part of its context.
///
/// A pure state machine: no threads, no tensors. The engine calls `schedule()`, runs the
/// step, and hands the executor's answer to `update(from:)` before scheduling again.
public struct Scheduler: Sendable {
    public let config: SchedulerConfig
    public private(set) var kvCache: KVCacheManager
    private var requests: [RequestID: Request] = [:]
    /// Arrival order; preempted requests return to the front.
    private var waiting: [RequestID] = []
    /// Arrival order, so the last element is the lowest priority (the preemption victim).
    private var running: [RequestID] = []
    /// Requests whose sampler state the executor holds.
    private var knownToExecutor: Set<RequestID> = []
    private var finishedSinceLastStep: [RequestID] = []
    private var preemptedSinceLastStep: [RequestID] = []
    /// The step scheduled and not yet updated.
    private var inFlight: [ScheduledRequest] = []
    public private(set) var preemptionCount = 0
    /// Drafts decodes when speculative decoding is on.
    private var proposer: (any DraftProposer)?
    public private(set) var speculativeStats = SpeculativeStats()

    public init(config: SchedulerConfig) throws(SchedulerError) {
        try config.validate()
        self.config = config
        if let speculative = config.speculative {
            do { proposer = try SuffixProposer(config: speculative) } catch { throw .invalidConfig(error.description) }
        }
        kvCache = KVCacheManager(
            blockCount: config.blockCount, blockSize: config.blockSize, enablesPrefixCaching: config.enablesPrefixCaching)
    }

    // MARK: Admission

    /// Checks a request could ever run: valid parameters, a prompt, prompt + max_tokens within
    /// `maxModelLen`, and a KV cache big enough for it alone.
    public static func checkAdmissible(
        promptTokenCount: Int, params: SamplingParams, id: RequestID, config: SchedulerConfig
    ) throws(SchedulerError) {
        do { try params.validate() } catch { throw .invalidSamplingParams(error) }
        guard promptTokenCount > 0 else { throw .emptyPrompt(id) }
        guard promptTokenCount + params.maxTokens <= config.maxModelLen else {
            throw .exceedsMaxModelLen(promptTokens: promptTokenCount, maxTokens: params.maxTokens, maxModelLen: config.maxModelLen)
        }
        let blocksNeeded = (promptTokenCount + params.maxTokens + config.blockSize - 1) / config.blockSize
        guard blocksNeeded <= config.blockCount else {
            throw .exceedsKVCacheCapacity(blocksNeeded: blocksNeeded, blockCount: config.blockCount)
        }
    }

    /// Queues a request (n must be 1: fan out with `Request.parallelSamples` first).
    public mutating func add(_ request: Request) throws(SchedulerError) {
        try Self.checkAdmissible(
            promptTokenCount: request.promptTokenIDs.count, params: request.params, id: request.id, config: config)
        guard requests[request.id] == nil else { throw .duplicateRequestID(request.id) }
        guard request.params.n == 1 else {
            throw .invalidSamplingParams(.invalid("n must be 1 for a scheduled request; fan out with Request.parallelSamples"))
        }
        var request = request
        request.status = .waiting
        request.numComputedTokens = 0
        requests[request.id] = request
        waiting.append(request.id)
    }

    // MARK: Queries

    public func request(_ id: RequestID) -> Request? { requests[id] }
    public var runningCount: Int { running.count }
    public var waitingCount: Int { waiting.count }
    public var hasUnfinishedRequests: Bool { !requests.isEmpty }
    public var unfinishedRequestIDs: [RequestID] { running + waiting }

    public var stats: EngineStats {
        var stats = EngineStats()
        stats.runningCount = running.count
        stats.waitingCount = waiting.count
        stats.kvCacheUsage = kvCache.usage
        stats.prefixCache = kvCache.prefixCacheStats
        stats.preemptionCount = preemptionCount
        stats.speculative = speculativeStats
        return stats
    }

    // MARK: Scheduling

    public mutating func schedule() -> SchedulerOutput {
        precondition(inFlight.isEmpty, "schedule() called twice without update(from:) or failStep()")
        var budget = config.maxNumBatchedTokens
        var scheduled: [ScheduledRequest] = []
        var preemptedThisStep = false

        // Batch-size gating (spec §4.8): only the first requests of the batch may draft.
        let draftingLimit = config.speculative?.draftingRequestLimit(batchSize: running.count) ?? 0
        var index = 0
        runningLoop: while index < running.count, budget > 0 {
            let id = running[index]
            let request = requests[id]!
            let newTokenCount = min(request.tokenCount - request.numComputedTokens, budget)
            guard newTokenCount > 0 else { index += 1; continue }
            var drafts = index < draftingLimit ? proposeDrafts(for: request, budget: budget) : []
            if !drafts.isEmpty, kvCache.allocateSlots(for: request, newTokenCount: newTokenCount + drafts.count) == nil {
                drafts = []  // No room for the drafts: decode plainly (preempting if need be).
            }
            if drafts.isEmpty {
                while kvCache.allocateSlots(for: request, newTokenCount: newTokenCount) == nil {
                    let victim = running.removeLast()
                    preempt(victim)
                    preemptedThisStep = true
                    if victim == id { break runningLoop }
                }
            }
            scheduled.append(makeScheduled(id, newTokenCount: newTokenCount, drafts: drafts))
            budget -= newTokenCount + drafts.count
            index += 1
        }

        // Admitting while preempting would only thrash: the blocks just freed belong to the
        // preempted request at the queue's front.
        while !preemptedThisStep, let id = waiting.first, budget > 0, running.count < config.maxNumSeqs {
            var request = requests[id]!
            let (hits, hitTokens) = kvCache.computedBlocks(for: request)
            let remaining = request.tokenCount - hitTokens
            if !config.enablesChunkedPrefill, remaining > budget { break }
            let newTokenCount = min(remaining, budget)
            guard kvCache.allocateSlots(for: request, newTokenCount: newTokenCount, newComputedBlocks: hits) != nil else { break }
            waiting.removeFirst()
            request.numComputedTokens = hitTokens
            request.status = .running
            requests[id] = request
            running.append(id)
            scheduled.append(makeScheduled(id, newTokenCount: newTokenCount))
            budget -= newTokenCount
        }

        inFlight = scheduled
        let output = SchedulerOutput(
            scheduled: scheduled, finishedRequestIDs: finishedSinceLastStep, preemptedRequestIDs: preemptedSinceLastStep)
        // An empty step is not executed, so its notices ride along with the next real one.
        if !scheduled.isEmpty {
            finishedSinceLastStep = []
            preemptedSinceLastStep = []
        }
        return output
    }

    /// Draft tokens for a decode, never reaching past `maxModelLen`, `maxTokens` (the step
    /// also emits one token of its own) or the step's budget.
    private func proposeDrafts(for request: Request, budget: Int) -> [Int] {
        guard let proposer, let speculative = config.speculative,
            request.tokenCount - request.numComputedTokens == 1
        else { return [] }
        let room = min(
            speculative.draftWidth, config.maxModelLen - request.tokenCount - 1,
            request.params.maxTokens - request.outputTokenIDs.count - 1, budget - 1)
        guard room > 0 else { return [] }
        return Array(proposer.propose(for: request, maxTokens: room).prefix(room))
    }

    /// Builds the runner's view of a request's slice and advances `numComputedTokens` past it:
    /// from here on the scheduler treats the step's KV as written. Drafts ride after the slice
    /// but count as computed only once accepted (`update(from:)`).
    private mutating func makeScheduled(_ id: RequestID, newTokenCount: Int, drafts: [Int] = []) -> ScheduledRequest {
        var request = requests[id]!
        let start = request.numComputedTokens
        let end = start + newTokenCount
        var newRequest: NewRequestData?
        if knownToExecutor.insert(id).inserted {
            newRequest = NewRequestData(
                promptTokenIDs: request.promptTokenIDs, outputTokenIDs: request.outputTokenIDs, params: request.params,
                samplingSeed: request.samplingSeed, stopTokenIDs: request.stopTokenIDs)
        }
        let scheduled = ScheduledRequest(
            id: id, tokenIDs: request.tokens(in: start..<end) + drafts, positionStart: start,
            blockTable: kvCache.blockTable(for: id), needsLogits: end == request.tokenCount, newRequest: newRequest,
            draftTokenIDs: drafts)
        request.numComputedTokens = end
        requests[id] = request
        return scheduled
    }

    private mutating func preempt(_ id: RequestID) {
        var request = requests[id]!
        kvCache.free(id)
        request.status = .preempted
        request.numComputedTokens = 0
        request.preemptionCount += 1
        requests[id] = request
        waiting.insert(id, at: 0)
        if knownToExecutor.remove(id) != nil { preemptedSinceLastStep.append(id) }
        preemptionCount += 1
    }

    // MARK: Results

    /// Appends the step's sampled tokens and applies the stop rules; finished requests release
    /// their blocks. Returns, in batch order, every request that got tokens (or prompt
    /// logprobs) this step.
    public mutating func update(from output: ModelRunnerOutput) -> [RequestStepOutput] {
        let step = inFlight
        inFlight = []
        var results: [RequestStepOutput] = []
        for scheduled in step {
            guard let request = requests[scheduled.id], !request.isFinished else { continue }
            var result = RequestStepOutput(id: scheduled.id, newTokenIDs: [])
            result.promptLogprobs = output.promptLogprobs[scheduled.id] ?? []
            if scheduled.needsLogits {
                let sampledTokens = output.sampledTokens[scheduled.id] ?? []
                if !scheduled.draftTokenIDs.isEmpty { recordVerification(of: scheduled, sampled: sampledTokens) }
                for sampled in sampledTokens {
                    // Appended in place: a copy would make every step copy the whole output.
                    requests[scheduled.id]!.outputTokenIDs.append(sampled.tokenID)
                    result.newTokenIDs.append(sampled.tokenID)
                    if let logprobs = sampled.logprobs { result.logprobs.append(logprobs) }
                    if let (reason, stopToken) = stopCondition(of: requests[scheduled.id]!) {
                        result.finishReason = reason
                        result.stopTokenID = stopToken
                        break
                    }
                }
            }
            if proposer != nil, !result.newTokenIDs.isEmpty {
                proposer!.observe(requests[scheduled.id]!, newTokens: result.newTokenIDs[...])
            }
            if let reason = result.finishReason {
                finish([scheduled.id], reason: reason)
            } else if !scheduled.draftTokenIDs.isEmpty {
                // Blocks that only held rejected drafts go back to the pool.
                kvCache.releaseBlocks(of: scheduled.id, beyondTokens: requests[scheduled.id]!.tokenCount)
            }
            if !result.newTokenIDs.isEmpty || !result.promptLogprobs.isEmpty || result.isFinished {
                results.append(result)
            }
        }
        return results
    }

    /// Accepted drafts are the leading sampled tokens equal to the drafts (the runner returns
    /// them, then one token of its own); their KV, written by this step, is now valid.
    private mutating func recordVerification(of scheduled: ScheduledRequest, sampled: [SampledToken]) {
        let drafts = scheduled.draftTokenIDs
        var accepted = 0
        while accepted < drafts.count, accepted < sampled.count - 1, sampled[accepted].tokenID == drafts[accepted] {
            accepted += 1
        }
        requests[scheduled.id]!.numComputedTokens += accepted
        speculativeStats.record(drafted: drafts.count, accepted: accepted)
    }

    /// Stop rules after a token was appended: a stop token (once `minTokens` are out), then
    /// `maxTokens`, then the context limit. Unlike vLLM, which checks length first, an EOS
    /// drawn as the last allowed token reports `stop`: the model did finish.
    private func stopCondition(of request: Request) -> (FinishReason, Int?)? {
        let params = request.params
        let outputCount = request.outputTokenIDs.count
        let last = request.outputTokenIDs[outputCount - 1]
        if outputCount >= params.minTokens {
            if params.stopTokenIDs.contains(last) { return (.stop, last) }
            if !params.ignoreEOS, request.eosTokenIDs.contains(last) { return (.stop, nil) }
        }
        if outputCount >= params.maxTokens || request.tokenCount >= config.maxModelLen { return (.length, nil) }
        return nil
    }

    /// Ends requests for reasons found outside the scheduler: client aborts, stop strings
    /// matched by the frontend. Works in any state (waiting, preempted, running); unknown or
    /// finished ids are ignored. Blocks are freed at once.
    public mutating func finish(_ ids: some Sequence<RequestID>, reason: FinishReason) {
        finish(ids, reason: reason, contentIsValid: true)
    }

    /// Ends every request of the step just scheduled after the executor failed it, dropping
    /// from the prefix cache what the step should have written. Returns their ids.
    @discardableResult
    public mutating func failStep() -> [RequestID] {
        let ids = inFlight.map(\.id)
        inFlight = []
        finish(ids, reason: .abort, contentIsValid: false)
        return ids
    }

    private mutating func finish(_ ids: some Sequence<RequestID>, reason: FinishReason, contentIsValid: Bool) {
        for id in ids {
            guard let request = requests.removeValue(forKey: id), !request.isFinished else { continue }
            if let index = running.firstIndex(of: id) {
                running.remove(at: index)
            } else if let index = waiting.firstIndex(of: id) {
                waiting.remove(at: index)
            }
            kvCache.free(id, contentIsValid: contentIsValid)
            proposer?.stop(id)
            if knownToExecutor.remove(id) != nil { finishedSinceLastStep.append(id) }
        }
    }
}
