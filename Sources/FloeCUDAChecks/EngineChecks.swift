import FloeCUDA
import FloeEngine
import FloeRunner
import Foundation

/// The engine's behaviour on the GPU, as Tests/FloeModelsTests/EngineModelTests checks it on the
/// CPU: batching, prefix caching and preemption must not change greedy outputs.
public enum EngineChecks {
    static let prompts = [
        "Once upon a time", "The capital of France is", "def fibonacci(n):\n", "Write a haiku about the sea.",
        "1, 2, 3, 4,", "Swift is a programming language that", "Hello", "In 1969, the first humans",
        "import numpy as np\nimport", "Q: What is 2 + 2?\nA:", "A list of fruits: apple, banana,", "for i in range(10):",
    ]

    /// The widest gap between the two best tokens that a different summation order may flip:
    /// bf16 weights and activations leave logits uncertain by a few hundredths.
    static let nearTieNats: Float = 0.1

    public static func run(modelPath: String, backend: CUDABackend, report: inout CheckReport) async {
        let greedy = SamplingParams(temperature: 0, maxTokens: 24, ignoreEOS: true)
        do {
            let llm = try LLM(model: modelPath, backend: backend, options: EngineOptions(kvCacheBytes: 64 << 20, maxModelLen: 512, enablesPrefixCaching: false))
            let replaysBefore = backend.stepGraphReplays
            let together = try await llm.generate(prompts, sampling: greedy)
            let replays = backend.stepGraphReplays - replaysBefore
            // Alone, a decode step takes the GEMV kernels; batched, cuBLASLt: the same products
            // summed in another order, which can flip a near-tie between the two best tokens.
            // A difference passes only as such a flip: at the first differing token the batched
            // choice is the alone run's runner-up, within `nearTieNats` of its best.
            var traced = greedy
            traced.logprobs = 2
            var alone: [Completion.Sample] = []
            for prompt in prompts { alone.append(try await llm.generate([prompt], sampling: traced)[0].samples[0]) }
            let batched = together.map { $0.samples[0].tokenIDs }
            let agreement = nearTieAgreement(reference: alone, candidates: batched)
            report.record("engine", "batched greedy == alone", passed: agreement.passed,
                agreement.summary(of: prompts.count))

            // Penalties, logit bias and min_tokens, sampled on the device in one batch
            // (`adjust_logits`), against each request alone with processed logprobs, which the
            // host samples: the same tokens but for near-tie flips of the adjusted logits. The
            // bias and the min_tokens mask hit each prompt's own first greedy tokens.
            let adjusted = batched.enumerated().map { index, tokens in adjustedParams(index, firstTokens: tokens) }
            let adjustedTogether = try await generateEach(adjusted, prompts: prompts, on: llm)
            var adjustedAlone: [Completion.Sample] = []
            for (prompt, params) in zip(prompts, adjusted) {
                var traced = params
                traced.logprobs = 2
                traced.logprobsMode = .processed
                adjustedAlone.append(try await llm.generate([prompt], sampling: traced)[0].samples[0])
            }
            let changed = zip(adjustedAlone, batched).filter { $0.tokenIDs != $1 }.count
            let adjustedAgreement = nearTieAgreement(reference: adjustedAlone, candidates: adjustedTogether)
            report.record("engine", "penalized batched greedy on the device == alone on the host",
                passed: adjustedAgreement.passed && changed >= prompts.count / 3,
                "\(changed) of \(prompts.count) outputs changed by their adjustments; " + adjustedAgreement.summary(of: prompts.count))

            // The same batch op by op: a replayed decode step is padded to a recorded size (12 to
            // 16 here) and splits long contexts by the longest allowed one, so its sums may be
            // ordered differently from the eager step's, never more.
            let recorded = backend.recordsStepGraphs
            backend.recordsStepGraphs = false
            defer { backend.recordsStepGraphs = recorded }
            let eagerReplaysBefore = backend.stepGraphReplays
            let eager = try await llm.generate(prompts, sampling: traced).map { $0.samples[0] }
            let eagerReplays = backend.stepGraphReplays - eagerReplaysBefore
            backend.recordsStepGraphs = recorded
            let graphAgreement = nearTieAgreement(reference: eager, candidates: batched)
            report.record("engine", "decode steps replayed from CUDA graphs == eager", passed: graphAgreement.passed && replays > 0 && eagerReplays == 0,
                "\(replays) replays with graphs, \(eagerReplays) eager; " + graphAgreement.summary(of: prompts.count))

            let cached = try LLM(model: modelPath, backend: backend, options: EngineOptions(kvCacheBytes: 64 << 20, maxModelLen: 512))
            let prompt = String(repeating: "The history of the city begins with a small village by the river. ", count: 4)
            let first = try await cached.generate([prompt], sampling: greedy)[0]
            let before = cached.stats.prefixCache.hitTokens
            let second = try await cached.generate([prompt], sampling: greedy)[0]
            let hits = cached.stats.prefixCache.hitTokens - before
            report.record("engine", "prefix-cache hit keeps output", passed: hits > 0 && second.samples[0].tokenIDs == first.samples[0].tokenIDs,
                "\(hits) prompt tokens from the cache of \(first.promptTokenIDs.count)")

            // 12 blocks for 6 requests needing 2-3 blocks each: some must be preempted.
            let blockBytes = ModelRunner.blockBytes(model: cached.loaded.model, blockSize: 16)
            let small = try LLM(model: modelPath, backend: backend, options: EngineOptions(kvCacheBytes: 12 * blockBytes, maxModelLen: 96, maxNumSeqs: 6))
            let six = Array(prompts.suffix(6))
            let squeezed = try await small.generate(six, sampling: greedy)
            let reference = try await cached.generate(six, sampling: greedy)
            let equal = squeezed.map { $0.samples[0].tokenIDs } == reference.map { $0.samples[0].tokenIDs }
            report.record("engine", "preempted requests finish with the same output", passed: small.stats.preemptionCount > 0 && equal,
                "\(small.stats.preemptionCount) preemptions, outputs \(equal ? "identical" : "differ")")
        } catch {
            report.record("engine", "engine checks", passed: false, "\(error)")
        }
    }

