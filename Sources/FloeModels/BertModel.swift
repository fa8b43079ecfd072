import Foundation
import FloeTensor
import FloeWeights

/// A BERT-family encoder: token + absolute position + token-type embeddings, LayerNorm, then
/// post-LN blocks (self-attention → add → LayerNorm, GELU MLP → add → LayerNorm).
///
/// Runs ragged batches: the tokens of every sequence back to back, no padding computed. The
/// query, key and value projections are fused into one `[3d, d]` linear at load time, so each
/// layer makes one GEMM where the checkpoint has three.
public final class BertModel: @unchecked Sendable {
    public let config: BertConfig
    public let backend: any EncoderBackend
    let wordEmbeddings: Tensor
    let positionEmbeddings: Tensor
    let typeEmbeddings: Tensor
    let embeddingNorm: (weight: Tensor, bias: Tensor)
    let layers: [BertLayer]
    // Activations, grown to the largest batch seen; guarded by `lock`.
    private var scratch: BertScratch?
    private let lock = NSLock()

    public var hiddenSize: Int { config.hiddenSize }

    /// Builds the encoder from a checkpoint whose names are those of `BertModel`, with or
    /// without the `bert.` prefix that task heads (`BertForMaskedLM`, …) add.
    public init(config: BertConfig, weights: ModelWeights, backend: any EncoderBackend) throws {
        self.config = config
        self.backend = backend
        let prefix = weights.contains("embeddings.word_embeddings.weight") ? "" : "bert."
        let d = config.hiddenSize
        wordEmbeddings = backend.upload(try weights.tensor(prefix + "embeddings.word_embeddings.weight", shape: [config.vocabularySize, d]))
        positionEmbeddings = backend.upload(try weights.tensor(prefix + "embeddings.position_embeddings.weight", shape: [config.maxPositions, d]))
        typeEmbeddings = backend.upload(try weights.tensor(prefix + "embeddings.token_type_embeddings.weight", shape: [config.typeVocabularySize, d]))
        embeddingNorm = try Self.norm(prefix + "embeddings.LayerNorm", d, weights, backend)
        layers = try (0..<config.layerCount).map { index in
            try BertLayer(config: config, weights: weights, prefix: "\(prefix)encoder.layer.\(index).", backend: backend)
        }
    }

    private init(sharingWeightsOf original: BertModel, backend: any EncoderBackend) {
        config = original.config
        self.backend = backend
        wordEmbeddings = original.wordEmbeddings
        positionEmbeddings = original.positionEmbeddings
        typeEmbeddings = original.typeEmbeddings
        embeddingNorm = original.embeddingNorm
        layers = original.layers
    }

    /// A second instance of this model that runs on `backend` with its own activations but
    /// this instance's weight tensors (nothing is uploaded again), so several threads can run
    /// the model at once, one instance each. `backend` must be able to read this model's
    /// weights: the same backend (the CPU's is safe to share between threads) or a sibling of
    /// it on the same device (`CUDABackend(sharingWeightsWith:)`).
    public func replica(on backend: any EncoderBackend) throws -> BertModel {
        guard backend.name == self.backend.name else {
            throw ModelError.invalidConfig("a replica of a model on \(self.backend.name) cannot run on \(backend.name)")
        }
        return BertModel(sharingWeightsOf: self, backend: backend)
    }

    static func norm(_ name: String, _ d: Int, _ weights: ModelWeights, _ backend: any Backend) throws -> (weight: Tensor, bias: Tensor) {
        (backend.upload(try weights.floatTensor(name + ".weight", shape: [d])),
         backend.upload(try weights.floatTensor(name + ".bias", shape: [d])))
    }

