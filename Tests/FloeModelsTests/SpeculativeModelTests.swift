import FloeCPU
import Foundation
import FloeEngine
import FloeRunner
import Testing

/// Suffix decoding on a real model (SmolLM2-135M Q4_1, CPU): greedy output must be token for
/// token what the model produces without speculation, on prompts where drafts are mostly
/// right (code and lists the answer repeats) and mostly wrong (open text).
@Suite(.serialized) struct SpeculativeModelTests {
    static let functions = [
        "def area(width, height):\n    return width * height\n",
        "def greet(name):\n    message = 'Hello, ' + name\n    print(message)\n    return message\n",
        "for index in range(10):\n    total = total + values[index]\n    print(index, total)\n",
        "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n",
        "func add(_ a: Int, _ b: Int) -> Int {\n    return a + b\n}\n",
    ]
    static let lists = [
        "apple, banana, cherry, date, elderberry, fig, grape", "red, orange, yellow, green, blue, indigo, violet",
        "Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday", "one, two, three, four, five, six, seven",
        "Paris, London, Berlin, Madrid, Rome, Vienna, Prague",
    ]
    static let topics = [
        "the ocean", "volcanoes", "the history of Rome", "photosynthesis", "jazz music", "the moon landing", "bees",
        "machine learning", "the French revolution", "coffee", "mountains", "the printing press", "rainforests",
        "the stock market", "chess", "the human heart", "glaciers", "ancient Egypt", "electric cars", "the internet",
    ]

    /// 110 prompts: 40 code edits and 40 list repeats (answers that copy the prompt), 30 open ones.
    static var prompts: [String] {
        var prompts: [String] = []
        for (index, function) in functions.enumerated() {
            for variant in 0..<8 {
                let head = String(function.prefix(12 + 3 * variant))
                prompts.append("Original code:\n\(function)\nThe same code, copied exactly (version \(index + variant)):\n\(head)")
            }
        }
        for list in lists {
            for variant in 0..<8 {
                let items = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let shift = variant % items.count
                let rotated = Array(items[shift...] + items[..<shift])
                let text = rotated.joined(separator: ", ")
                prompts.append("List: \(text).\nList again: \(text).\nList once more: \(rotated.prefix(1 + variant % 3).joined(separator: ", "))")
            }
        }
        for topic in topics { prompts.append("Write a short paragraph about \(topic).") }
        prompts += EngineModelTests.prompts.prefix(10)
        return prompts
    }

    static func makeLLM(_ speculative: SpeculativeConfig?) throws -> LLM {
        let path = try #require(Fixtures.model(Fixtures.smolLM2), "run scripts/fetch-model.sh smollm2-135m first")
        return try LLM(
            model: path, backend: CPUBackend(),
            options: EngineOptions(kvCacheBytes: 96 << 20, maxModelLen: 256, speculative: speculative))
    }

    @Test func greedyOutputWithSuffixDecodingIsTokenIdentical() async throws {
        let prompts = Self.prompts
        #expect(prompts.count >= 100)
        let params = SamplingParams(temperature: 0, maxTokens: 16, ignoreEOS: true)
        let plain = try await Self.makeLLM(nil).generate(prompts, sampling: params)
        let llm = try Self.makeLLM(SpeculativeConfig())
        let speculative = try await llm.generate(prompts, sampling: params)
        for (index, prompt) in prompts.enumerated() {
            #expect(speculative[index].samples[0].tokenIDs == plain[index].samples[0].tokenIDs, "\(prompt)")
        }
        let stats = llm.stats.speculative
        // The repetitive half is where drafts land: many are drafted and a good share accepted.
        #expect(stats.draftedTokens > 500 && stats.acceptanceRate > 0.3, "\(stats)")
        #expect(llm.stats.kvCacheUsage == 0)
    }

    @Test func sampledRequestsWithSuffixDecodingFinish() async throws {
        let llm = try Self.makeLLM(SpeculativeConfig())
        let params = SamplingParams(temperature: 0.8, seed: 11, maxTokens: 12, ignoreEOS: true)
        let completions = try await llm.generate(Array(Self.prompts.prefix(12)), sampling: params)
        #expect(completions.allSatisfy { $0.samples[0].tokenIDs.count == 12 })
        #expect(llm.stats.speculative.draftedTokens > 0)
    }
}
