/// The ops of bidirectional encoders (BERT and its descendants) beyond the decoder op set.
///
/// Encoders run ragged batches: the rows of every sequence follow one another in a flat
/// `[n, d]` batch, and `sequenceLengths` says where each one ends, so no padding is computed.
/// There is no KV cache: each sequence attends to all of its own tokens and to no other.
public protocol EncoderBackend: Backend {
    /// `out = (x − mean) / √(var + ε) · weight + bias` per row — x, out `[n, d]` (out may alias
    /// x), weight and bias `[d]` f32.
    func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float, into out: Tensor)
    /// `out = x · Φ(x)` elementwise, with the exact normal CDF (`erf` form, as Hugging Face's
    /// `"gelu"`); out may alias x.
    func gelu(_ x: Tensor, into out: Tensor)
    /// Bidirectional multi-head attention within each sequence of a ragged batch.
    /// `qkv` is `[n, 3 · heads · hd]`: each row holds the query, key and value of one token,
    /// each `[heads, hd]`; `out` is `[n, heads · hd]`. `sequenceLengths` sum to `n`.
    func encoderAttention(qkv: Tensor, sequenceLengths: [Int], heads: Int, scale: Float, into out: Tensor)
    /// One row per sequence of `x` `[n, d]`, pooled by `mode` over that sequence's rows
    /// (`sequenceLengths` sum to `n`); out is `[sequenceLengths.count, d]`.
    func pool(_ x: Tensor, sequenceLengths: [Int], mode: PoolingMode, into out: Tensor)
    /// Scales each row of `[rows, d]` to unit Euclidean length (a zero row stays zero); out may
    /// alias x.
    func l2Normalize(_ x: Tensor, into out: Tensor)

    // Fusions: one requirement each so a backend can do them in one pass; the defaults below
    // compose the plain ops, so a backend that does not fuse them needs nothing.

    /// `out = layerNorm(x + residual)` — BERT's post-LN residual step; out may alias x or residual.
    func addLayerNorm(_ x: Tensor, residual: Tensor, weight: Tensor, bias: Tensor, epsilon: Float, into out: Tensor)
    /// `out = x · weightᵀ + bias` for the encoder's projections (Q/K/V, attention output), which
    /// always have a bias: a backend may add it inside the GEMM (cuBLASLt's epilogue) instead of
    /// in a pass of its own. Same result as `linear`, which it defaults to.
    func biasedLinear(_ x: Tensor, weight: Tensor, bias: Tensor, into out: Tensor)
    /// BERT's attention sublayer before the residual: `out = attention(x · qkvᵀ + qkvBias) ·
    /// outputᵀ + outputBias`, attention as `encoderAttention`. `qkvScratch` `[n, 3d]` and
    /// `contextScratch` `[n, d]` f32 are scratch (contents afterwards unspecified); a backend may
    /// keep the intermediate activations in another format instead.
    func selfAttention(
        _ x: Tensor, qkv: Tensor, qkvBias: Tensor, output: Tensor, outputBias: Tensor, sequenceLengths: [Int], heads: Int,
        scale: Float, qkvScratch: Tensor, contextScratch: Tensor, into out: Tensor)
    /// BERT's MLP: `out = gelu(x · upᵀ + upBias) · downᵀ + downBias`; `inner` `[n, ffn]` f32 is
    /// scratch for the activation (its contents afterwards are unspecified).
    func feedForward(_ x: Tensor, up: Tensor, upBias: Tensor, down: Tensor, downBias: Tensor, inner: Tensor, into out: Tensor)
}

extension EncoderBackend {
    public func addLayerNorm(_ x: Tensor, residual: Tensor, weight: Tensor, bias: Tensor, epsilon: Float, into out: Tensor) {
        add(x, residual, into: out)
        layerNorm(out, weight: weight, bias: bias, epsilon: epsilon, into: out)
    }

    public func biasedLinear(_ x: Tensor, weight: Tensor, bias: Tensor, into out: Tensor) {
        linear(x, weight: weight, bias: bias, into: out)
    }

    public func selfAttention(
        _ x: Tensor, qkv: Tensor, qkvBias: Tensor, output: Tensor, outputBias: Tensor, sequenceLengths: [Int], heads: Int,
        scale: Float, qkvScratch: Tensor, contextScratch: Tensor, into out: Tensor
    ) {
        biasedLinear(x, weight: qkv, bias: qkvBias, into: qkvScratch)
        encoderAttention(qkv: qkvScratch, sequenceLengths: sequenceLengths, heads: heads, scale: scale, into: contextScratch)
        biasedLinear(contextScratch, weight: output, bias: outputBias, into: out)
    }

    public func feedForward(_ x: Tensor, up: Tensor, upBias: Tensor, down: Tensor, downBias: Tensor, inner: Tensor, into out: Tensor) {
        linear(x, weight: up, bias: upBias, into: inner)
        gelu(inner, into: inner)
        linear(inner, weight: down, bias: downBias, into: out)
    }
}

/// How a sentence embedding is made from the token states of one sequence
/// (sentence-transformers' `Pooling` modes).
public enum PoolingMode: String, Sendable, Hashable, CaseIterable {
    /// The first token's state (`[CLS]`).
    case cls
    /// The mean over all tokens.
    case mean
    /// The per-dimension maximum over all tokens.
    case max
    /// The sum over all tokens divided by √length.
    case meanSqrtLength
    /// The last token's state.
    case lastToken
}
