import FloeCPU
import FloeCUDA
import FloeTensor

/// The encoder ops (`EncoderBackend`) against `ReferenceOps`: odd widths, ragged batches with
/// sequences of 1 and 512 tokens, every head-size bucket and pooling mode, outputs poisoned
/// with NaN first.
extension OpChecks {
    mutating func encoderOps() {
        for (n, d) in [(1, 384), (7, 768), (3, 1001), (2, 33)] { layerNorm(n: n, d: d) }
        encoderElementwise(count: 1000)
        encoderElementwise(count: 65_537)
        for (n, inF, outF) in [(3, 64, 96), (40, 384, 1152), (77, 768, 768), (9, 33, 70)] { biasedLinear(n: n, in: inF, out: outF) }
        // The MLP: GEMV path (few rows) and the fused cuBLASLt path (bias epilogues, 16-bit GELU).
        for (n, d, ffn) in [(3, 64, 96), (40, 384, 1536), (77, 768, 3072), (9, 33, 70)] { feedForward(n: n, d: d, ffn: ffn) }
        // (heads, head size, sequence lengths): MiniLM (hd 32), BERT-base (hd 64), hd 128,
        // an odd head size, and lengths that straddle the 32-key and 32-query tiles.
        encoderAttention(heads: 12, hd: 32, lengths: [7, 1, 50, 33, 64])
        encoderAttention(heads: 12, hd: 64, lengths: [512])
        encoderAttention(heads: 12, hd: 64, lengths: [1, 300, 2, 65, 31])
        encoderAttention(heads: 4, hd: 128, lengths: [17, 129, 1])
        encoderAttention(heads: 3, hd: 40, lengths: [5, 70])
        // Many short sequences in one batch, as the embedding engine packs them.
        encoderAttention(heads: 2, hd: 32, lengths: (0..<300).map { 1 + $0 * 7 % 60 })
        // The attention sublayer's 16-bit fused path (the composed ops are checked one by one above).
        selfAttention(heads: 12, hd: 32, lengths: [7, 1, 50, 33, 64])
        selfAttention(heads: 12, hd: 64, lengths: [1, 300, 2, 65, 31])
        selfAttention(heads: 12, hd: 64, lengths: [512, 64, 129])  // flash: several key tiles, whole and partial
        selfAttention(heads: 4, hd: 128, lengths: [17, 200, 1])
        selfAttention(heads: 6, hd: 32, lengths: (0..<200).map { 1 + $0 * 7 % 60 })
        for mode in PoolingMode.allCases {
            pool(lengths: [1, 5, 512, 3], d: 384, mode: mode)
            pool(lengths: [2, 1, 9], d: 37, mode: mode)
        }
        l2Normalize(rows: 6, d: 384)
        l2Normalize(rows: 3, d: 1001)
    }

    mutating func layerNorm(n: Int, d: Int) {
        // An offset mean, as real activations have, so a one-pass variance would show.
        let x = random.normals(n * d).map { $0 * 3 + 5 }, residual = random.normals(n * d)
        let weight = random.normals(d), bias = random.normals(d)
        let expected = Tensor(zeros: [n, d])
        ReferenceOps.layerNorm(host(x, [n, d]), weight: host(weight, [d]), bias: host(bias, [d]), epsilon: 1e-12, into: expected)
        let out = poisoned([n, d])
        gpu.layerNorm(device(x, [n, d]), weight: device(weight, [d]), bias: device(bias, [d]), epsilon: 1e-12, into: out)
        compare("encoder", "layerNorm \(n)×\(d)", gpu.readFloats(out), expected.floats, relative: 1e-6)

        // Fused residual add + LayerNorm, written over the residual as BertModel does.
        let sum = zip(x, residual).map { $0 + $1 }
        let fusedExpected = Tensor(zeros: [n, d])
        ReferenceOps.layerNorm(host(sum, [n, d]), weight: host(weight, [d]), bias: host(bias, [d]), epsilon: 1e-12, into: fusedExpected)
        let residualDevice = device(residual, [n, d])
        gpu.addLayerNorm(device(x, [n, d]), residual: residualDevice, weight: device(weight, [d]), bias: device(bias, [d]), epsilon: 1e-12, into: residualDevice)
        compare("encoder", "addLayerNorm \(n)×\(d) (in place)", gpu.readFloats(residualDevice), fusedExpected.floats, relative: 1e-6)
    }

