import FloeCPU
import FloeEngine
import FloeModels
import FloeRunner
import FloeWeights
import Foundation
import Testing

/// Bad model inputs give errors that name the problem (and the file and tensor), never a crash.
@Suite struct ModelErrorTests {
    static let storiesHF = Fixtures.root.appendingPathComponent("stories260K/hf")

    /// A copy of stories260K's HF directory in a temp folder, with `config.json` edited.
    func storiesCopy(editingConfig edit: (inout [String: Any]) -> Void) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.storiesHF, to: directory)
        let configURL = directory.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        return directory
    }

    func loadError(_ path: String) -> String {
        do {
            _ = try ModelLoader.load(path: path, backend: CPUBackend(threads: 1))
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func missingPathIsNamed() {
        #expect(loadError("/nonexistent/model.gguf").contains("/nonexistent/model.gguf"))
    }

    @Test func invalidJSONConfig() throws {
        let directory = try storiesCopy { _ in }
        try Data("{ not json".utf8).write(to: directory.appendingPathComponent("config.json"))
        #expect(loadError(directory.path).contains("config.json is not valid JSON"))
    }

    @Test func wrongTypeNamesTheField() throws {
        let directory = try storiesCopy { $0["hidden_size"] = "sixty-four" }
        #expect(loadError(directory.path).contains("'hidden_size' must be a number"))
    }

    @Test func headCountsMustDivide() throws {
        let directory = try storiesCopy { $0["num_key_value_heads"] = 3 }
        #expect(loadError(directory.path).contains("not a multiple of num_key_value_heads"))
    }

    @Test func unsupportedArchitectureIsNamed() throws {
        let directory = try storiesCopy { $0["architectures"] = ["GPTNeoXForCausalLM"] }
        #expect(loadError(directory.path).contains("GPTNeoXForCausalLM"))
    }

    @Test func configThatDisagreesWithWeightsNamesTensorAndFile() throws {
        let directory = try storiesCopy { $0["intermediate_size"] = 200 }
        let message = loadError(directory.path)
        #expect(message.contains("model.layers.0.mlp.gate_proj.weight"), "\(message)")
        #expect(message.contains("model.safetensors"), "\(message)")
    }

    @Test func missingTensorIsNamed() throws {
        let directory = try storiesCopy { $0["num_hidden_layers"] = 6 }
        #expect(loadError(directory.path).contains("model.layers.5.input_layernorm.weight"))
    }

    @Test func truncatedGGUFNamesTheFile() throws {
        let source = Fixtures.root.appendingPathComponent("stories260K/gguf/stories260K-f32.gguf")
        let data = try Data(contentsOf: source)
        let truncated = FileManager.default.temporaryDirectory.appendingPathComponent("truncated-\(UUID()).gguf")
        try data.prefix(data.count / 2).write(to: truncated)
        let message = loadError(truncated.path)
        #expect(message.contains(truncated.lastPathComponent), "\(message)")
    }

    @Test func outOfVocabularyTokenIsRejected() throws {
        let loaded = try ModelLoader.load(path: Self.storiesHF.path, backend: CPUBackend(threads: 1))
        let generator = SingleSequenceGenerator(model: loaded.model, contextCapacity: 64)
        #expect(throws: ModelError.self) { try generator.logitsForEveryPosition([1, 512]) }
        #expect(throws: ModelError.self) { try generator.logitsForEveryPosition([-1]) }
    }

    @Test func tooLongPromptIsRejectedAndGeneratorStaysUsable() throws {
        let loaded = try ModelLoader.load(path: Self.storiesHF.path, backend: CPUBackend(threads: 1))
        let generator = SingleSequenceGenerator(model: loaded.model, contextCapacity: 16)
        #expect(throws: GenerationError.contextTooLong(needed: 20, capacity: 16)) {
            try generator.generate(prompt: Array(repeating: 1, count: 10), params: SamplingParams(temperature: 0, maxTokens: 11))
        }
        #expect(throws: GenerationError.emptyPrompt) {
            try generator.generate(prompt: [], params: .greedy32)
        }
        var count = 0
        try generator.generate(prompt: [1], params: SamplingParams(temperature: 0, maxTokens: 8)) { _ in
            count += 1
            return true
        }
        #expect(count == 8)
    }
}