    /// Checks sequences against the vocabulary and the position table before any op runs.
    public func validate(_ sequences: [[Int32]]) throws {
        for (index, tokens) in sequences.enumerated() {
            if tokens.isEmpty { throw EncoderInputError.emptySequence(index: index) }
            if tokens.count > config.maxPositions {
                throw EncoderInputError.sequenceTooLong(index: index, length: tokens.count, limit: config.maxPositions)
            }
            if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
                throw EncoderInputError.tokenOutOfRange(index: index, token: bad, vocabularySize: config.vocabularySize)
            }
        }
    }

    /// Runs `body` on the last hidden states `[n, d]` of `sequences` (all token type 0, rows in
    /// input order). The tensor is this model's scratch, valid only inside `body`; calls from
    /// several threads take turns.
    public func forward<Result>(_ sequences: [[Int32]], _ body: (Tensor) throws -> Result) throws -> Result {
        try validate(sequences)
        lock.lock()
        defer { lock.unlock() }
        return try body(hiddenStates(sequences))
    }

    private func hiddenStates(_ sequences: [[Int32]]) -> Tensor {
        let lengths = sequences.map(\.count), n = lengths.reduce(0, +)
        let s = scratch(for: n)
        backend.write(sequences.flatMap { $0 }, into: s.tokens)
        backend.write(lengths.flatMap { (0..<Int32($0)).map { $0 } }, into: s.positions)

        // Embeddings: word + position + type 0 (s.types stays all zeros), then LayerNorm.
        let hidden = s.hidden.slice(0..<n), other = s.other.slice(0..<n)
        backend.embed(tokens: s.tokens.slice(0..<n), table: wordEmbeddings, into: hidden)
        backend.embed(tokens: s.positions.slice(0..<n), table: positionEmbeddings, into: other)
        backend.add(hidden, other, into: hidden)
        backend.embed(tokens: s.types.slice(0..<n), table: typeEmbeddings, into: other)
        backend.add(hidden, other, into: hidden)
        backend.layerNorm(hidden, weight: embeddingNorm.weight, bias: embeddingNorm.bias, epsilon: config.layerNormEpsilon, into: hidden)

        let scale = 1 / Float(config.headDim).squareRoot()
        let qkv = s.qkv.slice(0..<n), context = s.context.slice(0..<n), inner = s.inner.slice(0..<n)
        for layer in layers {
            backend.selfAttention(
                hidden, qkv: layer.qkv.weight, qkvBias: layer.qkv.bias!, output: layer.attentionOutput.weight,
                outputBias: layer.attentionOutput.bias!, sequenceLengths: lengths, heads: config.headCount, scale: scale,
                qkvScratch: qkv, contextScratch: context, into: other)
            backend.addLayerNorm(other, residual: hidden, weight: layer.attentionNorm.weight, bias: layer.attentionNorm.bias, epsilon: config.layerNormEpsilon, into: hidden)
            backend.feedForward(
                hidden, up: layer.intermediate.weight, upBias: layer.intermediate.bias!, down: layer.output.weight,
                downBias: layer.output.bias!, inner: inner, into: other)
            backend.addLayerNorm(other, residual: hidden, weight: layer.outputNorm.weight, bias: layer.outputNorm.bias, epsilon: config.layerNormEpsilon, into: hidden)
        }
        return hidden
    }

    private func scratch(for tokens: Int) -> BertScratch {
        if let scratch, scratch.capacity >= tokens { return scratch }
        // Grow geometrically so a slowly rising batch size does not reallocate every call.
        let capacity = max(tokens, (scratch?.capacity ?? 0) * 3 / 2, 64)
        let made = BertScratch(capacity: capacity, config: config, backend: backend)
        scratch = made
        return made
    }
}

/// One encoder block's weights.
struct BertLayer: Sendable {
    let qkv: Linear
    let attentionOutput: Linear
    let attentionNorm: (weight: Tensor, bias: Tensor)
    let intermediate: Linear
    let output: Linear
    let outputNorm: (weight: Tensor, bias: Tensor)

    init(config: BertConfig, weights: ModelWeights, prefix: String, backend: any Backend) throws {
        let d = config.hiddenSize, ffn = config.intermediateSize
        func linear(_ name: String, out: Int, in inputs: Int) throws -> Linear {
            let layer = try weights.linear(prefix + name + ".weight", out: out, in: inputs, bias: prefix + name + ".bias", role: .replicated)
            return Linear(weight: backend.upload(layer.weight), bias: layer.bias.map(backend.upload), role: .replicated)
        }
        let parts = try ["query", "key", "value"].map { name in
            try weights.linear(prefix + "attention.self.\(name).weight", out: d, in: d, bias: prefix + "attention.self.\(name).bias", role: .replicated)
        }
        qkv = Linear(
            weight: backend.upload(try Self.stack(parts.map(\.weight), name: prefix + "attention.self")),
            bias: backend.upload(try Self.stack(parts.map { $0.bias! }, name: prefix + "attention.self (bias)")),
            role: .replicated)
        attentionOutput = try linear("attention.output.dense", out: d, in: d)
        attentionNorm = try BertModel.norm(prefix + "attention.output.LayerNorm", d, weights, backend)
        intermediate = try linear("intermediate.dense", out: ffn, in: d)
        output = try linear("output.dense", out: d, in: ffn)
        outputNorm = try BertModel.norm(prefix + "output.LayerNorm", d, weights, backend)
    }

    /// The rows of `parts` one after another, in a new host tensor of their common dtype.
    static func stack(_ parts: [Tensor], name: String) throws -> Tensor {
        let dtype = parts[0].dtype
        guard parts.allSatisfy({ $0.dtype == dtype && $0.shape.rank == parts[0].shape.rank && $0.shape.last == parts[0].shape.last }) else {
            throw ModelError.weightMismatch("\(name): query, key and value differ in dtype or width")
        }
        let rows = parts.reduce(0) { $0 + $1.shape[0] }
        let shape: Shape = parts[0].shape.rank == 1 ? [rows] : [rows, parts[0].shape.last]
        let stacked = Tensor(zeros: shape, dtype: dtype)
        var offset = 0
        for part in parts {
            (stacked.address + offset).copyMemory(from: part.address, byteCount: part.byteCount)
            offset += part.byteCount
        }
        return stacked
    }
}

/// The activations of one forward pass, `capacity` rows each.
struct BertScratch {
    let capacity: Int
    let tokens, positions, types: Tensor
    let hidden, other, qkv, context, inner: Tensor

    init(capacity: Int, config: BertConfig, backend: any Backend) {
        self.capacity = capacity
        let d = config.hiddenSize
        tokens = backend.allocate([capacity], dtype: .i32)
        positions = backend.allocate([capacity], dtype: .i32)
        types = backend.allocate([capacity], dtype: .i32)
        hidden = backend.allocate([capacity, d], dtype: .f32)
        other = backend.allocate([capacity, d], dtype: .f32)
        qkv = backend.allocate([capacity, 3 * d], dtype: .f32)
        context = backend.allocate([capacity, d], dtype: .f32)
        inner = backend.allocate([capacity, config.intermediateSize], dtype: .f32)
    }
}
