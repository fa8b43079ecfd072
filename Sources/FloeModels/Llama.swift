import FloeTensor
import FloeWeights

/// The Llama family: Llama 2/3, Mistral and Qwen2 (Llama with Q/K/V biases).
///
/// Straight-line code over `Backend` ops. Each rank owns `localHeads` query heads and
/// `localKVHeads` key/value heads and the matching slices of every linear layer, so tensor
/// parallelism changes only what `ParallelContext` hands out, not this file.
public final class LlamaModel: CausalLM, @unchecked Sendable {
    public let config: LlamaConfig
    public let backend: any Backend
    public let parallel: ParallelContext
    let ropeStyle: RoPEStyle
    let embedding: Tensor
    let layers: [LlamaLayer]
    let finalNorm: Tensor
    let lmHead: Linear
    let inverseFrequencies: Tensor
    let localHeads: Int
    let localKVHeads: Int
    private var scratch: LlamaScratch?

    public var vocabularySize: Int { config.vocabularySize }
    public var maxPositions: Int { config.maxPositions }

    public var weightBytesPerToken: Int {
        let perLayer = layers.map { layer in
            [layer.query, layer.key, layer.value, layer.output, layer.gate, layer.up, layer.down]
                .reduce(layer.attentionNorm.byteCount + layer.mlpNorm.byteCount) { $0 + $1.weight.byteCount }
        }
        return perLayer.reduce(0, +) + finalNorm.byteCount + lmHead.weight.byteCount + embedding.rowBytes
    }

    /// Builds the model from `weights` named by `names`. GGUF `llama` files store Q/K rows
    /// permuted for interleaved-pair RoPE, which `ropeStyle` must then be.
    public init(
        config: LlamaConfig, weights: ModelWeights, names: LlamaWeightNames, ropeStyle: RoPEStyle,
        backend: any Backend
    ) throws {
        self.config = config
        self.backend = backend
        self.parallel = weights.parallel
        self.ropeStyle = ropeStyle
        let d = config.hiddenSize, hd = config.headDim
        localHeads = try weights.parallel.shard(of: config.headCount).count
        localKVHeads = try weights.parallel.shard(of: config.kvHeadCount).count

        embedding = backend.upload(try weights.tensor(names.embedding, shape: [config.vocabularySize, d]))
        finalNorm = backend.upload(try weights.floatTensor(names.finalNorm, shape: [d]))
        if config.tiedEmbeddings || !weights.contains(names.lmHead) {
            lmHead = Linear(weight: embedding, bias: nil, role: .replicated)
        } else {
            let head = try weights.linear(names.lmHead, out: config.vocabularySize, in: d, bias: nil, role: .replicated)
            lmHead = Linear(weight: backend.upload(head.weight), bias: nil, role: .replicated)
        }

        var frequencies = config.rope.inverseFrequencies(headDim: hd)
        if weights.contains(names.ropeFrequencyFactors) {
            let factors = try weights.floatTensor(names.ropeFrequencyFactors, shape: [hd / 2]).floats
            frequencies = zip(frequencies, factors).map { $0 / $1 }
        }
        inverseFrequencies = backend.upload(Tensor(frequencies, shape: [hd / 2]))

        layers = try (0..<config.layerCount).map { index in
            try LlamaLayer(config: config, weights: weights, names: names.layer(index), backend: backend)
        }
    }

    public func makeKVCache(blockCount: Int, blockSize: Int) -> KVCache {
        let shape: Shape = [blockCount * blockSize, localKVHeads, config.headDim]
        return KVCache(
            keys: layers.map { _ in backend.allocate(shape, dtype: backend.kvCacheDType) },
            values: layers.map { _ in backend.allocate(shape, dtype: backend.kvCacheDType) },
            blockSize: blockSize, blockCount: blockCount)
    }

