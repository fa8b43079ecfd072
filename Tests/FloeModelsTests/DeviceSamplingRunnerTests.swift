import FloeCPU
import FloeEngine
import FloeRunner
import FloeTensor
import Testing

/// The runner's device sampling with penalties, logit bias and min_tokens (stories260K on
/// `DeviceSamplingCPUBackend`), against the host sampler (the same model on a plain
/// `CPUBackend`, which downloads every logits row and runs `RequestSampler`): greedy requests
/// give the same tokens both ways, and in a batch only the rows that need the host (logprobs)
/// are read back.
@Suite struct DeviceSamplingRunnerTests {
    static let prompt = "Once upon a time"

    static func makeLLM(_ backend: any Backend) throws -> LLM {
        try LLM(model: Stories260KTests.ggufPath, backend: backend, options: EngineOptions(kvCacheBytes: 8 << 20, maxModelLen: 256))
    }

    /// Each request's completion when it runs alone on the host sampler.
    static func alone(_ params: SamplingParams) async throws -> Completion {
        try await makeLLM(CPUBackend(threads: 1)).generate([prompt], sampling: params)[0]
    }

    /// Every request of `params` submitted at once on one engine, so steps batch them.
    static func together(_ params: [SamplingParams], on llm: LLM) async throws -> [Completion] {
        try await withThrowingTaskGroup(of: (Int, Completion).self) { group in
            for (index, sampling) in params.enumerated() {
                group.addTask { (index, try await llm.generate([prompt], sampling: sampling)[0]) }
            }
            var results = [Completion?](repeating: nil, count: params.count)
            for try await (index, completion) in group { results[index] = completion }
            return results.map { $0! }
        }
    }

    /// Greedy requests with each adjustment, built from the plain greedy output so each one
    /// changes it: a token it repeats penalized, its first tokens biased away or masked.
    static func adjustedRequests(plain: [Int]) -> [(name: String, params: SamplingParams)] {
        func greedy(_ change: (inout SamplingParams) -> Void) -> SamplingParams {
            var params = SamplingParams(temperature: 0, maxTokens: 64, ignoreEOS: true)
            change(&params)
            return params
        }
        return [
            ("repetition 1.6", greedy { $0.repetitionPenalty = 1.6 }),
            ("repetition 0.6", greedy { $0.repetitionPenalty = 0.6 }),
            ("frequency 1.5", greedy { $0.frequencyPenalty = 1.5 }),
            ("presence 1.5", greedy { $0.presencePenalty = 1.5 }),
            ("all penalties", greedy { $0.repetitionPenalty = 1.3; $0.frequencyPenalty = -0.4; $0.presencePenalty = 0.9 }),
            ("logit bias", greedy { $0.logitBias = [plain[0]: -100, plain[3]: -4, 30: 2.5, 100_000: 5] }),
            ("min_tokens", greedy { $0.minTokens = 6; $0.stopTokenIDs = [plain[0], plain[1], plain[2]] }),
        ]
    }

    @Test func adjustedGreedyRequestsMatchTheHostSampler() async throws {
        // Greedy tokens could flip between a batch and a request alone only on a near-tie (see
        // `sameLogprobs`); stories260K's margins here are far wider.
        let plain = try await Self.alone(SamplingParams(temperature: 0, maxTokens: 64, ignoreEOS: true)).samples[0].tokenIDs
        let requests = Self.adjustedRequests(plain: plain)
        let backend = DeviceSamplingCPUBackend()
        let device = try await Self.together(requests.map(\.params), on: Self.makeLLM(backend))
        for (request, completion) in zip(requests, device) {
            let host = try await Self.alone(request.params).samples[0].tokenIDs
            #expect(host != plain, "\(request.name) does not change the greedy output, so it proves nothing")
            #expect(completion.samples[0].tokenIDs == host, "\(request.name)")
        }
        let counts = backend.counts
        #expect(counts.readRows == [], "no logits row needs the host")
        #expect(counts.sampleCalls >= 16 && counts.adjustedRows > 0, "\(counts)")
    }

