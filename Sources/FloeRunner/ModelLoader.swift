import FloeModels
import FloeTensor
import FloeTokenizers
import FloeWeights
import Foundation

/// A model ready to run: weights on a backend, its tokenizer, its chat template.
public struct LoadedModel: Sendable {
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate?
    /// Tokens that end a generation: the config's EOS ids plus the tokenizer's.
    public let stopTokenIDs: Set<Int>
    /// Spelled-out special tokens that templates refer to (`bos_token`, `eos_token`).
    public let bosToken: String?
    public let eosToken: String?

    /// Renders `messages` with the chat template, ready to tokenize without adding specials.
    public func renderChat(template: ChatTemplate, messages: [ChatMessage], addGenerationPrompt: Bool = true) throws
        -> String
    {
        var extra: [String: TemplateValue] = [:]
        if let bosToken { extra["bos_token"] = .string(bosToken) }
        if let eosToken { extra["eos_token"] = .string(eosToken) }
        return try template.render(messages: messages, addGenerationPrompt: addGenerationPrompt, extraContext: extra)
    }
}

/// Opens a model from a GGUF file or a Hugging Face directory, choosing the architecture from
/// the file's own description (`general.architecture` or `config.json`'s `architectures`).
public enum ModelLoader {
    public static func load(path: String, backend: any Backend, parallel: ParallelContext = ParallelContext()) throws
        -> LoadedModel
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoaderError.notFound(path)
        }
        return isDirectory.boolValue
            ? try loadHuggingFace(directory: path, backend: backend, parallel: parallel)
            : try loadGGUF(path: path, backend: backend, parallel: parallel)
    }

    static func loadGGUF(path: String, backend: any Backend, parallel: ParallelContext) throws -> LoadedModel {
        let file = try GGUFFile(path: path)
        let config = try LlamaConfig(gguf: file)
        let architecture = try file.string("general.architecture")
        let model = try LlamaModel(
            config: config, weights: ModelWeights(source: file, parallel: parallel), names: LlamaWeightNames(.gguf),
            ropeStyle: architecture == "qwen2" ? .halves : .interleaved, backend: backend)
        let tokenizer = try Tokenizer(gguf: try GGUFVocabulary(file: file))
        let template = try (try? file.string("tokenizer.chat_template")).map { try ChatTemplate($0) }
        return LoadedModel(model: model, tokenizer: tokenizer, config: config, chatTemplate: template)
    }

    static func loadHuggingFace(directory: String, backend: any Backend, parallel: ParallelContext) throws
        -> LoadedModel
    {
        let base = URL(fileURLWithPath: directory)
        let config = try LlamaConfig(huggingFaceJSON: try read(base.appendingPathComponent("config.json")))
        guard LlamaConfig.huggingFaceArchitectures.contains(config.architecture) else {
            throw ModelError.unsupportedArchitecture(config.architecture)
        }
        let checkpoint = try SafetensorsCheckpoint(path: directory)
        let model = try LlamaModel(
            config: config, weights: ModelWeights(source: checkpoint, parallel: parallel),
            names: LlamaWeightNames(.huggingFace), ropeStyle: .halves, backend: backend)
        let tokenizer = try Tokenizer(tokenizerJSON: try read(base.appendingPathComponent("tokenizer.json")))
        // transformers reads chat_template.jinja first, then tokenizer_config.json's field.
        var templateSource = try? String(contentsOf: base.appendingPathComponent("chat_template.jinja"), encoding: .utf8)
        if templateSource == nil,
            let data = try? Data(contentsOf: base.appendingPathComponent("tokenizer_config.json")),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            templateSource = object["chat_template"] as? String
        }
        let template = try templateSource.map { try ChatTemplate($0) }
        return LoadedModel(model: model, tokenizer: tokenizer, config: config, chatTemplate: template)
    }

    private static func read(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch { throw LoaderError.unreadable(url.path, error.localizedDescription) }
    }
}

extension LoadedModel {
    init(model: LlamaModel, tokenizer: Tokenizer, config: LlamaConfig, chatTemplate: ChatTemplate?) {
        var stops = Set(config.eosTokenIDs)
        stops.formUnion(tokenizer.eosTokenIDs)
        self.init(
            model: model, tokenizer: tokenizer, chatTemplate: chatTemplate, stopTokenIDs: stops,
            bosToken: tokenizer.bosTokenID.flatMap(tokenizer.token(for:)),
            eosToken: (config.eosTokenIDs.first ?? tokenizer.eosTokenIDs.first).flatMap(tokenizer.token(for:)))
    }
}

extension LlamaConfig {
    static let huggingFaceArchitectures: Set<String> = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"]
}

public enum LoaderError: Error, CustomStringConvertible {
    case notFound(String)
    case unreadable(String, String)

    public var description: String {
        switch self {
        case .notFound(let path): "no model at '\(path)' (expected a .gguf file or a directory with config.json)"
        case .unreadable(let path, let reason): "cannot read '\(path)': \(reason)"
        }
    }
}