    /// Greedy with one kind of adjustment per prompt, in turn: each penalty, all three, a logit
    /// bias against the first greedy token, and min_tokens masking the first two.
    static func adjustedParams(_ index: Int, firstTokens: [Int]) -> SamplingParams {
        var params = SamplingParams(temperature: 0, maxTokens: 24, ignoreEOS: true)
        switch index % 6 {
        case 0: params.repetitionPenalty = 1.3
        case 1: params.frequencyPenalty = 0.8
        case 2: params.presencePenalty = 0.6
        case 3: params.repetitionPenalty = 0.9; params.frequencyPenalty = 0.4; params.presencePenalty = -0.3
        case 4: params.logitBias = [firstTokens[0]: -3, firstTokens[1]: 1.5]
        default: params.minTokens = 8; params.stopTokenIDs = Array(firstTokens.prefix(2))
        }
        return params
    }

    /// Each prompt with its own parameters, all submitted at once so the engine batches them.
    static func generateEach(_ params: [SamplingParams], prompts: [String], on llm: LLM) async throws -> [[Int]] {
        try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
            for (index, (prompt, sampling)) in zip(prompts, params).enumerated() {
                group.addTask { (index, try await llm.generate([prompt], sampling: sampling)[0].samples[0].tokenIDs) }
            }
            var results = [[Int]](repeating: [], count: prompts.count)
            for try await (index, tokens) in group { results[index] = tokens }
            return results
        }
    }

    /// How greedy `candidates` agree with `reference` runs that carry the top-2 logprobs: equal,
    /// or differing first where the candidate took the reference's runner-up within
    /// `nearTieNats` of its best.
    static func nearTieAgreement(reference: [Completion.Sample], candidates: [[Int]]) -> NearTieAgreement {
        var same = 0
        var flips: [String] = []
        for (index, (expected, candidate)) in zip(reference, candidates).enumerated() {
            if expected.tokenIDs == candidate { same += 1; continue }
            guard let k = zip(expected.tokenIDs, candidate).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset,
                k < expected.logprobs.count
            else { continue }
            let top = expected.logprobs[k].top
            if top.count >= 2, top[1].tokenID == candidate[k], top[0].logprob - top[1].logprob <= nearTieNats {
                flips.append("prompt \(index) at token \(k), gap \(String(format: "%.4f", top[0].logprob - top[1].logprob)) nats")
            }
        }
        return NearTieAgreement(passed: same + flips.count == reference.count && reference.count == candidates.count, same: same, flips: flips)
    }
}

/// How one set of greedy outputs agrees with another (`EngineChecks.nearTieAgreement`).
struct NearTieAgreement {
    let passed: Bool
    let same: Int
    let flips: [String]

    func summary(of count: Int) -> String {
        "\(same)/\(count) prompts identical" + (flips.isEmpty ? "" : "; near-tie flips: " + flips.joined(separator: ", "))
    }
}
