import FloeCPU
import FloeEngine
import FloeModels
import FloeRunner
import FloeWeights
import Foundation
import Testing

/// stories260K (llama2.c's TinyStories Llama) against transformers' fp32 outputs, loaded from
/// both its GGUF (interleaved Q/K layout) and its Hugging Face safetensors (rotate-half layout).
@Suite struct Stories260KTests {
    static let cases = ReferenceCase.load("stories260K/reference_hf.json")
    static let ggufPath = Fixtures.root.appendingPathComponent("stories260K/gguf/stories260K-f32.gguf").path

    static func ggufModel() throws -> LlamaModel {
        let file = try GGUFFile(path: ggufPath)
        return try LlamaModel(
            config: LlamaConfig(gguf: file), weights: ModelWeights(source: file), names: LlamaWeightNames(.gguf),
            ropeStyle: .interleaved, backend: CPUBackend(threads: 2))
    }

    static func huggingFaceModel() throws -> LlamaModel {
        let directory = Fixtures.root.appendingPathComponent("stories260K/hf")
        let config = try LlamaConfig(huggingFaceJSON: Data(contentsOf: directory.appendingPathComponent("config.json")))
        return try LlamaModel(
            config: config, weights: ModelWeights(source: SafetensorsCheckpoint(path: directory.path)),
            names: LlamaWeightNames(.huggingFace), ropeStyle: .halves, backend: CPUBackend(threads: 2))
    }

    @Test func ggufConfigMatchesHuggingFaceConfig() throws {
        let fromGGUF = try LlamaConfig(gguf: GGUFFile(path: Self.ggufPath))
        let json = try Data(contentsOf: Fixtures.root.appendingPathComponent("stories260K/hf/config.json"))
        var fromJSON = try LlamaConfig(huggingFaceJSON: json)
        #expect(fromGGUF.hiddenSize == 64 && fromGGUF.layerCount == 5 && fromGGUF.kvHeadCount == 4)
        fromJSON.eosTokenIDs = fromGGUF.eosTokenIDs
        fromJSON.maxPositions = fromGGUF.maxPositions
        #expect(fromGGUF == fromJSON)
    }

    @Test(arguments: cases, [true, false])
    func matchesReference(_ reference: ReferenceCase, fromGGUF: Bool) throws {
        let model = fromGGUF ? try Self.ggufModel() : try Self.huggingFaceModel()
        let generator = SingleSequenceGenerator(model: model, contextCapacity: 256)
        let logits = try generator.logitsForEveryPosition(reference.inputIDs)
        #expect(logits.map(LogitChecks.argmax) == reference.argmaxPerPosition)
        LogitChecks.expectTop10(logits.last!, reference)
        var generated: [Int] = []
        try generator.generate(prompt: reference.inputIDs, params: SamplingParams(temperature: 0, maxTokens: 32)) {
            generated.append($0)
            return true
        }
        #expect(generated == reference.greedy32IDs)
    }
}

/// The whole pipeline on stories260K: tokenizer from the GGUF, then greedy decoding from BOS
/// reproduces the story llama2.c's README publishes for this model.
@Suite struct Stories260KStoryTests {
    static let published = """
        Once upon a time, there was a little girl named Lily. She loved to play outside in the park. \
        One day, she saw a big, red ball. She wanted to play with it, but it was too high.
        Lily's mom said, "Lily, let's go to the park." Lily was sad and didn't know what to do.
        """

    @Test func greedyFromBOSTellsThePublishedStory() throws {
        let loaded = try ModelLoader.load(path: Stories260KTests.ggufPath, backend: CPUBackend(threads: 2))
        let bos = try #require(loaded.tokenizer.bosTokenID)
        let generator = SingleSequenceGenerator(model: loaded.model, contextCapacity: 256)
        var ids: [Int] = []
        try generator.generate(prompt: [bos], params: SamplingParams(temperature: 0, maxTokens: 120)) {
            ids.append($0)
            return true
        }
        let text = loaded.tokenizer.decode(ids, skipSpecialTokens: true)
        #expect(text.hasPrefix(Self.published), "got: \(text)")
    }

    @Test(arguments: Stories260KTests.cases)
    func tokenizerGivesReferenceIDs(_ reference: ReferenceCase) throws {
        let loaded = try ModelLoader.load(path: Stories260KTests.ggufPath, backend: CPUBackend(threads: 1))
        #expect(loaded.tokenizer.encode(reference.prompt) == reference.inputIDs)
        let huggingFace = try ModelLoader.load(
            path: Fixtures.root.appendingPathComponent("stories260K/hf").path, backend: CPUBackend(threads: 1))
        #expect(huggingFace.tokenizer.encode(reference.prompt) == reference.inputIDs)
    }
}
