import Foundation

/// The hyper-parameters of a Llama-family decoder (Llama 2/3, Mistral, Qwen2), mirroring the
/// fields of a Hugging Face `config.json`. GGUF metadata maps onto the same struct.
public struct LlamaConfig: Sendable, Equatable {
    public var architecture: String
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var vocabularySize: Int
    public var maxPositions: Int
    public var rmsNormEpsilon: Float
    public var rope: RoPEConfig
    public var tiedEmbeddings: Bool
    /// Qwen2 has biases on the Q, K and V projections.
    public var hasQKVBias: Bool
    public var bosTokenID: Int?
    public var eosTokenIDs: [Int]

    public init(
        architecture: String, hiddenSize: Int, intermediateSize: Int, layerCount: Int,
        headCount: Int, kvHeadCount: Int, headDim: Int? = nil, vocabularySize: Int,
        maxPositions: Int, rmsNormEpsilon: Float, rope: RoPEConfig, tiedEmbeddings: Bool,
        hasQKVBias: Bool, bosTokenID: Int? = nil, eosTokenIDs: [Int] = []
    ) throws {
        self.architecture = architecture
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim ?? (headCount > 0 ? hiddenSize / headCount : 0)
        self.vocabularySize = vocabularySize
        self.maxPositions = maxPositions
        self.rmsNormEpsilon = rmsNormEpsilon
        self.rope = rope
        self.tiedEmbeddings = tiedEmbeddings
        self.hasQKVBias = hasQKVBias
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        try validate()
    }

    /// Rejects configs that would make the forward pass index out of bounds.
    public func validate() throws {
        let positive: [(String, Int)] = [
            ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
            ("num_hidden_layers", layerCount), ("num_attention_heads", headCount),
            ("num_key_value_heads", kvHeadCount), ("head_dim", headDim), ("vocab_size", vocabularySize),
            ("max_position_embeddings", maxPositions),
        ]
        for (name, value) in positive where value <= 0 {
            throw ModelError.invalidConfig("\(name) must be positive, got \(value)")
        }
        guard headCount % kvHeadCount == 0 else {
            throw ModelError.invalidConfig(
                "num_attention_heads (\(headCount)) is not a multiple of num_key_value_heads (\(kvHeadCount))")
        }
        guard headDim % 2 == 0 else { throw ModelError.invalidConfig("head_dim \(headDim) is odd; RoPE needs pairs") }
        guard rmsNormEpsilon > 0, rmsNormEpsilon.isFinite else {
            throw ModelError.invalidConfig("rms_norm_eps must be positive, got \(rmsNormEpsilon)")
        }
        guard rope.theta > 0, rope.theta.isFinite else {
            throw ModelError.invalidConfig("rope_theta must be positive, got \(rope.theta)")
        }
    }
}

extension LlamaConfig {
    /// Reads a Hugging Face `config.json` of `LlamaForCausalLM`, `MistralForCausalLM` or
    /// `Qwen2ForCausalLM`, including transformers v5's `rope_parameters`.
    public init(huggingFaceJSON data: Data) throws {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw ModelError.invalidConfig("config.json is not valid JSON: \(error.localizedDescription)")
        }
        guard let json = object as? [String: Any] else { throw ModelError.invalidConfig("config.json is not an object") }
        let reader = JSONFields(json)
        let architecture = (json["architectures"] as? [String])?.first ?? reader.string("model_type") ?? "?"
        let modelType = reader.string("model_type") ?? ""
        let ropeParameters = JSONFields((json["rope_parameters"] as? [String: Any]) ?? [:])
        let scaling = JSONFields((json["rope_scaling"] as? [String: Any]) ?? (json["rope_parameters"] as? [String: Any]) ?? [:])
        let theta = try reader.double("rope_theta") ?? ropeParameters.double("rope_theta") ?? 10_000
        var scalingKind = RoPEConfig.Scaling.none
        if let type = scaling.string("rope_type") ?? scaling.string("type"), type == "llama3" {
            scalingKind = .llama3(
                factor: Float(try scaling.require("factor")),
                lowFrequencyFactor: Float(try scaling.require("low_freq_factor")),
                highFrequencyFactor: Float(try scaling.require("high_freq_factor")),
                originalMaxPositions: Int(try scaling.require("original_max_position_embeddings")))
        } else if let type = scaling.string("rope_type") ?? scaling.string("type"), type != "default" {
            throw ModelError.invalidConfig("rope scaling type '\(type)' is not supported")
        }
        let eos: [Int]
        if let list = json["eos_token_id"] as? [Int] { eos = list } else if let one = json["eos_token_id"] as? Int { eos = [one] } else { eos = [] }
        try self.init(
            architecture: architecture,
            hiddenSize: try reader.requireInt("hidden_size"),
            intermediateSize: try reader.requireInt("intermediate_size"),
            layerCount: try reader.requireInt("num_hidden_layers"),
            headCount: try reader.requireInt("num_attention_heads"),
            kvHeadCount: try reader.int("num_key_value_heads") ?? reader.requireInt("num_attention_heads"),
            headDim: try reader.int("head_dim"),
            vocabularySize: try reader.requireInt("vocab_size"),
            maxPositions: try reader.int("max_position_embeddings") ?? 2048,
            rmsNormEpsilon: Float(try reader.double("rms_norm_eps") ?? 1e-6),
            rope: RoPEConfig(theta: Float(theta), scaling: scalingKind),
            tiedEmbeddings: (json["tie_word_embeddings"] as? Bool) ?? false,
            hasQKVBias: modelType == "qwen2" || architecture == "Qwen2ForCausalLM" || (json["attention_bias"] as? Bool) == true,
            bosTokenID: try reader.int("bos_token_id"),
            eosTokenIDs: eos)
    }
}

/// Typed reads of `config.json` fields that name the field when it has the wrong type.
struct JSONFields {
    let object: [String: Any]
    init(_ object: [String: Any]) { self.object = object }

    func string(_ key: String) -> String? { object[key] as? String }

    func double(_ key: String) throws -> Double? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        // JSON booleans also arrive as NSNumber; their Objective-C type code is "c".
        if let number = value as? NSNumber, String(cString: number.objCType) != "c" { return number.doubleValue }
        throw ModelError.invalidConfig("'\(key)' must be a number, got \(value)")
    }

    func int(_ key: String) throws -> Int? {
        guard let value = try double(key) else { return nil }
        guard value == value.rounded(), abs(value) < 1e15 else {
            throw ModelError.invalidConfig("'\(key)' must be an integer, got \(value)")
        }
        return Int(value)
    }

    func require(_ key: String) throws -> Double {
        guard let value = try double(key) else { throw ModelError.invalidConfig("missing '\(key)'") }
        return value
    }

    func requireInt(_ key: String) throws -> Int {
        guard let value = try int(key) else { throw ModelError.invalidConfig("missing '\(key)'") }
        return value
    }
}
