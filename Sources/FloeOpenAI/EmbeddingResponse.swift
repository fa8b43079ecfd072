import Foundation

/// `POST /v1/embeddings` response: `{"object": "list", "data": [...], "model", "usage"}`.
public struct EmbeddingResponse: Encodable, Sendable {
    public struct Item: Encodable, Sendable {
        public enum Vector: Sendable {
            case floats(ArraySlice<Float>)
            /// Little-endian float32 bytes, base64 (what the `openai` client decodes with numpy).
            case base64(String)
        }

        public let index: Int
        public let embedding: Vector

        public init(index: Int, embedding: Vector) {
            self.index = index
            self.embedding = embedding
        }

        enum CodingKeys: String, CodingKey { case object, index, embedding }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode("embedding", forKey: .object)
            try c.encode(index, forKey: .index)
            switch embedding {
            case .floats(let values): try c.encode(Array(values), forKey: .embedding)
            case .base64(let text): try c.encode(text, forKey: .embedding)
            }
        }
    }

    public struct EmbeddingUsage: Encodable, Sendable {
        public let promptTokens: Int
        public var totalTokens: Int { promptTokens }

        enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens", totalTokens = "total_tokens" }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(promptTokens, forKey: .promptTokens)
            try c.encode(totalTokens, forKey: .totalTokens)
        }
    }

    public let data: [Item]
    public let model: String
    public let usage: EmbeddingUsage

    public init(data: [Item], model: String, promptTokens: Int) {
        self.data = data
        self.model = model
        usage = EmbeddingUsage(promptTokens: promptTokens)
    }

    enum CodingKeys: String, CodingKey { case object, data, model, usage }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("list", forKey: .object)
        try c.encode(data, forKey: .data)
        try c.encode(model, forKey: .model)
        try c.encode(usage, forKey: .usage)
    }

    /// The base64 of `values` as little-endian float32 bytes.
    public static func base64(_ values: ArraySlice<Float>) -> String {
        var data = Data(capacity: values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data.base64EncodedString()
    }
}