    /// The same tokens and ranks, and log-probabilities within 1e-5: the CPU's linears sum in
    /// another order for another batch size (measured: differences of 2e-6 between a request
    /// alone and batched with three others).
    static func sameLogprobs(_ a: [PositionLogprobs], _ b: [PositionLogprobs]) -> Bool {
        func same(_ x: TokenLogprob, _ y: TokenLogprob) -> Bool {
            x.tokenID == y.tokenID && x.rank == y.rank && abs(x.logprob - y.logprob) <= 1e-5
        }
        return a.count == b.count
            && zip(a, b).allSatisfy { same($0.chosen, $1.chosen) && $0.top.count == $1.top.count && zip($0.top, $1.top).allSatisfy(same) }
    }

    @Test func aLogprobsRequestIsTheOnlyOneReadBack() async throws {
        let plain = try await Self.alone(SamplingParams(temperature: 0, maxTokens: 64, ignoreEOS: true)).samples[0].tokenIDs
        let adjusted = Self.adjustedRequests(plain: plain).map(\.params)
        var logprobs = SamplingParams(temperature: 0, maxTokens: 12, ignoreEOS: true, logprobs: 3)
        logprobs.frequencyPenalty = 0.7
        let requests = [adjusted[0], logprobs, adjusted[5], adjusted[6]]
        let backend = DeviceSamplingCPUBackend()
        let device = try await Self.together(requests, on: Self.makeLLM(backend))
        for (params, completion) in zip(requests, device) {
            let host = try await Self.alone(params).samples[0]
            #expect(completion.samples[0].tokenIDs == host.tokenIDs)
            #expect(Self.sameLogprobs(completion.samples[0].logprobs, host.logprobs))
        }
        #expect(device[1].samples[0].logprobs.count == 12)
        // One row per step of the logprobs request, and nothing else.
        let counts = backend.counts
        #expect(counts.readRows == Array(repeating: 1, count: 12), "\(counts.readRows)")
        #expect(counts.sampleCalls > 0 && counts.adjustedRows > 0, "\(counts)")
    }

    /// With suffix decoding, a request with drafts is verified on the host from its own rows
    /// (downloaded together), beside requests without drafts sampled on the device: every
    /// request generates what it generates alone without speculation on the host sampler.
    @Test func draftsAreVerifiedOnTheHostBesideDeviceRows() async throws {
        func greedy(_ change: (inout SamplingParams) -> Void) -> SamplingParams {
            var params = SamplingParams(temperature: 0, maxTokens: 48, ignoreEOS: true)
            change(&params)
            return params
        }
        // A repetition penalty below 1 makes the output loop, so its suffix tree drafts.
        let requests = [
            greedy { $0.repetitionPenalty = 0.5 }, greedy { $0.frequencyPenalty = 1.2 }, greedy { $0.presencePenalty = 0.8 },
            greedy { $0.repetitionPenalty = 0.7; $0.logitBias = [261: 1] },
        ]
        let backend = DeviceSamplingCPUBackend()
        let llm = try LLM(
            model: Stories260KTests.ggufPath, backend: backend,
            options: EngineOptions(kvCacheBytes: 8 << 20, maxModelLen: 256, speculative: SpeculativeConfig()))
        let device = try await Self.together(requests, on: llm)
        for (params, completion) in zip(requests, device) {
            #expect(completion.samples[0].tokenIDs == (try await Self.alone(params)).samples[0].tokenIDs, "\(params)")
        }
        let counts = backend.counts
        #expect(llm.stats.speculative.draftedTokens > 0, "\(llm.stats.speculative)")
        #expect(counts.sampleCalls > 0 && counts.readRows.contains { $0 > 1 }, "\(counts)")
    }
}
