import Foundation

/// The hyper-parameters of a BERT-family encoder (`BertModel` in Hugging Face's `config.json`):
/// all-MiniLM, snowflake-arctic-embed-m/-s/-xs (v1/v1.5), bge and e5 share this shape —
/// absolute position embeddings, token types, post-LayerNorm blocks, GELU.
public struct BertConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var vocabularySize: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEpsilon: Float

    /// The `architectures` entries this file can serve.
    public static let architectures: Set<String> = ["BertModel", "BertForMaskedLM", "BertForPreTraining"]

    public var headDim: Int { hiddenSize / headCount }

    public init(
        hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int, vocabularySize: Int,
        maxPositions: Int, typeVocabularySize: Int = 2, layerNormEpsilon: Float = 1e-12
    ) throws {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.vocabularySize = vocabularySize
        self.maxPositions = maxPositions
        self.typeVocabularySize = typeVocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        try validate()
    }

    /// Reads a Hugging Face `config.json`; rejects what this implementation does not compute
    /// (another activation, relative position embeddings) rather than computing it wrongly.
    public init(huggingFaceJSON data: Data) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidConfig("config.json is not a JSON object")
        }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            if let number = object[key] as? Int { return number }
            if let value { return value }
            throw ModelError.invalidConfig("config.json has no integer '\(key)'")
        }
        if let architectures = object["architectures"] as? [String],
            let name = architectures.first, !Self.architectures.contains(name)
        {
            throw ModelError.unsupportedArchitecture(name)
        }
        let activation = object["hidden_act"] as? String ?? "gelu"
        guard activation == "gelu" else {
            throw ModelError.invalidConfig("hidden_act '\(activation)' is not supported (only \"gelu\", the erf form)")
        }
        let positions = object["position_embedding_type"] as? String ?? "absolute"
        guard positions == "absolute" else {
            throw ModelError.invalidConfig("position_embedding_type '\(positions)' is not supported (only \"absolute\")")
        }
        try self.init(
            hiddenSize: try int("hidden_size"), intermediateSize: try int("intermediate_size"),
            layerCount: try int("num_hidden_layers"), headCount: try int("num_attention_heads"),
            vocabularySize: try int("vocab_size"), maxPositions: try int("max_position_embeddings", default: 512),
            typeVocabularySize: try int("type_vocab_size", default: 2),
            layerNormEpsilon: (object["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12)
    }

    /// Rejects configs that would make the forward pass index out of bounds.
    public func validate() throws {
        let positive: [(String, Int)] = [
            ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize), ("num_hidden_layers", layerCount),
            ("num_attention_heads", headCount), ("vocab_size", vocabularySize),
            ("max_position_embeddings", maxPositions), ("type_vocab_size", typeVocabularySize),
        ]
        for (name, value) in positive where value <= 0 {
            throw ModelError.invalidConfig("\(name) must be positive, got \(value)")
        }
        guard hiddenSize % headCount == 0 else {
            throw ModelError.invalidConfig("hidden_size (\(hiddenSize)) is not a multiple of num_attention_heads (\(headCount))")
        }
    }
}