    mutating func encoderElementwise(count: Int) {
        let x = random.normals(count).map { $0 * 3 }
        let expected = Tensor(zeros: [count])
        ReferenceOps.gelu(host(x, [count]), into: expected)
        let out = poisoned([count])
        gpu.gelu(device(x, [count]), into: out)
        compare("encoder", "gelu \(count)", gpu.readFloats(out), expected.floats, relative: 1e-6)
    }

    mutating func biasedLinear(n: Int, in inFeatures: Int, out outFeatures: Int) {
        let (weight, _) = bf16Weights([outFeatures, inFeatures])
        let x = random.normals(n * inFeatures), bias = random.normals(outFeatures)
        let expected = Tensor(zeros: [n, outFeatures])
        ReferenceOps.linear(host(x.map { Float(bf16Bits: $0.bf16Bits) }, [n, inFeatures]), weight: weight, bias: host(bias, [outFeatures]), into: expected)
        let out = poisoned([n, outFeatures])
        gpu.biasedLinear(device(x, [n, inFeatures]), weight: gpu.upload(weight), bias: device(bias, [outFeatures]), into: out)
        compare("encoder", "biasedLinear n \(n) in \(inFeatures) out \(outFeatures)", gpu.readFloats(out), expected.floats, relative: 1e-5)
    }

    /// The reference rounds what the GPU rounds: x and the GELU output to bf16 (the GEMM inputs).
    mutating func feedForward(n: Int, d: Int, ffn: Int) {
        let (up, _) = bf16Weights([ffn, d]), (down, _) = bf16Weights([d, ffn], scale: 0.03)
        let x = random.normals(n * d), upBias = random.normals(ffn), downBias = random.normals(d)
        let activation = Tensor(zeros: [n, ffn]), expected = Tensor(zeros: [n, d])
        ReferenceOps.linear(host(x.map { Float(bf16Bits: $0.bf16Bits) }, [n, d]), weight: up, bias: host(upBias, [ffn]), into: activation)
        ReferenceOps.gelu(activation, into: activation)
        let rounded = host(activation.floats.map { Float(bf16Bits: $0.bf16Bits) }, [n, ffn])
        ReferenceOps.linear(rounded, weight: down, bias: host(downBias, [d]), into: expected)
        let out = poisoned([n, d])
        gpu.feedForward(device(x, [n, d]), up: gpu.upload(up), upBias: device(upBias, [ffn]), down: gpu.upload(down),
            downBias: device(downBias, [d]), inner: poisoned([n, ffn]), into: out)
        // The cuBLASLt path also rounds the pre-activation to bf16 (as PyTorch's bf16 MLP does),
        // which the reference does not: a few bf16 ulps of the GELU input, averaged over ffn terms.
        compare("encoder", "feedForward n \(n) d \(d) ffn \(ffn)", gpu.readFloats(out), expected.floats, relative: 3e-3)
    }

    mutating func encoderAttention(heads: Int, hd: Int, lengths: [Int]) {
        let n = lengths.reduce(0, +), d = heads * hd
        // Scores of a few units, as trained models have: the softmax is neither flat nor one-hot.
        let qkv = random.normals(n * 3 * d).map { $0 * 1.5 }
        let scale = 1 / Float(hd).squareRoot()
        let expected = Tensor(zeros: [n, d])
        ReferenceOps.encoderAttention(qkv: host(qkv, [n, 3 * d]), sequenceLengths: lengths, heads: heads, scale: scale, into: expected)
        let out = poisoned([n, d])
        gpu.encoderAttention(qkv: device(qkv, [n, 3 * d]), sequenceLengths: lengths, heads: heads, scale: scale, into: out)
        let described = lengths.count <= 8 ? "\(lengths)" : "\(lengths.count) sequences of \(lengths.min()!)…\(lengths.max()!)"
        compare("encoder", "encoderAttention heads \(heads) hd \(hd) lengths \(described)", gpu.readFloats(out), expected.floats, relative: 2e-5)
    }

