import CFloeCUDA
import FloeTensor

/// The encoder ops on the GPU (kernels in EncoderKernels): BERT-family embedding models run on
/// the same stream, allocator and cuBLASLt GEMMs as the decoder path.
extension CUDABackend: EncoderBackend {
    /// With a GEMM likely next, the kernel also writes the 16-bit copy that GEMM reads
    /// (CUDABackend+GEMMInput), as `addLayerNorm` does.
    public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float, into out: Tensor) {
        device.bind()
        let d = x.shape.last
        precondition(weight.elementCount == d && bias.elementCount == d && out.elementCount == x.elementCount, "layerNorm shapes \(x.shape) \(weight.shape) \(bias.shape) \(out.shape)")
        let arguments = KernelArguments().tensor(x).tensor(weight).tensor(bias).tensor(out)
        let copy = gemmInputCopyBuffer(for: out)
        module.launch(copy == nil ? "layer_norm" : "layer_norm" + gemmInputCopySuffix, grid: (x.shape.rowCount, 1, 1), block: Self.normThreads(d),
            (copy.map { arguments.pointer($0) } ?? arguments).int(d).float(epsilon))
        if let copy { offerGEMMInput(of: out, copy: copy, dtype: weightDType) }
    }

    public func addLayerNorm(_ x: Tensor, residual: Tensor, weight: Tensor, bias: Tensor, epsilon: Float, into out: Tensor) {
        device.bind()
        let d = x.shape.last
        precondition(residual.elementCount == x.elementCount && weight.elementCount == d && bias.elementCount == d && out.elementCount == x.elementCount,
            "addLayerNorm shapes \(x.shape) \(residual.shape) \(weight.shape) \(out.shape)")
        let arguments = KernelArguments().tensor(x).tensor(residual).tensor(weight).tensor(bias).tensor(out)
        let copy = gemmInputCopyBuffer(for: out)
        module.launch(copy == nil ? "add_layer_norm" : "add_layer_norm" + gemmInputCopySuffix, grid: (x.shape.rowCount, 1, 1), block: Self.normThreads(d),
            (copy.map { arguments.pointer($0) } ?? arguments).int(d).float(epsilon))
        if let copy { offerGEMMInput(of: out, copy: copy, dtype: weightDType) }
    }

    public func gelu(_ x: Tensor, into out: Tensor) {
        device.bind()
        precondition(x.elementCount == out.elementCount, "gelu shapes")
        let count = out.elementCount
        module.launch("gelu", grid: (elementBlocks(count), 1, 1), block: 256, KernelArguments().tensor(x).tensor(out).int64(count))
    }

    /// With 16-bit weights on cuBLASLt, the bias goes into the GEMM's epilogue: one pass over
    /// the output less than `linear` (convert, GEMM, add the bias).
    public func biasedLinear(_ x: Tensor, weight: Tensor, bias: Tensor, into out: Tensor) {
        let n = x.shape.rowCount, inFeatures = x.shape.last, outFeatures = weight.shape.rowCount
        guard n > gemvMaxTokens, let matmul, weight.dtype == .bf16 || weight.dtype == .f16 else {
            linear(x, weight: weight, bias: bias, into: out)
            return
        }
        device.bind()
        precondition(weight.shape.last == inFeatures && out.elementCount == n * outFeatures && bias.elementCount == outFeatures,
            "biasedLinear shapes \(x.shape) \(weight.shape) \(bias.shape) \(out.shape)")
        let input = gemmInput(x, weightDType: weight.dtype)
        if !matmul.multiply(x: input, weight: weight.deviceAddress, bias: bias.deviceAddress, output: out.deviceAddress,
            rows: n, inFeatures: inFeatures, outFeatures: outFeatures, dtype: weight.dtype)
        {
            matmul.multiply(x: input, weight: weight.deviceAddress, output: out.deviceAddress, rows: n, inFeatures: inFeatures, outFeatures: outFeatures, dtype: weight.dtype)
            module.launch("add_bias", grid: (elementBlocks(n * outFeatures), 1, 1), block: 256,
                KernelArguments().tensor(out).tensor(bias).int64(n * outFeatures).int(outFeatures))
        }
    }

    /// The MLP with 16-bit weights on cuBLASLt: x in 16 bits (the norm's copy, or converted
    /// once), the first GEMM adds its bias in its epilogue and writes 16 bits, GELU runs in place
    /// on that, and the second GEMM reads it and adds its bias in its epilogue — the `[n, ffn]` activation is written twice in 16 bits
    /// instead of four f32/16-bit passes. (Where cuBLASLt offers no 16-bit-output plan, the first
    /// GEMM writes f32 and one pass applies bias and GELU and writes the 16-bit copy.)
    /// Few rows (the GEMV path), f32 weights or no cuBLASLt take the composed ops.
    public func feedForward(_ x: Tensor, up: Tensor, upBias: Tensor, down: Tensor, downBias: Tensor, inner: Tensor, into out: Tensor) {
        let n = x.shape.rowCount, d = x.shape.last, ffn = up.shape.rowCount
        guard n > gemvMaxTokens, let matmul, up.dtype == down.dtype, up.dtype == .bf16 || up.dtype == .f16 else {
            linear(x, weight: up, bias: upBias, into: inner)
            gelu(inner, into: inner)
            linear(inner, weight: down, bias: downBias, into: out)
            return
        }
        device.bind()
        precondition(up.shape.last == d && down.shape.last == ffn && down.shape.rowCount == out.shape.last && inner.elementCount >= n * ffn
            && upBias.elementCount == ffn && downBias.elementCount == down.shape.rowCount && out.shape.rowCount == n,
            "feedForward shapes \(x.shape) \(up.shape) \(down.shape) \(inner.shape) \(out.shape)")
        let bf16 = up.dtype == .bf16
        let input = gemmInput(x, weightDType: up.dtype)
        let activation = scratchBuffer("encoder-ffn-activation", bytes: n * ffn * 2).deviceAddress
        if matmul.multiply(x: input, weight: up.deviceAddress, bias: upBias.deviceAddress, output: activation,
            rows: n, inFeatures: d, outFeatures: ffn, dtype: up.dtype, outputDType: up.dtype)
        {
            // The first GEMM wrote x·upᵀ + bias in 16 bits (as PyTorch's half-precision MLP
            // keeps it): GELU in place, and the f32 activation never exists.
            module.launch(bf16 ? "gelu_bf16" : "gelu_f16", grid: (elementBlocks(n * ffn), 1, 1), block: 256,
                KernelArguments().pointer(activation).pointer(0).int64(n * ffn).int(ffn))
        } else if matmul.multiply(x: input, weight: up.deviceAddress, bias: nil, output: activation,
            rows: n, inFeatures: d, outFeatures: ffn, dtype: up.dtype, outputDType: up.dtype)
        {
            // No 16-bit plan with a bias epilogue (the H100's cuBLASLt has none at BERT shapes),
            // but one without: the bias joins GELU's in-place pass, still all in 16 bits.
            module.launch(bf16 ? "gelu_bf16" : "gelu_f16", grid: (elementBlocks(n * ffn), 1, 1), block: 256,
                KernelArguments().pointer(activation).tensor(upBias).int64(n * ffn).int(ffn))
        } else {
            let upBiasAdded = matmul.multiply(x: input, weight: up.deviceAddress, bias: upBias.deviceAddress, output: inner.deviceAddress,
                rows: n, inFeatures: d, outFeatures: ffn, dtype: up.dtype)
            if !upBiasAdded {
                matmul.multiply(x: input, weight: up.deviceAddress, output: inner.deviceAddress, rows: n, inFeatures: d, outFeatures: ffn, dtype: up.dtype)
            }
            module.launch(bf16 ? "bias_gelu_bf16" : "bias_gelu_f16", grid: (elementBlocks(n * ffn), 1, 1), block: 256,
                KernelArguments().tensor(inner).pointer(upBiasAdded ? 0 : upBias.deviceAddress).pointer(activation).int64(n * ffn).int(ffn))
        }
        let outFeatures = down.shape.rowCount
        if !matmul.multiply(x: activation, weight: down.deviceAddress, bias: downBias.deviceAddress, output: out.deviceAddress,
            rows: n, inFeatures: ffn, outFeatures: outFeatures, dtype: down.dtype)
        {
            matmul.multiply(x: activation, weight: down.deviceAddress, output: out.deviceAddress, rows: n, inFeatures: ffn, outFeatures: outFeatures, dtype: down.dtype)
            module.launch("add_bias", grid: (elementBlocks(n * outFeatures), 1, 1), block: 256,
                KernelArguments().tensor(out).tensor(downBias).int64(n * outFeatures).int(outFeatures))
        }
    }

    public func encoderAttention(qkv: Tensor, sequenceLengths: [Int], heads: Int, scale: Float, into out: Tensor) {
        device.bind()
        let d = out.shape.last, n = sequenceLengths.reduce(0, +)
        precondition(heads > 0 && d % heads == 0 && qkv.shape.last == 3 * d && qkv.shape.rowCount >= n && out.shape.rowCount >= n,
            "encoderAttention shapes \(qkv.shape) \(out.shape) heads \(heads)")
        launchEncoderAttention("encoder_attention_", qkv: qkv.deviceAddress, out: out.deviceAddress, sequenceLengths: sequenceLengths,
            heads: heads, headDim: d / heads, scale: scale)
    }

    /// With 16-bit weights on cuBLASLt the attention sublayer stays in 16 bits between its GEMMs:
    /// the Q/K/V GEMM adds its bias and writes 16 bits, attention reads those and writes its
    /// 16-bit output straight into the output GEMM's input, which adds its bias. Against the
    /// composed ops that saves the f32 Q/K/V and context round trips and a conversion pass.
    public func selfAttention(
        _ x: Tensor, qkv: Tensor, qkvBias: Tensor, output: Tensor, outputBias: Tensor, sequenceLengths: [Int], heads: Int,
        scale: Float, qkvScratch: Tensor, contextScratch: Tensor, into out: Tensor
    ) {
        let n = x.shape.rowCount, d = x.shape.last
        func composed() {
            biasedLinear(x, weight: qkv, bias: qkvBias, into: qkvScratch)
            encoderAttention(qkv: qkvScratch, sequenceLengths: sequenceLengths, heads: heads, scale: scale, into: contextScratch)
            biasedLinear(contextScratch, weight: output, bias: outputBias, into: out)
        }
        guard n > gemvMaxTokens, let matmul, qkv.dtype == output.dtype, qkv.dtype == .bf16 || qkv.dtype == .f16,
            heads > 0, d % heads == 0, d / heads <= EncoderKernels.maxHeadDim
        else { return composed() }
        device.bind()
        precondition(qkv.shape.rowCount == 3 * d && qkv.shape.last == d && output.shape.rowCount == d && output.shape.last == d
            && qkvBias.elementCount == 3 * d && outputBias.elementCount == d && out.elementCount == n * d
            && sequenceLengths.reduce(0, +) == n && sequenceLengths.allSatisfy { $0 >= 0 },
            "selfAttention shapes \(x.shape) \(qkv.shape) \(output.shape) \(out.shape), lengths summing to \(sequenceLengths.reduce(0, +))")
        let dtype = qkv.dtype
        let input = gemmInput(x, weightDType: dtype)
        let qkv16 = scratchBuffer("encoder-qkv16", bytes: n * 3 * d * 2).deviceAddress
        let context16 = scratchBuffer("encoder-context16", bytes: n * d * 2).deviceAddress
        let flash = FlashAttentionKernels.supports(headDim: d / heads) && d % 8 == 0 && !tuning.encoderAttentionOnCUDACores
        // Biases the attention kernel adds itself (when the GEMM could not): see below.
        var attentionBias: CUdeviceptr = 0
        if !matmul.multiply(x: input, weight: qkv.deviceAddress, bias: qkvBias.deviceAddress, output: qkv16,
            rows: n, inFeatures: d, outFeatures: 3 * d, dtype: dtype, outputDType: dtype)
        {
            // No 16-bit-output plan with a bias epilogue (the H100's cuBLASLt has none at
            // BERT-base shapes). The flash kernel takes the bias itself: Q's when it loads the
            // queries, V's on its output (the probabilities of a row sum to 1), and K's not at
            // all (it adds q·b_k to every score of a row, which the softmax cancels). Otherwise:
            // the f32 product with its bias, then one pass to 16 bits.
            if flash, matmul.multiply(x: input, weight: qkv.deviceAddress, bias: nil, output: qkv16,
                rows: n, inFeatures: d, outFeatures: 3 * d, dtype: dtype, outputDType: dtype)
            {
                attentionBias = qkvBias.deviceAddress
            } else {
                if !matmul.multiply(x: input, weight: qkv.deviceAddress, bias: qkvBias.deviceAddress, output: qkvScratch.deviceAddress,
                    rows: n, inFeatures: d, outFeatures: 3 * d, dtype: dtype)
                {
                    matmul.multiply(x: input, weight: qkv.deviceAddress, output: qkvScratch.deviceAddress, rows: n, inFeatures: d, outFeatures: 3 * d, dtype: dtype)
                    module.launch("add_bias", grid: (elementBlocks(n * 3 * d), 1, 1), block: 256,
                        KernelArguments().tensor(qkvScratch).tensor(qkvBias).int64(n * 3 * d).int(3 * d))
                }
                module.launch(dtype == .bf16 ? "convert_f32_bf16" : "convert_f32_f16", grid: (elementBlocks(n * 3 * d), 1, 1), block: 256,
                    KernelArguments().tensor(qkvScratch).pointer(qkv16).int64(n * 3 * d))
            }
        }
        if flash {
            launchPackedFlashAttention(bf16: dtype == .bf16, qkv: qkv16, qkvBias: attentionBias, out: context16, sequenceLengths: sequenceLengths,
                heads: heads, headDim: d / heads, scale: scale)
        } else {
            launchEncoderAttention(dtype == .bf16 ? "encoder_attention_bf16_" : "encoder_attention_f16_", qkv: qkv16, out: context16,
                sequenceLengths: sequenceLengths, heads: heads, headDim: d / heads, scale: scale)
        }
        if !matmul.multiply(x: context16, weight: output.deviceAddress, bias: outputBias.deviceAddress, output: out.deviceAddress,
            rows: n, inFeatures: d, outFeatures: d, dtype: dtype)
        {
            matmul.multiply(x: context16, weight: output.deviceAddress, output: out.deviceAddress, rows: n, inFeatures: d, outFeatures: d, dtype: dtype)
            module.launch("add_bias", grid: (elementBlocks(n * d), 1, 1), block: 256,
                KernelArguments().tensor(out).tensor(outputBias).int64(n * d).int(d))
        }
    }

    /// The tensor-core flash kernel over packed 16-bit Q/K/V rows: a block per (64-query tile of a
    /// sequence, head), longest sequences first. `qkvBias` (f32 [3 · d], or 0): the Q/K/V bias
    /// the GEMM left out.
    private func launchPackedFlashAttention(
        bf16: Bool, qkv: CUdeviceptr, qkvBias: CUdeviceptr, out: CUdeviceptr, sequenceLengths: [Int], heads: Int, headDim hd: Int, scale: Float
    ) {
        let tiles = encoderFlashTiles(sequenceLengths)
        guard tiles.count > 0 else { return }
        let name = "flash_attention_packed_\(bf16 ? "bf16" : "f16")_\(hd)", sharedBytes = FlashAttentionKernels.sharedBytes(headDim: hd)
        if sharedBytes > 48 << 10 { allowDynamicSharedMemory(name, bytes: sharedBytes) }
        module.launch(name, grid: (tiles.count, heads, 1), block: FlashAttentionKernels.threads, sharedBytes: sharedBytes,
            KernelArguments().pointer(qkv).pointer(qkvBias).pointer(tiles.buffer.deviceAddress).pointer(out).int(heads)
                .float(scale * 1.4426950408889634))  // log2(e): base 2
    }

    /// The flash kernel's tile table for a batch of these lengths (five ints per 64-query tile,
    /// longest sequences first), uploaded once per batch: every layer of the forward pass asks
    /// for the same one.
    func encoderFlashTiles(_ sequenceLengths: [Int]) -> EncoderFlashTiles {
        if let cached = encoderFlashTileCache, cached.lengths == sequenceLengths { return cached }
        let tile = FlashAttentionKernels.queriesPerBlock
        var tiles: [(length: Int, words: [Int32])] = []
        var start = 0
        for length in sequenceLengths {
            for first in stride(from: 0, to: length, by: tile) {
                tiles.append((length, [Int32(start + first), Int32(min(tile, length - first)), 0, Int32(length), Int32(start)]))
            }
            start += length
        }
        tiles.sort { $0.length > $1.length }
        let uploaded = EncoderFlashTiles(lengths: sequenceLengths, buffer: uploadToNewBuffer(tiles.flatMap(\.words)), count: tiles.count)
        encoderFlashTileCache = uploaded
        return uploaded
    }

    /// One attention kernel launch over the ragged batch: a block per (sequence, head, query tile).
    private func launchEncoderAttention(_ prefix: String, qkv: CUdeviceptr, out: CUdeviceptr, sequenceLengths: [Int], heads: Int, headDim hd: Int, scale: Float) {
        precondition(sequenceLengths.allSatisfy { $0 >= 0 }, "negative sequence length")
        guard hd <= EncoderKernels.maxHeadDim else {
            fatalError("CUDA encoder attention supports head sizes up to \(EncoderKernels.maxHeadDim), got \(hd)")
        }
        guard let longest = sequenceLengths.max(), longest > 0 else { return }
        let bucket = EncoderKernels.headDimBucket(hd)
        let queriesPerBlock = EncoderKernels.attentionWarps * EncoderKernels.queriesPerWarp(headDimBucket: bucket)
        let starts = uploadIndices(Self.sequenceStarts(sequenceLengths), purpose: "encoder-starts")
        module.launch(prefix + String(bucket), grid: (sequenceLengths.count, heads, (longest + queriesPerBlock - 1) / queriesPerBlock),
            block: EncoderKernels.attentionWarps * 32,
            KernelArguments().pointer(qkv).pointer(starts).pointer(out).int(heads).int(hd).float(scale))
    }

    public func pool(_ x: Tensor, sequenceLengths: [Int], mode: PoolingMode, into out: Tensor) {
        device.bind()
        let d = x.shape.last
        precondition(x.shape.rowCount >= sequenceLengths.reduce(0, +) && out.elementCount == sequenceLengths.count * d, "pool shapes \(x.shape) \(out.shape)")
        precondition(sequenceLengths.allSatisfy { $0 > 0 }, "pooling an empty sequence")
        let code: Int
        switch mode {
        case .cls: code = 0
        case .mean: code = 1
        case .max: code = 2
        case .meanSqrtLength: code = 3
        case .lastToken: code = 4
        }
        let starts = uploadIndices(Self.sequenceStarts(sequenceLengths), purpose: "encoder-pool-starts")
        let threads = min(256, max(32, (d + 31) / 32 * 32))
        module.launch("pool_rows", grid: (sequenceLengths.count, (d + threads - 1) / threads, 1), block: threads,
            KernelArguments().tensor(x).pointer(starts).tensor(out).int(d).int(code))
    }

    public func l2Normalize(_ x: Tensor, into out: Tensor) {
        device.bind()
        precondition(x.elementCount == out.elementCount, "l2Normalize shapes")
        let d = x.shape.last
        module.launch("l2_normalize", grid: (x.shape.rowCount, 1, 1), block: Self.rowThreads(d), KernelArguments().tensor(x).tensor(out).int(d))
    }

    /// The first row of every sequence, then the total: `[0, l0, l0 + l1, …, n]`.
    static func sequenceStarts(_ lengths: [Int]) -> [Int32] {
        var starts: [Int32] = [0]
        starts.reserveCapacity(lengths.count + 1)
        for length in lengths { starts.append(starts.last! + Int32(length)) }
        return starts
    }
}

/// A ragged batch's tile table for the flash kernel, on the device (`encoderFlashTiles`).
struct EncoderFlashTiles {
    let lengths: [Int]
    let buffer: Storage
    let count: Int
}