    public func forward(_ batch: ForwardBatch, cache: KVCache) throws -> Tensor {
        try check(batch, cache: cache)
        if let graphs = decodeGraphs, let size = graphs.paddedSize(for: batch) {
            return graphs.forward(
                batch, size: size, cache: cache, maxPositions: config.maxPositions,
                makeScratch: { makeScratch(tokens: $0, logitRows: $0) },
                stage: { stage($0, into: $1) },
                run: { runLayers($0, scratch: $1, cache: cache) })
        }
        let s = scratchFor(tokens: batch.tokens.count, logitRows: batch.logitRows.count)
        stage(batch, into: s)
        return runLayers(batch, scratch: s, cache: cache)
    }

    /// Decode steps replay recorded graphs when the backend records them (a GPU, unless
    /// `--enforce-eager`) and the model runs on one device (recording collectives is not done).
    private lazy var decodeGraphs: DecodeGraphs<LlamaScratch>? = {
        guard let recorder = backend as? any StepGraphRecording, parallel.worldSize == 1 else { return nil }
        return DecodeGraphs(backend: recorder)
    }()

    /// The batch's token ids and positions into the scratch's input buffers.
    private func stage(_ batch: ForwardBatch, into s: LlamaScratch) {
        let n = batch.tokens.count
        backend.write(batch.tokens, into: s.tokens.slice(0..<n))
        backend.write(batch.positions, into: s.positions.slice(0..<n))
    }

    /// Every op of the forward pass, reading the staged inputs: a recorded graph replays exactly
    /// these, so they must not upload anything themselves beyond what the backend stages.
    private func runLayers(_ batch: ForwardBatch, scratch s: LlamaScratch, cache: KVCache) -> Tensor {
        let n = batch.tokens.count
        let hd = config.headDim
        let q = s.query.slice(0..<n), k = s.key.slice(0..<n), v = s.value.slice(0..<n)
        let hidden = s.hidden.slice(0..<n), normed = s.normed.slice(0..<n), attended = s.attended.slice(0..<n)
        let projected = s.projected.slice(0..<n), gate = s.gate.slice(0..<n), up = s.up.slice(0..<n)
        let tokens = s.tokens.slice(0..<n), positions = s.positions.slice(0..<n)

        backend.embed(tokens: tokens, table: embedding, into: hidden)
        backend.rmsNorm(hidden, weight: layers[0].attentionNorm, epsilon: config.rmsNormEpsilon, into: normed)
        for (index, layer) in layers.enumerated() {
            // `normed` holds this layer's attention-norm output (made by the previous layer's
            // fused residual add), so each residual add and the norm after it are one op.
            // Column-parallel, so no all-reduce: one op for the three projections, their
            // rotation and the cache write.
            let q3 = q.reshaped([n, localHeads, hd]), k3 = k.reshaped([n, localKVHeads, hd])
            let v3 = v.reshaped([n, localKVHeads, hd])
            backend.projectQKVAndStoreKV(
                normed, weights: [layer.query.weight, layer.key.weight, layer.value.weight],
                biases: [layer.query.bias, layer.key.bias, layer.value.bias], query: q3, key: k3, value: v3, positions: positions,
                inverseFrequencies: inverseFrequencies, style: ropeStyle, keyCache: cache.keys[index], valueCache: cache.values[index],
                metadata: batch.attention)
            backend.attention(
                query: q3, keyCache: cache.keys[index], valueCache: cache.values[index], metadata: batch.attention,
                scale: 1 / Float(hd).squareRoot(), into: attended.reshaped([n, localHeads, hd]))
            apply(layer.output, attended, into: projected)
            backend.addRMSNorm(
                residual: hidden, delta: projected, weight: layer.mlpNorm, epsilon: config.rmsNormEpsilon, into: normed)

            // The whole MLP is one op (its activation may stay in 16 bits on GPUs); down is
            // row-parallel, so its output is all-reduced here, as `apply` does for a linear.
            precondition(layer.down.bias == nil, "the gated MLP's down projection has no bias")
            backend.gatedFeedForward(
                normed, gate: layer.gate.weight, up: layer.up.weight, down: layer.down.weight, scratch: up, inner: gate,
                into: projected)
            allReduceIfRowParallel(layer.down, projected)
            if index + 1 < layers.count {
                backend.addRMSNorm(
                    residual: hidden, delta: projected, weight: layers[index + 1].attentionNorm,
                    epsilon: config.rmsNormEpsilon, into: normed)
            } else {
                backend.add(hidden, projected, into: hidden)
            }
        }

        // Only the rows that are sampled go through the final norm and the vocabulary projection.
        // (Every row in order, as in decode steps, needs no gather.)
        let m = batch.logitRows.count
        let selected = s.selected.slice(0..<m), logits = s.logits.slice(0..<m)
        if batch.logitRows.enumerated().allSatisfy({ $0 == $1 }) {
            backend.rmsNorm(hidden.slice(0..<m), weight: finalNorm, epsilon: config.rmsNormEpsilon, into: selected)
        } else {
            backend.gatherRows(hidden, indices: batch.logitRows, into: selected)
            backend.rmsNorm(selected, weight: finalNorm, epsilon: config.rmsNormEpsilon, into: selected)
        }
        apply(lmHead, selected, into: logits)
        return logits
    }

