/// A compute device: memory plus the op set that model code is written against.
///
/// Every op writes into a tensor the caller allocated, so a forward pass allocates nothing.
/// Activations are f32 on the CPU (GPU backends may choose bf16); weights come in whatever
/// `DType` they were stored in, and each backend dequantizes inside its kernels.
///
/// Shapes use `n` for tokens in the flat batch, `d` for the hidden size, `h`/`kvh` for query and
/// key/value heads, `hd` for the head dimension. The CPU backend is the reference every other
/// backend is tested against.
public protocol Backend: AnyObject, Sendable {
    var name: String { get }
    /// The element type of KV caches on this device (the CPU keeps f32; GPUs keep bf16).
    var kvCacheDType: DType { get }

    // MARK: Memory

    /// A zero-filled tensor on this device.
    func allocate(_ shape: Shape, dtype: DType) -> Tensor
    /// A device copy of a host tensor (the CPU backend may return the tensor itself).
    func upload(_ host: Tensor) -> Tensor
    /// Device copies of host matrices with the same column count, stored back to back in one
    /// allocation (rows stacked in order), so a GPU may multiply them as one matrix (Q, K and V
    /// in one GEMM). The default uploads each on its own.
    func uploadStacked(_ hosts: [Tensor]) -> [Tensor]
    /// The values of an f32 tensor, on the host.
    func readFloats(_ tensor: Tensor) -> [Float]
    /// Overwrites the start of an f32 or i32 tensor.
    func write(_ values: [Float], into tensor: Tensor)
    func write(_ values: [Int32], into tensor: Tensor)
    /// Waits until every op issued so far has finished.
    func synchronize()

    // MARK: Ops

    /// `out[i] = table[tokens[i]]` — tokens `[n]` i32, table `[vocab, d]` any dtype, out `[n, d]`.
    func embed(tokens: Tensor, table: Tensor, into out: Tensor)
    /// `out = x / rms(x) * weight` per row — x, out `[n, d]`, weight `[d]`.
    func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float, into out: Tensor)
    /// `residual += delta`, then `out = rmsNorm(residual)`: the residual stream's add fused with
    /// the next norm (one pass over the row on GPUs). The default runs `add` then `rmsNorm`.
    func addRMSNorm(residual: Tensor, delta: Tensor, weight: Tensor, epsilon: Float, into out: Tensor)
    /// `out = x · weightᵀ + bias` — x `[n, in]` f32, weight `[out, in]` any dtype, bias `[out]`.
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor)
    /// Several linears of the same input, `outs[i] = x · weights[i]ᵀ + biases[i]` (Q/K/V; one
    /// launch on GPUs). The default runs `linear` for each.
    func linears(_ x: Tensor, weights: [Tensor], biases: [Tensor?], into outs: [Tensor])
    /// `out = silu(x · gateᵀ) * (x · upᵀ)`: a gated MLP's first half, with `scratch` (shaped like
    /// `out`) for the up projection when the backend needs it. The default runs two linears and
    /// `siluMul`.
    func gatedLinear(_ x: Tensor, gate: Tensor, up: Tensor, scratch: Tensor, into out: Tensor)
    /// A gated MLP without biases (Llama's): `out = (silu(x · gateᵀ) * (x · upᵀ)) · downᵀ` — x
    /// `[n, d]`, gate and up `[ff, d]`, down `[d_out, ff]`, out `[n, d_out]`. `scratch` and
    /// `inner` are f32 `[n, ff]` scratch (contents afterwards unspecified); a backend may keep the
    /// activation in another format in them. The default is `gatedLinear` (into `inner`) then
    /// `linear`.
    func gatedFeedForward(_ x: Tensor, gate: Tensor, up: Tensor, down: Tensor, scratch: Tensor, inner: Tensor, into out: Tensor)
    /// Rotates `x` `[n, heads, hd]` in place by `positions[i] · inverseFrequencies[j]`
    /// (positions `[n]` i32, inverseFrequencies `[hd / 2]` f32).
    func rope(_ x: Tensor, positions: Tensor, inverseFrequencies: Tensor, style: RoPEStyle)
    /// `rope(query)`, `rope(key)`, then `storeKV(key, value)`: the attention inputs of a step
    /// prepared in one op (one kernel on GPUs). The default runs the three ops.
    func ropeAndStoreKV(
        query: Tensor, key: Tensor, value: Tensor, positions: Tensor, inverseFrequencies: Tensor, style: RoPEStyle,
        keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata)
    /// A step's attention inputs from its normed hidden states `x` `[n, d]`: `linears` of
    /// Q/K/V (`weights` and `biases` in that order) into `query` `[n, heads, hd]`, `key` and
    /// `value` `[n, kvHeads, hd]`, then `ropeAndStoreKV` on them. The default runs the two ops;
    /// a GPU whose Q/K/V GEMM is one stacked product rotates and stores straight from its output.
    func projectQKVAndStoreKV(
        _ x: Tensor, weights: [Tensor], biases: [Tensor?], query: Tensor, key: Tensor, value: Tensor, positions: Tensor,
        inverseFrequencies: Tensor, style: RoPEStyle, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata)
    /// `out = silu(gate) * up`, elementwise.
    func siluMul(gate: Tensor, up: Tensor, into out: Tensor)
    /// `out = a + b`, elementwise (out may alias a).
    func add(_ a: Tensor, _ b: Tensor, into out: Tensor)
    /// Row-wise softmax of `[rows, cols]`.
    func softmax(_ x: Tensor, into out: Tensor)
    /// The index of the largest value of each row of f32 `[rows, cols]` (the lowest index on
    /// ties), on the host. Greedy sampling needs only this, so devices return ids, not logits.
    func argmaxRows(_ x: Tensor) -> [Int]
    /// `out[i] = x[indices[i]]` for rows of `[n, d]`; indices are host values.
    func gatherRows(_ x: Tensor, indices: [Int], into out: Tensor)
    /// Writes key/value `[n, kvh, hd]` into the paged caches `[blocks · blockSize, kvh, hd]` at
    /// `metadata.slotMapping`.
    func storeKV(key: Tensor, value: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata)
    /// Causal attention of query `[n, h, hd]` over the paged caches, per sequence of `metadata`;
    /// grouped-query heads share key/value head `head / (h / kvh)`. Writes `[n, h, hd]`.
    func attention(
        query: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata,
        scale: Float, into out: Tensor)
}

