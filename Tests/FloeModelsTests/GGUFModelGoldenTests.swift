import FloeCPU
import FloeEngine
import FloeModels
import FloeRunner
import FloeTokenizers
import Foundation
import Testing

/// Real quantized chat models, loaded the way `floe generate` loads them (weights, tokenizer
/// and chat template all from the GGUF), against transformers' fp32 run on the same
/// dequantized weights: the prompt's ids, the argmax at every position, the last position's
/// top-10 logits (1e-3 relative) and 32 greedy tokens.
@Suite(.serialized) struct GGUFModelGoldenTests {
    struct Model: Sendable, CustomTestStringConvertible {
        let file: String
        let reference: String
        var testDescription: String { file }
    }

    static let models = [
        Model(file: Fixtures.smolLM2, reference: "SmolLM2-135M-Instruct/reference_gguf_q4_1.json"),
        Model(file: Fixtures.qwen05B, reference: "Qwen2.5-Coder-0.5B-Instruct/reference_gguf.json"),
    ]

    @Test(arguments: models)
    func matchesTransformers(_ model: Model) throws {
        let path = try #require(
            Fixtures.model(model.file), "\(model.file) is missing: run scripts/fetch-model.sh first")
        let loaded = try ModelLoader.load(path: path, backend: CPUBackend())
        let generator = SingleSequenceGenerator(model: loaded.model, contextCapacity: 256)
        for reference in ReferenceCase.load(model.reference) {
            let ids: [Int]
            if reference.kind == "chat" {
                let template = try #require(loaded.chatTemplate)
                let text = try loaded.renderChat(template: template, messages: [ChatMessage(role: "user", reference.prompt)])
                ids = loaded.tokenizer.encode(text, addSpecialTokens: false)
            } else {
                ids = loaded.tokenizer.encode(reference.prompt)
            }
            #expect(ids == reference.inputIDs, "\(reference.testDescription): prompt ids")

            let logits = try generator.logitsForEveryPosition(reference.inputIDs)
            #expect(logits.map(LogitChecks.argmax) == reference.argmaxPerPosition, "\(reference.testDescription)")
            LogitChecks.expectTop10(logits.last!, reference)

            var generated: [Int] = []
            try generator.generate(prompt: reference.inputIDs, params: .greedy32, stopTokens: loaded.stopTokenIDs) {
                generated.append($0)
                return true
            }
            #expect(generated == reference.greedy32IDs, "\(reference.testDescription): greedy tokens")
            #expect(loaded.tokenizer.decode(generated, skipSpecialTokens: false) == reference.greedy32Text)
        }
    }
}

extension SamplingParams {
    static let greedy32 = SamplingParams(temperature: 0, maxTokens: 32)
}
