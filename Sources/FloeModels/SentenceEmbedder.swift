import FloeTensor

/// A BERT encoder followed by its sentence-transformers pooling and normalization: token
/// sequences in, one embedding per sequence out.
public final class SentenceEmbedder: Sendable {
    public let model: BertModel
    public let pipeline: SentenceTransformerConfig
    /// The model's backend: the one `enqueue`'s work is issued on.
    public let backend: any EncoderBackend

    public var dimension: Int { model.hiddenSize }

    public init(model: BertModel, pipeline: SentenceTransformerConfig) throws {
        if let dimension = pipeline.dimension, dimension != model.hiddenSize {
            throw ModelError.invalidConfig("the Pooling module declares \(dimension) dimensions, the model has \(model.hiddenSize)")
        }
        self.model = model
        self.pipeline = pipeline
        self.backend = model.backend
    }

    /// The same embedder over `model.replica(on: backend)`: shared weights, own activations.
    public func replica(on backend: any EncoderBackend) throws -> SentenceEmbedder {
        try SentenceEmbedder(model: model.replica(on: backend), pipeline: pipeline)
    }

    /// One embedding per sequence (`dimension` floats each, in input order), computed in one
    /// ragged forward pass.
    public func embed(_ sequences: [[Int32]]) throws -> [[Float]] {
        let flat = try embedFlat(sequences)
        let d = dimension
        return (0..<sequences.count).map { Array(flat[$0 * d..<($0 + 1) * d]) }
    }

    /// The embeddings back to back (`sequences.count · dimension` floats): no per-row arrays,
    /// for callers that serialize straight from one buffer.
    public func embedFlat(_ sequences: [[Int32]]) throws -> [Float] {
        if sequences.isEmpty { return [] }
        let pooled = try enqueue(sequences)
        backend.synchronize()
        return backend.readFloats(pooled)
    }

    /// Issues the forward pass, pooling and normalization of `sequences` (not empty) and
    /// returns the `[count, dimension]` tensor that will hold their embeddings, without waiting
    /// for the device: the embedding engine times enqueueing, `backend.synchronize()` and
    /// `backend.readFloats` apart, which tells host-bound from device-bound on a GPU.
    public func enqueue(_ sequences: [[Int32]]) throws -> Tensor {
        let pooled = backend.allocate([sequences.count, dimension], dtype: .f32)
        // Pooling reads the model's scratch, so it runs inside the forward pass's turn.
        try model.forward(sequences) { hidden in
            backend.pool(hidden, sequenceLengths: sequences.map(\.count), mode: pipeline.pooling, into: pooled)
        }
        if pipeline.normalize { backend.l2Normalize(pooled, into: pooled) }
        return pooled
    }
}