    /// The reference rounds what the fused GPU path keeps in bf16: x, Q/K/V and the context.
    mutating func selfAttention(heads: Int, hd: Int, lengths: [Int]) {
        let n = lengths.reduce(0, +), d = heads * hd
        let (qkvWeight, _) = bf16Weights([3 * d, d], scale: 1.5 / Float(d).squareRoot())
        let (outputWeight, _) = bf16Weights([d, d], scale: 1 / Float(d).squareRoot())
        let x = random.normals(n * d), qkvBias = random.normals(3 * d).map { $0 * 0.1 }, outputBias = random.normals(d)
        func rounded(_ t: Tensor) -> Tensor { host(t.floats.map { Float(bf16Bits: $0.bf16Bits) }, t.shape) }
        let qkv = Tensor(zeros: [n, 3 * d]), context = Tensor(zeros: [n, d]), expected = Tensor(zeros: [n, d])
        ReferenceOps.linear(host(x.map { Float(bf16Bits: $0.bf16Bits) }, [n, d]), weight: qkvWeight, bias: host(qkvBias, [3 * d]), into: qkv)
        ReferenceOps.encoderAttention(qkv: rounded(qkv), sequenceLengths: lengths, heads: heads, scale: 1 / Float(hd).squareRoot(), into: context)
        ReferenceOps.linear(rounded(context), weight: outputWeight, bias: host(outputBias, [d]), into: expected)
        let out = poisoned([n, d])
        gpu.selfAttention(
            device(x, [n, d]), qkv: gpu.upload(qkvWeight), qkvBias: device(qkvBias, [3 * d]), output: gpu.upload(outputWeight),
            outputBias: device(outputBias, [d]), sequenceLengths: lengths, heads: heads, scale: 1 / Float(hd).squareRoot(),
            qkvScratch: poisoned([n, 3 * d]), contextScratch: poisoned([n, d]), into: out)
        // Flash attention keeps the probabilities in 16 bits (as PyTorch's SDPA kernels do).
        compare("encoder", "selfAttention heads \(heads) hd \(hd) lengths \(lengths)", gpu.readFloats(out), expected.floats, relative: 5e-3)
    }

    mutating func pool(lengths: [Int], d: Int, mode: PoolingMode) {
        let n = lengths.reduce(0, +)
        let x = random.normals(n * d)
        let expected = Tensor(zeros: [lengths.count, d])
        ReferenceOps.pool(host(x, [n, d]), sequenceLengths: lengths, mode: mode, into: expected)
        let out = poisoned([lengths.count, d])
        gpu.pool(device(x, [n, d]), sequenceLengths: lengths, mode: mode, into: out)
        let exact = mode == .cls || mode == .lastToken || mode == .max
        compare("encoder", "pool \(mode) lengths \(lengths) d \(d)", gpu.readFloats(out), expected.floats, relative: exact ? 0 : 1e-5)
    }

    mutating func l2Normalize(rows: Int, d: Int) {
        var x = random.normals(rows * d)
        for c in 0..<d { x[d + c] = 0 }  // a zero row stays zero
        let expected = Tensor(zeros: [rows, d])
        ReferenceOps.l2Normalize(host(x, [rows, d]), into: expected)
        let out = poisoned([rows, d])
        gpu.l2Normalize(device(x, [rows, d]), into: out)
        compare("encoder", "l2Normalize \(rows)×\(d)", gpu.readFloats(out), expected.floats, relative: 1e-6)
    }
}
