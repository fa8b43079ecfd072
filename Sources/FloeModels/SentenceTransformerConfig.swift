import Foundation
import FloeTensor

/// The sentence-transformers pipeline of a model folder: how token states become one
/// embedding. Read from `modules.json` (which modules run, in order), the Pooling module's
/// `config.json`, and `sentence_bert_config.json` (`max_seq_length`).
public struct SentenceTransformerConfig: Sendable, Equatable {
    public var pooling: PoolingMode
    /// Whether a `Normalize` module scales each embedding to unit length.
    public var normalize: Bool
    /// The longest input in tokens, special tokens included (sentence-transformers truncates to it).
    public var maxSequenceLength: Int?
    /// The embedding width the Pooling module declares, if it does.
    public var dimension: Int?

    public init(pooling: PoolingMode, normalize: Bool, maxSequenceLength: Int? = nil, dimension: Int? = nil) {
        self.pooling = pooling
        self.normalize = normalize
        self.maxSequenceLength = maxSequenceLength
        self.dimension = dimension
    }

    /// Whether `directory` holds a sentence-transformers model (it has `modules.json`).
    public static func isSentenceTransformer(directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("modules.json").path)
    }

    /// Reads the folder's pipeline. A folder without `modules.json` (a bare `BertModel`) gets
    /// CLS pooling without normalization, as `AutoModel` users take `last_hidden_state[:, 0]`.
    public init(directory: URL) throws {
        let modulesURL = directory.appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: modulesURL.path) else {
            self.init(pooling: .cls, normalize: false, maxSequenceLength: nil)
            return
        }
        let modules = try Self.jsonArray(modulesURL)
        var pooling: PoolingMode?
        var normalize = false
        var dimension: Int?
        for module in modules {
            let type = module["type"] as? String ?? ""
            let path = module["path"] as? String ?? ""
            switch type.split(separator: ".").last.map(String.init) ?? "" {
            case "Transformer":
                continue
            case "Pooling":
                let config = try Self.jsonObject(directory.appendingPathComponent(path).appendingPathComponent("config.json"))
                (pooling, dimension) = try Self.poolingMode(config)
            case "Normalize":
                normalize = true
            default:
                throw ModelError.invalidConfig("modules.json: module '\(type)' is not supported (Transformer, Pooling, Normalize are)")
            }
        }
        guard let pooling else { throw ModelError.invalidConfig("modules.json has no Pooling module") }
        var maxLength: Int?
        let bertConfigURL = directory.appendingPathComponent("sentence_bert_config.json")
        if FileManager.default.fileExists(atPath: bertConfigURL.path) {
            maxLength = try Self.jsonObject(bertConfigURL)["max_seq_length"] as? Int
        }
        self.init(pooling: pooling, normalize: normalize, maxSequenceLength: maxLength, dimension: dimension)
    }

    /// The one pooling mode a Pooling `config.json` turns on (several at once would
    /// concatenate, which no supported checkpoint does, so it is rejected).
    static func poolingMode(_ config: [String: Any]) throws -> (PoolingMode, Int?) {
        if let mode = config["pooling_mode"] as? String {  // newer sentence-transformers spelling
            let named: [String: PoolingMode] = [
                "cls": .cls, "mean": .mean, "max": .max, "mean_sqrt_len_tokens": .meanSqrtLength, "lasttoken": .lastToken,
            ]
            guard let pooling = named[mode] else { throw ModelError.invalidConfig("pooling_mode '\(mode)' is not supported") }
            return (pooling, config["word_embedding_dimension"] as? Int)
        }
        let flags: [(String, PoolingMode)] = [
            ("pooling_mode_cls_token", .cls), ("pooling_mode_mean_tokens", .mean), ("pooling_mode_max_tokens", .max),
            ("pooling_mode_mean_sqrt_len_tokens", .meanSqrtLength), ("pooling_mode_lasttoken", .lastToken),
        ]
        let on = flags.filter { config[$0.0] as? Bool == true }.map(\.1)
        if config["pooling_mode_weightedmean_tokens"] as? Bool == true {
            throw ModelError.invalidConfig("weighted-mean pooling is not supported")
        }
        guard on.count == 1 else {
            throw ModelError.invalidConfig("the Pooling config turns on \(on.count) modes; exactly one is supported")
        }
        return (on[0], config["word_embedding_dimension"] as? Int)
    }

    static func jsonObject(_ url: URL) throws -> [String: Any] {
        guard let data = try? Data(contentsOf: url),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { throw ModelError.invalidConfig("\(url.path) is missing or not a JSON object") }
        return object
    }

    static func jsonArray(_ url: URL) throws -> [[String: Any]] {
        guard let data = try? Data(contentsOf: url),
            let array = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]]
        else { throw ModelError.invalidConfig("\(url.path) is missing or not a JSON array of objects") }
        return array
    }
}
