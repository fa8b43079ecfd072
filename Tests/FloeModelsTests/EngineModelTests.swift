import FloeCPU
import FloeEngine
import FloeRunner
import FloeTokenizers
import Foundation
import FloeModels
import Testing

/// The engine driving a real model (SmolLM2-135M Q4_1 on the CPU): batching, prefix caching,
/// seeding and preemption must not change what a request generates.
@Suite(.serialized) struct EngineModelTests {
    static let prompts: [String] = [
        "Once upon a time", "The capital of France is", "def fibonacci(n):\n",
        "Write a haiku about the sea.", "1, 2, 3, 4,", "Swift is a programming language that",
        "The quick brown fox jumps over the lazy dog. The quick brown fox", "Hello",
        "In 1969, the first humans", "import numpy as np\nimport", "Q: What is 2 + 2?\nA:",
        "A list of fruits: apple, banana,", "The mitochondria is", "Dear Sir or Madam,\n\nI am writing",
        "for i in range(10):", "Roses are red, violets are blue,",
    ]

    static func makeLLM(_ options: EngineOptions = EngineOptions(kvCacheBytes: 64 << 20, maxModelLen: 512)) throws -> LLM {
        let path = try #require(Fixtures.model(Fixtures.smolLM2), "run scripts/fetch-model.sh smollm2-135m first")
        return try LLM(model: path, backend: CPUBackend(), options: options)
    }

    static let greedy = SamplingParams(temperature: 0, maxTokens: 24, ignoreEOS: true)

    @Test func batchedGreedyEqualsEachAlone() async throws {
        let llm = try Self.makeLLM(EngineOptions(kvCacheBytes: 64 << 20, maxModelLen: 512, enablesPrefixCaching: false))
        let together = try await llm.generate(Self.prompts, sampling: Self.greedy)
        for (index, prompt) in Self.prompts.enumerated() {
            let alone = try await llm.generate([prompt], sampling: Self.greedy)[0]
            #expect(alone.samples[0].tokenIDs == together[index].samples[0].tokenIDs, "\(prompt)")
            #expect(alone.text == together[index].text)
        }
        #expect(together.allSatisfy { $0.samples[0].tokenIDs.count == 24 && $0.samples[0].finishReason == .length })
    }

    @Test func prefixCacheHitSkipsTokensAndKeepsOutput() async throws {
        let llm = try Self.makeLLM()
        let prompt = String(repeating: "The history of the city begins with a small village by the river. ", count: 4)
        let first = try await llm.generate([prompt], sampling: Self.greedy)[0]
        let before = llm.stats.prefixCache
        let second = try await llm.generate([prompt], sampling: Self.greedy)[0]
        let after = llm.stats.prefixCache
        #expect(second.samples[0].tokenIDs == first.samples[0].tokenIDs)
        let promptTokens = first.promptTokenIDs.count
        // Every full block of the prompt but the one holding the last token comes from the cache.
        #expect(after.hitTokens - before.hitTokens >= (promptTokens - 1) / 16 * 16)
        #expect(after.hitTokens - before.hitTokens > 0)
    }

    @Test func seededSamplingIsIndependentOfBatch() async throws {
        let llm = try Self.makeLLM()
        let seeded = SamplingParams(temperature: 0.9, topP: 0.95, seed: 1234, maxTokens: 20, ignoreEOS: true)
        let alone = try await llm.generate([Self.prompts[0]], sampling: seeded)[0]
        let batched = try await llm.generate(Array(Self.prompts.prefix(6)), sampling: seeded)[0]
        #expect(alone.samples[0].tokenIDs == batched.samples[0].tokenIDs)
    }

    @Test func preemptedRequestsFinishWithTheSameOutput() async throws {
        // 12 blocks of 16 tokens for 6 requests that each need 2–3 blocks: some must be preempted.
        let blockBytes = 30 * 2 * 16 * 3 * 64 * 4
        let small = try Self.makeLLM(EngineOptions(kvCacheBytes: 12 * blockBytes, maxModelLen: 96, maxNumSeqs: 6))
        let prompts = Array(Self.prompts.suffix(6))
        let params = SamplingParams(temperature: 0, maxTokens: 24, ignoreEOS: true)
        let squeezed = try await small.generate(prompts, sampling: params)
        #expect(small.stats.preemptionCount > 0)
        let roomy = try Self.makeLLM()
        let reference = try await roomy.generate(prompts, sampling: params)
        #expect(squeezed.map { $0.samples[0].tokenIDs } == reference.map { $0.samples[0].tokenIDs })
    }