extension Backend {
    public var kvCacheDType: DType { .f32 }

    public func uploadStacked(_ hosts: [Tensor]) -> [Tensor] { hosts.map(upload) }

    public func argmaxRows(_ x: Tensor) -> [Int] {
        let cols = x.shape.last, values = readFloats(x)
        return (0..<x.shape.rowCount).map { row in
            var best = row * cols
            for index in (row * cols)..<((row + 1) * cols) where values[index] > values[best] { best = index }
            return best - row * cols
        }
    }

    public func linears(_ x: Tensor, weights: [Tensor], biases: [Tensor?], into outs: [Tensor]) {
        for (index, weight) in weights.enumerated() { linear(x, weight: weight, bias: biases[index], into: outs[index]) }
    }

    public func gatedLinear(_ x: Tensor, gate: Tensor, up: Tensor, scratch: Tensor, into out: Tensor) {
        linear(x, weight: gate, bias: nil, into: out)
        linear(x, weight: up, bias: nil, into: scratch)
        siluMul(gate: out, up: scratch, into: out)
    }

    public func gatedFeedForward(_ x: Tensor, gate: Tensor, up: Tensor, down: Tensor, scratch: Tensor, inner: Tensor, into out: Tensor) {
        gatedLinear(x, gate: gate, up: up, scratch: scratch, into: inner)
        linear(inner, weight: down, bias: nil, into: out)
    }

    public func ropeAndStoreKV(
        query: Tensor, key: Tensor, value: Tensor, positions: Tensor, inverseFrequencies: Tensor, style: RoPEStyle,
        keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata
    ) {
        rope(query, positions: positions, inverseFrequencies: inverseFrequencies, style: style)
        rope(key, positions: positions, inverseFrequencies: inverseFrequencies, style: style)
        storeKV(key: key, value: value, keyCache: keyCache, valueCache: valueCache, metadata: metadata)
    }

    public func projectQKVAndStoreKV(
        _ x: Tensor, weights: [Tensor], biases: [Tensor?], query: Tensor, key: Tensor, value: Tensor, positions: Tensor,
        inverseFrequencies: Tensor, style: RoPEStyle, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata
    ) {
        let n = x.shape.rowCount
        linears(x, weights: weights, biases: biases, into: [query, key, value].map { $0.reshaped([n, $0.elementCount / max(n, 1)]) })
        ropeAndStoreKV(query: query, key: key, value: value, positions: positions, inverseFrequencies: inverseFrequencies, style: style,
            keyCache: keyCache, valueCache: valueCache, metadata: metadata)
    }

    public func addRMSNorm(residual: Tensor, delta: Tensor, weight: Tensor, epsilon: Float, into out: Tensor) {
        add(residual, delta, into: residual)
        rmsNorm(residual, weight: weight, epsilon: epsilon, into: out)
    }
}

/// Which dimensions of a head RoPE rotates together.
public enum RoPEStyle: Sendable, Hashable {
    /// Dimension `i` pairs with `i + hd/2` (Hugging Face "rotate half", NeoX, GGUF `qwen2`).
    case halves
    /// Dimension `2i` pairs with `2i + 1` (llama.cpp's "normal" mode: GGUF `llama`, llama2.c).
    case interleaved
}

/// A backend with its own memory (a GPU), which can say how much is free: the engine sizes the
/// KV cache from it (`--gpu-memory-utilization`).
public protocol DeviceMemoryReporting {
    /// Free and total bytes of device memory now.
    func deviceMemory() throws -> (free: Int, total: Int)
}