    private func apply(_ linear: Linear, _ input: Tensor, into output: Tensor) {
        backend.linear(input, weight: linear.weight, bias: linear.bias, into: output)
        allReduceIfRowParallel(linear, output)
    }

    /// A row-parallel linear's output holds this rank's partial sums: they are summed over ranks.
    private func allReduceIfRowParallel(_ linear: Linear, _ output: Tensor) {
        if linear.role == .rowParallel, parallel.worldSize > 1 {
            parallel.communicator.allReduceSum(output)
        }
    }

    /// Rejects batches that would read or write outside the cache or the position table.
    private func check(_ batch: ForwardBatch, cache: KVCache) throws {
        let n = batch.tokens.count
        guard n > 0, batch.positions.count == n, batch.attention.tokenCount == n else {
            throw ModelError.invalidConfig("batch of \(n) tokens has \(batch.positions.count) positions and \(batch.attention.tokenCount) slots")
        }
        guard batch.attention.blockSize == cache.blockSize else {
            throw ModelError.invalidConfig("batch block size \(batch.attention.blockSize) != cache block size \(cache.blockSize)")
        }
        for token in batch.tokens where token < 0 || Int(token) >= config.vocabularySize {
            throw ModelError.invalidConfig("token id \(token) is outside the vocabulary (\(config.vocabularySize))")
        }
        for position in batch.positions where position < 0 || Int(position) >= config.maxPositions {
            throw ModelError.invalidConfig("position \(position) is beyond max_position_embeddings (\(config.maxPositions))")
        }
        for slot in batch.attention.slotMapping where slot < 0 || Int(slot) >= cache.slotCount {
            throw ModelError.invalidConfig("KV slot \(slot) is outside the cache (\(cache.slotCount) slots)")
        }
        for sequence in batch.attention.sequences {
            let blocksNeeded = (sequence.contextLength + cache.blockSize - 1) / cache.blockSize
            guard sequence.queryTokens.upperBound <= n, sequence.queryTokens.count <= sequence.contextLength,
                sequence.blockTable.count >= blocksNeeded,
                sequence.blockTable.prefix(blocksNeeded).allSatisfy({ $0 >= 0 && Int($0) < cache.blockCount })
            else { throw ModelError.invalidConfig("sequence metadata does not fit the batch or the cache") }
        }
        for row in batch.logitRows where row < 0 || row >= n {
            throw ModelError.invalidConfig("logit row \(row) is outside the batch of \(n)")
        }
    }

    private func scratchFor(tokens: Int, logitRows: Int) -> LlamaScratch {
        if let scratch, scratch.tokenCapacity >= tokens, scratch.logitCapacity >= logitRows { return scratch }
        let fresh = makeScratch(tokens: max(tokens, scratch?.tokenCapacity ?? 0), logitRows: max(logitRows, scratch?.logitCapacity ?? 0))
        scratch = fresh
        return fresh
    }

