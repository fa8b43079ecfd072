import Foundation
import FloeModels
import FloeTensor
import FloeTokenizers
import FloeWeights

/// An embedding model loaded from a sentence-transformers (or bare `BertModel`) folder: the
/// tokenizer, the encoder and its pooling pipeline, and the input length limit.
///
/// The folder's `tokenizer.json` may carry fixed padding and truncation (MiniLM pads to 128);
/// sentence-transformers ignores them in favour of `max_seq_length`, and so does this type:
/// texts are encoded without padding and cut (or rejected) at `maxInputTokens`.
public final class EmbeddingModel: Sendable {
    public let tokenizer: Tokenizer
    public let embedder: SentenceEmbedder
    /// The longest input in tokens, special tokens included.
    public let maxInputTokens: Int
    /// The folder's name, the default served model name.
    public let name: String

    public var dimension: Int { embedder.dimension }

    public init(tokenizer: Tokenizer, embedder: SentenceEmbedder, maxInputTokens: Int, name: String) {
        self.tokenizer = tokenizer
        self.embedder = embedder
        self.maxInputTokens = maxInputTokens
        self.name = name
    }

    /// Whether `path` is a folder this type loads: a `modules.json`, or a `config.json` whose
    /// architecture is a BERT encoder.
    public static func isEmbeddingModel(path: String) -> Bool {
        let base = URL(fileURLWithPath: path)
        if SentenceTransformerConfig.isSentenceTransformer(directory: base) { return true }
        guard let data = try? Data(contentsOf: base.appendingPathComponent("config.json")),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let architectures = object["architectures"] as? [String]
        else { return false }
        return architectures.contains { BertConfig.architectures.contains($0) }
    }

    public static func load(directory: String, backend: any EncoderBackend) throws -> EmbeddingModel {
        let base = URL(fileURLWithPath: directory)
        guard let configData = try? Data(contentsOf: base.appendingPathComponent("config.json")) else {
            throw ModelError.invalidConfig("\(directory) has no readable config.json")
        }
        let config = try BertConfig(huggingFaceJSON: configData)
        let pipeline = try SentenceTransformerConfig(directory: base)
        let model = try BertModel(config: config, weights: ModelWeights(source: try SafetensorsCheckpoint(path: directory)), backend: backend)
        let tokenizer = try Tokenizer(tokenizerJSON: base.appendingPathComponent("tokenizer.json"))
        let limit = min(pipeline.maxSequenceLength ?? config.maxPositions, config.maxPositions)
        return EmbeddingModel(
            tokenizer: tokenizer, embedder: try SentenceEmbedder(model: model, pipeline: pipeline), maxInputTokens: limit,
            name: base.standardizedFileURL.lastPathComponent)
    }

    /// Another instance of this model on `backend` (this one's backend, or a sibling of it on
    /// the same device) sharing the tokenizer and the weights, for another model thread of
    /// `EmbeddingEngine`; see `BertModel.replica(on:)`.
    public func replica(on backend: any EncoderBackend) throws -> EmbeddingModel {
        EmbeddingModel(tokenizer: tokenizer, embedder: try embedder.replica(on: backend), maxInputTokens: maxInputTokens, name: name)
    }

    /// The token ids the model sees for `text`: special tokens added, no padding. A text over
    /// `maxInputTokens` is rejected, unless `truncateTo` is set: then it is cut to
    /// `min(truncateTo, maxInputTokens)` tokens as sentence-transformers cuts (the content's
    /// end goes, the special tokens stay). An empty text embeds as its special tokens alone, as
    /// in sentence-transformers (the servers refuse empty texts, as OpenAI's API does).
    public func tokenize(_ text: String, truncateTo: Int? = nil) throws(EmbeddingInputError) -> [Int32] {
        var content = tokenizer.encode(text, addSpecialTokens: false)
        let specials = tokenizer.postProcessor?.process([], addSpecialTokens: true).count ?? 0
        let limit = min(truncateTo ?? maxInputTokens, maxInputTokens)
        if content.count + specials > limit {
            guard truncateTo != nil, limit > specials else {
                throw .tooLong(tokens: content.count + specials, limit: limit)
            }
            content.removeLast(content.count + specials - limit)
        }
        let ids = tokenizer.postProcessor?.process(content, addSpecialTokens: true) ?? content
        return ids.map { Int32(truncatingIfNeeded: $0) }
    }

    /// Checks pre-tokenized input: not empty, ids inside the vocabulary, and not over
    /// `maxInputTokens` (cut to its first `min(truncateTo, maxInputTokens)` ids when
    /// `truncateTo` is set).
    public func check(tokens: [Int32], truncateTo: Int? = nil) throws(EmbeddingInputError) -> [Int32] {
        if tokens.isEmpty { throw .empty }
        let vocabulary = embedder.model.config.vocabularySize
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= vocabulary }) {
            throw .tokenOutOfRange(token: bad, vocabularySize: vocabulary)
        }
        let limit = min(truncateTo ?? maxInputTokens, maxInputTokens)
        if tokens.count > limit {
            guard truncateTo != nil, limit > 0 else { throw .tooLong(tokens: tokens.count, limit: limit) }
            return Array(tokens.prefix(limit))
        }
        return tokens
    }
}

/// Why one input of an embedding request cannot be embedded.
public enum EmbeddingInputError: Error, CustomStringConvertible, Equatable {
    case empty
    case tooLong(tokens: Int, limit: Int)
    case tokenOutOfRange(token: Int32, vocabularySize: Int)

    public var description: String {
        switch self {
        case .empty: "the input is empty"
        case .tooLong(let tokens, let limit):
            "the input has \(tokens) tokens, more than the maximum of \(limit); shorten it or ask for truncation"
        case .tokenOutOfRange(let token, let vocabularySize):
            "token id \(token) is outside the vocabulary [0, \(vocabularySize))"
        }
    }
}