    @Test func stopStringEndsTheSampleAndIsNotEmitted() async throws {
        let llm = try Self.makeLLM()
        let free = try await llm.generate(["The capital of France is"], sampling: SamplingParams(temperature: 0, maxTokens: 12))[0]
        let stop = try #require(free.text.split(separator: " ").dropFirst().first.map(String.init), "output: \(free.text)")
        let params = SamplingParams(temperature: 0, maxTokens: 12, stop: [stop])
        let stopped = try await llm.generate(["The capital of France is"], sampling: params)[0]
        #expect(stopped.samples[0].finishReason == .stop)
        #expect(stopped.samples[0].stopString == stop)
        #expect(!stopped.text.contains(stop))
        #expect(free.text.hasPrefix(stopped.text))
    }

    @Test func parallelSamplesShareThePrompt() async throws {
        let llm = try Self.makeLLM()
        let params = SamplingParams(temperature: 1, seed: 7, maxTokens: 16, n: 3, ignoreEOS: true)
        let completion = try await llm.generate(["Once upon a time"], sampling: params)[0]
        #expect(completion.samples.count == 3)
        #expect(Set(completion.samples.map(\.tokenIDs)).count > 1)
        #expect(completion.samples.allSatisfy { $0.tokenIDs.count == 16 })
    }
}

extension EngineModelTests {
    /// Prompt logprobs through the engine (chunked, batched with another request) equal the
    /// log-softmax of one plain forward pass over the prompt.
    @Test func promptLogprobsMatchAFullForwardPass() async throws {
        let llm = try Self.makeLLM(EngineOptions(kvCacheBytes: 64 << 20, maxModelLen: 512, maxNumBatchedTokens: 8))
        let prompt = "The quick brown fox jumps over the lazy dog."
        async let other = llm.generate(["Once upon a time"], sampling: Self.greedy)
        let completion = try await llm.generate(
            [prompt], sampling: SamplingParams(temperature: 0, maxTokens: 2, promptLogprobs: 3))[0]
        _ = try await other
        let ids = completion.promptTokenIDs
        #expect(completion.promptLogprobs.count == ids.count)
        #expect(completion.promptLogprobs.first! == nil)

        let generator = SingleSequenceGenerator(model: llm.loaded.model, contextCapacity: 64)
        let logits = try generator.logitsForEveryPosition(ids)
        for position in 1..<ids.count {
            let entry = try #require(completion.promptLogprobs[position])
            let row = logits[position - 1]
            let maxLogit = row.max()!
            let logSum = maxLogit + log(row.reduce(0) { $0 + exp(Double($1 - maxLogit)) }).floatValue
            #expect(entry.chosen.tokenID == ids[position])
            #expect(abs(entry.chosen.logprob - (row[ids[position]] - logSum)) < 1e-3)
            #expect(entry.top.count == 3 && entry.top[0].rank == 1)
        }
    }
}

private extension Double {
    var floatValue: Float { Float(self) }
}

extension EngineModelTests {
    @Test func streamedTextEqualsTheCompletion() async throws {
        let llm = try Self.makeLLM()
        let params = SamplingParams(temperature: 0, maxTokens: 20)
        let prompt = llm.tokenizer.encode("Once upon a time")
        let completion = try await llm.generate(promptTokenIDs: [prompt], sampling: params)[0]
        var text = "", tokens: [Int] = [], reasons: [FinishReason?] = []
        for try await delta in try llm.stream(promptTokenIDs: prompt, sampling: params) {
            text += delta.text
            tokens += delta.tokenIDs
            reasons.append(delta.finishReason)
        }
        #expect(text == completion.text)
        #expect(tokens == completion.samples[0].tokenIDs)
        #expect(reasons.last! != nil && reasons.dropLast().allSatisfy { $0 == nil })
    }

    @Test func chatUsesTheTemplate() async throws {
        let llm = try Self.makeLLM()
        let answer = try await llm.chat(
            [ChatMessage(role: "user", "What is the capital of France?")], sampling: SamplingParams(temperature: 0, maxTokens: 16))
        #expect(answer.text == "The capital of France is Paris.")
        #expect(answer.samples[0].finishReason == .stop)
    }
}