    private func makeScratch(tokens: Int, logitRows: Int) -> LlamaScratch {
        LlamaScratch(
            backend: backend, tokenCapacity: tokens, logitCapacity: logitRows, config: config,
            localHeads: localHeads, localKVHeads: localKVHeads,
            localIntermediate: layers.first?.gate.outFeatures ?? config.intermediateSize)
    }
}

/// One decoder layer's weights (this rank's share).
struct LlamaLayer: Sendable {
    let attentionNorm: Tensor
    let query: Linear, key: Linear, value: Linear, output: Linear
    let mlpNorm: Tensor
    let gate: Linear, up: Linear, down: Linear

    init(config: LlamaConfig, weights: ModelWeights, names: LlamaWeightNames.Layer, backend: any Backend) throws {
        let d = config.hiddenSize, hd = config.headDim, ff = config.intermediateSize
        let qkvBias = config.hasQKVBias
        func upload(_ linear: Linear) -> Linear {
            Linear(weight: backend.upload(linear.weight), bias: linear.bias.map(backend.upload), role: linear.role)
        }
        attentionNorm = backend.upload(try weights.floatTensor(names.attentionNorm, shape: [d]))
        mlpNorm = backend.upload(try weights.floatTensor(names.mlpNorm, shape: [d]))
        // Q, K and V stored back to back, so a GPU can run the three projections as one GEMM.
        let projections = [
            try weights.linear(names.query, out: config.headCount * hd, in: d, bias: qkvBias ? names.queryBias : nil, role: .columnParallel),
            try weights.linear(names.key, out: config.kvHeadCount * hd, in: d, bias: qkvBias ? names.keyBias : nil, role: .columnParallel),
            try weights.linear(names.value, out: config.kvHeadCount * hd, in: d, bias: qkvBias ? names.valueBias : nil, role: .columnParallel),
        ]
        let stacked = backend.uploadStacked(projections.map(\.weight))
        let uploaded = zip(projections, stacked).map { Linear(weight: $1, bias: $0.bias.map(backend.upload), role: $0.role) }
        (query, key, value) = (uploaded[0], uploaded[1], uploaded[2])
        output = upload(try weights.linear(names.output, out: d, in: config.headCount * hd, bias: nil, role: .rowParallel))
        gate = upload(try weights.linear(names.gate, out: ff, in: d, bias: nil, role: .columnParallel))
        up = upload(try weights.linear(names.up, out: ff, in: d, bias: nil, role: .columnParallel))
        down = upload(try weights.linear(names.down, out: d, in: ff, bias: nil, role: .rowParallel))
    }
}

/// Activation buffers reused across forward calls; grown when a batch does not fit.
struct LlamaScratch {
    let tokenCapacity: Int, logitCapacity: Int
    let tokens: Tensor, positions: Tensor
    let hidden: Tensor, normed: Tensor, query: Tensor, key: Tensor, value: Tensor
    let attended: Tensor, projected: Tensor, gate: Tensor, up: Tensor
    let selected: Tensor, logits: Tensor

    init(backend: any Backend, tokenCapacity n: Int, logitCapacity m: Int, config: LlamaConfig,
         localHeads: Int, localKVHeads: Int, localIntermediate: Int) {
        tokenCapacity = n
        logitCapacity = m
        let d = config.hiddenSize, hd = config.headDim
        tokens = backend.allocate([n], dtype: .i32)
        positions = backend.allocate([n], dtype: .i32)
        hidden = backend.allocate([n, d], dtype: .f32)
        normed = backend.allocate([n, d], dtype: .f32)
        query = backend.allocate([n, localHeads * hd], dtype: .f32)
        key = backend.allocate([n, localKVHeads * hd], dtype: .f32)
        value = backend.allocate([n, localKVHeads * hd], dtype: .f32)
        attended = backend.allocate([n, localHeads * hd], dtype: .f32)
        projected = backend.allocate([n, d], dtype: .f32)
        gate = backend.allocate([n, localIntermediate], dtype: .f32)
        up = backend.allocate([n, localIntermediate], dtype: .f32)
        selected = backend.allocate([m, d], dtype: .f32)
        logits = backend.allocate([m, config.vocabularySize], dtype: .f32)
    }
}
