import CFloeCUDA
import FloeTensor

extension CUDABackend {
    /// Threads for one-block-per-row kernels: enough to cover the row, at most 1024.
    static func rowThreads(_ width: Int) -> Int { min(1024, max(32, (width + 31) / 32 * 32)) }
    /// Threads for the norm kernels, which move float4 when the width allows it.
    static func normThreads(_ width: Int) -> Int { rowThreads(width % 4 == 0 ? width / 4 : width) }
    /// Blocks for grid-stride elementwise kernels.
    func elementBlocks(_ count: Int) -> Int { max(1, min((count + 255) / 256, device.multiprocessorCount * 8)) }

    public func embed(tokens: Tensor, table: Tensor, into out: Tensor) {
        device.bind()
        let n = tokens.elementCount, d = table.shape.last
        let kernel: String
        switch table.dtype {
        case .bf16: kernel = "embed_bf16"
        case .f16: kernel = "embed_f16"
        case .f32: kernel = "embed_f32"
        default: fatalError("CUDA embedding table must be bf16, f16 or f32, not \(table.dtype)")
        }
        module.launch(kernel, grid: (n, 1, 1), block: Self.rowThreads(d), KernelArguments().tensor(tokens).tensor(table).tensor(out).int(d))
    }

    /// With a GEMM likely next, the kernel also writes the 16-bit copy that GEMM reads
    /// (CUDABackend+GEMMInput).
    public func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float, into out: Tensor) {
        device.bind()
        let d = x.shape.last
        precondition(x.deviceAddress % 16 == 0 && out.deviceAddress % 16 == 0 || d % 4 != 0, "rmsNorm rows must be 16-byte aligned")
        let arguments = KernelArguments().tensor(x).tensor(weight).tensor(out)
        let copy = gemmInputCopyBuffer(for: out)
        module.launch(copy == nil ? "rms_norm" : "rms_norm" + gemmInputCopySuffix, grid: (x.shape.rowCount, 1, 1), block: Self.normThreads(d),
            (copy.map { arguments.pointer($0) } ?? arguments).int(d).float(epsilon))
        if let copy { offerGEMMInput(of: out, copy: copy, dtype: weightDType) }
    }

    public func addRMSNorm(residual: Tensor, delta: Tensor, weight: Tensor, epsilon: Float, into out: Tensor) {
        device.bind()
        let d = residual.shape.last
        let arguments = KernelArguments().tensor(residual).tensor(delta).tensor(weight).tensor(out)
        let copy = gemmInputCopyBuffer(for: out)
        module.launch(copy == nil ? "add_rms_norm" : "add_rms_norm" + gemmInputCopySuffix, grid: (residual.shape.rowCount, 1, 1),
            block: Self.normThreads(d), (copy.map { arguments.pointer($0) } ?? arguments).int(d).float(epsilon))
        if let copy { offerGEMMInput(of: out, copy: copy, dtype: weightDType) }
    }

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) {
        device.bind()
        let inFeatures = weight.shape.last, outFeatures = weight.shape.rowCount, n = x.shape.rowCount
        precondition(x.shape.last == inFeatures && out.elementCount == n * outFeatures, "linear shapes \(x.shape) \(weight.shape) \(out.shape)")
        let prefix: String
        switch weight.dtype {
        case .bf16: prefix = "gemv_bf16_"
        case .f16: prefix = "gemv_f16_"
        case .f32: prefix = "gemv_f32_"
        default: fatalError("CUDA linear needs bf16, f16 or f32 weights (upload converts them), got \(weight.dtype)")
        }
        if n > gemvMaxTokens, matmul != nil {
            gemm(input: gemmInput(x, weightDType: weight.dtype), rows: n, weight: weight, bias: bias, into: out)
            return
        }
        // Small batches (or no cuBLASLt): the GEMV kernel, up to 8 token rows per pass; enough
        // small blocks that even a 1024-row projection keeps every SM streaming weights.
        let aligned = inFeatures % 8 == 0 && weight.deviceAddress % 16 == 0 && x.deviceAddress % 16 == 0
        if tuning.tiledGEMV, aligned, n <= GEMVKernels.tiledMaxTokens, weight.dtype != .f32 {
            let small = tuning.smallGEMVTiles && outFeatures < GEMVKernels.tileRows * GEMVKernels.smallTileBlocksPerSM * device.multiprocessorCount
            let rowsPerBlock = small ? 4 : GEMVKernels.tileRows
            let kernel = (small ? "gemv_tiled4_" : "gemv_tiled_") + (weight.dtype == .bf16 ? "bf16_" : "f16_") + String(n)
            module.launch(kernel, grid: ((outFeatures + rowsPerBlock - 1) / rowsPerBlock, 1, 1),
                block: GEMVKernels.threadsPerBlock,
                KernelArguments().tensor(x).tensor(weight).tensor(bias).tensor(out).int(inFeatures).int(outFeatures)
                    .int(tuning.gemvPrefetch ? 1 : 0))
            return
        }
        let warpsPerBlock = GEMVKernels.threadsPerBlock / 32
        let blocks = max(1, min((outFeatures + warpsPerBlock - 1) / warpsPerBlock, device.multiprocessorCount * 4))
        var start = 0
        while start < n {
            let rows = min(GEMVKernels.maxTokens, n - start)
            let stagedBytes = rows * inFeatures * 4
            let staged = aligned && weight.dtype != .f32 && stagedBytes <= GEMVKernels.maxStagedBytes
            let kernel = prefix + String(rows)
            if staged { allowDynamicSharedMemory(kernel, bytes: GEMVKernels.maxStagedBytes) }
            module.launch(kernel, grid: (blocks, 1, 1), block: GEMVKernels.threadsPerBlock, sharedBytes: staged ? stagedBytes : 0,
                KernelArguments().pointer(x.deviceAddress + CUdeviceptr(start * inFeatures * 4)).tensor(weight).tensor(bias)
                    .pointer(out.deviceAddress + CUdeviceptr(start * outFeatures * 4)).int(inFeatures).int(outFeatures)
                    .int(staged ? 2 : aligned ? 1 : 0))
            start += rows
        }
    }

    /// out = input · weightᵀ (+ bias) through cuBLASLt, f32 output.
    private func gemm(input: CUdeviceptr, rows n: Int, weight: Tensor, bias: Tensor?, into out: Tensor) {
        guard let matmul else { fatalError("gemm without cuBLASLt") }
        let inFeatures = weight.shape.last, outFeatures = weight.shape.rowCount
        matmul.multiply(x: input, weight: weight.deviceAddress, output: out.deviceAddress,
            rows: n, inFeatures: inFeatures, outFeatures: outFeatures, dtype: weight.dtype)
        if let bias {
            module.launch("add_bias", grid: (elementBlocks(n * outFeatures), 1, 1), block: 256,
                KernelArguments().tensor(out).tensor(bias).int64(n * outFeatures).int(outFeatures))
        }
    }

    /// Up to three values as the three words of a kernel parameter struct's array (zeros after).
    private static func threeWords(_ values: [UInt64]) -> [UInt64] { values + [UInt64](repeating: 0, count: 3 - values.count) }

    /// Matrices stored back to back (`uploadStacked`) as one GEMM over all their rows into a
    /// scratch `[n, Σ rows]` f32, returned (nil, nothing launched, when the weights are not
    /// adjacent 16-bit matrices of one width, an output is not a 16-byte aligned f32 `[n, rows]`
    /// with rows a multiple of 4, or cuBLASLt has no plan). One wide GEMM streams Q, K and V
    /// faster than three narrow ones; `split_columns` (`linears`) or `rope_store_kv`
    /// (`projectQKVAndStoreKV`) then give each output its columns and bias.
    private func stackedGEMM(input: CUdeviceptr, rows n: Int, weights: [Tensor], biases: [Tensor?], into outs: [Tensor]) -> Storage? {
        guard let matmul, n <= tuning.stackedGEMMMaxTokens, (2...3).contains(weights.count) else { return nil }
        let dtype = weights[0].dtype, inFeatures = weights[0].shape.last
        guard dtype == .bf16 || dtype == .f16,
            weights.allSatisfy({ $0.dtype == dtype && $0.shape.last == inFeatures && $0.shape.rowCount % 4 == 0 }),
            zip(weights, weights.dropFirst()).allSatisfy({ $0.deviceAddress + CUdeviceptr($0.byteCount) == $1.deviceAddress }),
            zip(weights, outs).allSatisfy({ $1.dtype == .f32 && $1.elementCount == n * $0.shape.rowCount && $1.deviceAddress % 16 == 0 }),
            biases.allSatisfy({ $0 == nil || ($0!.dtype == .f32 && $0!.deviceAddress % 16 == 0) })
        else { return nil }
        let total = weights.reduce(0) { $0 + $1.shape.rowCount }
        let stacked = scratchBuffer("stacked-projection", bytes: n * total * 4)
        guard matmul.multiply(x: input, weight: weights[0].deviceAddress, bias: nil, output: stacked.deviceAddress,
            rows: n, inFeatures: inFeatures, outFeatures: total, dtype: dtype)
        else { return nil }
        stackedGEMMCalls += 1
        return stacked
    }

    /// `stackedGEMM`'s output split into `outs`, each with its bias.
    private func splitColumns(_ stacked: Storage, rows n: Int, biases: [Tensor?], into outs: [Tensor]) {
        let widths = outs.map { $0.elementCount / n }, total = widths.reduce(0, +)
        let parts = Self.threeWords(outs.map { $0.deviceAddress }) + Self.threeWords(biases.map { $0?.deviceAddress ?? 0 })
            + Self.threeWords(widths.map { UInt64($0) })
        module.launch("split_columns", grid: (min((total / 4 + 255) / 256, 64), n, 1), block: 256,
            KernelArguments().pointer(stacked.deviceAddress).structure(parts).int(total))
    }

    /// Two of `weights` (K and V of a Q/K/V projection) that one batched cuBLASLt call can take:
    /// 16-bit, the same shape, no bias, the second weight after the first and the second f32
    /// output after the end of the first. Nil when pairing is off or no such two exist.
    private func pairableGEMMs(weights: [Tensor], biases: [Tensor?], outs: [Tensor]) -> (Int, Int)? {
        guard tuning.pairedGEMMs else { return nil }
        for i in weights.indices {
            for j in weights.indices where j != i {
                let (a, b) = (weights[i], weights[j])
                if a.shape == b.shape, a.dtype == b.dtype, a.dtype != .f32, biases[i] == nil, biases[j] == nil,
                    outs[i].dtype == .f32, outs[j].dtype == .f32, b.deviceAddress > a.deviceAddress, outs[j].deviceAddress > outs[i].deviceAddress,
                    (b.deviceAddress - a.deviceAddress) % 2 == 0, (outs[j].deviceAddress - outs[i].deviceAddress) % 4 == 0,
                    Int(outs[j].deviceAddress - outs[i].deviceAddress) / 4 >= outs[i].elementCount  // the outputs must not overlap
                {
                    return (i, j)
                }
            }
        }
        return nil
    }

    /// Whether matrices sharing x go through cuBLASLt with one converted copy of x.
    private func sharesGEMMInput(_ x: Tensor, _ weights: [Tensor]) -> Bool {
        x.shape.rowCount > gemvMaxTokens && matmul != nil && weights.allSatisfy { $0.dtype == weights[0].dtype }
    }

    public func linears(_ x: Tensor, weights: [Tensor], biases: [Tensor?], into outs: [Tensor]) {
        if sharesGEMMInput(x, weights) {
            device.bind()
            let input = gemmInput(x, weightDType: weights[0].dtype)
            let n = x.shape.rowCount
            if let stacked = stackedGEMM(input: input, rows: n, weights: weights, biases: biases, into: outs) {
                splitColumns(stacked, rows: n, biases: biases, into: outs)
            } else {
                separateGEMMs(input: input, rows: n, weights: weights, biases: biases, into: outs)
            }
            return
        }
        guard let words = projectionWords(x, weights: weights, biases: biases, outs: outs) else {
            for (index, weight) in weights.enumerated() { linear(x, weight: weight, bias: biases[index], into: outs[index]) }
            return
        }
        launchMultiGEMV(x, weights[0], words: words, totalRows: outs.reduce(0) { $0 + $1.shape.last }, gated: false)
    }

    /// Same-input matrices through cuBLASLt apart: a batched call for a pairable two (K and V),
    /// one GEMM for each other.
    private func separateGEMMs(input: CUdeviceptr, rows n: Int, weights: [Tensor], biases: [Tensor?], into outs: [Tensor]) {
        var done = Set<Int>()
        if let (first, second) = pairableGEMMs(weights: weights, biases: biases, outs: outs),
            let matmul, matmul.multiplyPair(
                x: input, firstWeight: weights[first].deviceAddress,
                weightStride: Int64(weights[second].deviceAddress - weights[first].deviceAddress) / 2,
                output: outs[first].deviceAddress, outputStride: Int64(outs[second].deviceAddress - outs[first].deviceAddress) / 4,
                rows: n, inFeatures: weights[first].shape.last, outFeatures: weights[first].shape.rowCount,
                dtype: weights[first].dtype, outputDType: .f32)
        {
            done = [first, second]
            pairedGEMMCalls += 1
        }
        for (index, weight) in weights.enumerated() where !done.contains(index) {
            gemm(input: input, rows: n, weight: weight, bias: biases[index], into: outs[index])
        }
    }

    /// With the stacked Q/K/V GEMM, `rope_store_kv` reads its output's columns and biases
    /// directly: the split is no pass of its own (one kernel less per layer).
    public func projectQKVAndStoreKV(
        _ x: Tensor, weights: [Tensor], biases: [Tensor?], query: Tensor, key: Tensor, value: Tensor, positions: Tensor,
        inverseFrequencies: Tensor, style: RoPEStyle, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata
    ) {
        let n = x.shape.rowCount
        let outs = [query, key, value].map { $0.reshaped([n, $0.elementCount / max(n, 1)]) }
        if weights.count == 3, sharesGEMMInput(x, weights) {
            device.bind()
            let input = gemmInput(x, weightDType: weights[0].dtype)
            if let stacked = stackedGEMM(input: input, rows: n, weights: weights, biases: biases, into: outs) {
                let widths = outs.map { $0.shape.last }, total = widths.reduce(0, +)
                let base = stacked.deviceAddress
                let inputs = RopeInputs(
                    query: base, key: base + UInt64(widths[0] * 4), value: base + UInt64((widths[0] + widths[1]) * 4),
                    queryStride: total, keyValueStride: total,
                    queryBias: biases[0]?.deviceAddress ?? 0, keyBias: biases[1]?.deviceAddress ?? 0, valueBias: biases[2]?.deviceAddress ?? 0,
                    queryOut: query.deviceAddress, keyOut: key.deviceAddress, valueOut: value.deviceAddress)
                return launchRopeAndStoreKV(inputs, tokens: n, heads: query.shape[1], kvHeads: key.shape[1], headDim: query.shape[2],
                    positions: positions, inverseFrequencies: inverseFrequencies, style: style, keyCache: keyCache, valueCache: valueCache,
                    metadata: metadata)
            }
            separateGEMMs(input: input, rows: n, weights: weights, biases: biases, into: outs)
        } else {
            linears(x, weights: weights, biases: biases, into: outs)
        }
        ropeAndStoreKV(query: query, key: key, value: value, positions: positions, inverseFrequencies: inverseFrequencies,
            style: style, keyCache: keyCache, valueCache: valueCache, metadata: metadata)
    }

    public func gatedLinear(_ x: Tensor, gate: Tensor, up: Tensor, scratch: Tensor, into out: Tensor) {
        if sharesGEMMInput(x, [gate, up]) {
            device.bind()
            let input = gemmInput(x, weightDType: gate.dtype)
            gemm(input: input, rows: x.shape.rowCount, weight: gate, bias: nil, into: out)
            gemm(input: input, rows: x.shape.rowCount, weight: up, bias: nil, into: scratch)
            siluMul(gate: out, up: scratch, into: out)
            return
        }
        guard let words = projectionWords(x, weights: [gate, up], biases: [nil, nil], outs: [out, scratch]) else {
            linear(x, weight: gate, bias: nil, into: out)
            linear(x, weight: up, bias: nil, into: scratch)
            siluMul(gate: out, up: scratch, into: out)
            return
        }
        launchMultiGEMV(x, gate, words: words, totalRows: gate.shape.rowCount, gated: true)
    }

    /// The kernel's `Projections` struct for up to three same-input matrices, when the
    /// multi-matrix GEMV applies (few tokens, 16-bit weights, aligned rows); else nil.
    private func projectionWords(_ x: Tensor, weights: [Tensor], biases: [Tensor?], outs: [Tensor]) -> [UInt64]? {
        let n = x.shape.rowCount, inFeatures = x.shape.last
        guard n <= min(gemvMaxTokens, 2), weights.count <= 3, inFeatures % 8 == 0, x.deviceAddress % 16 == 0,
            tuning.tiledGEMV || n * inFeatures * 4 <= GEMVKernels.maxStagedBytes,
            weights.allSatisfy({ $0.dtype == weights[0].dtype && ($0.dtype == .bf16 || $0.dtype == .f16)
                && $0.shape.last == inFeatures && $0.deviceAddress % 16 == 0 })
        else { return nil }
        let rows = Self.threeWords(weights.map { UInt64($0.shape.rowCount) })
        return Self.threeWords(weights.map { $0.deviceAddress }) + Self.threeWords(biases.map { $0?.deviceAddress ?? 0 })
            + Self.threeWords(outs.map { $0.deviceAddress }) + [rows[0] | rows[1] << 32, rows[2]]
    }

    private func launchMultiGEMV(_ x: Tensor, _ first: Tensor, words: [UInt64], totalRows: Int, gated: Bool) {
        device.bind()
        let n = x.shape.rowCount, inFeatures = x.shape.last
        if tuning.tiledGEMV {
            // Gated tiles hold half as many output rows (their gate rows, then their up rows).
            let rowsPerBlock = gated ? GEMVKernels.tileRows / 2 : GEMVKernels.tileRows
            module.launch((first.dtype == .bf16 ? "gemv_tiled_multi_bf16_" : "gemv_tiled_multi_f16_") + String(n),
                grid: ((totalRows + rowsPerBlock - 1) / rowsPerBlock, 1, 1), block: GEMVKernels.threadsPerBlock,
                KernelArguments().tensor(x).structure(words).int(inFeatures).int(gated ? 1 : 0).int(tuning.gemvPrefetch ? 1 : 0))
            return
        }
        let kernel = (first.dtype == .bf16 ? "gemv_multi_bf16_" : "gemv_multi_f16_") + String(n)
        allowDynamicSharedMemory(kernel, bytes: GEMVKernels.maxStagedBytes)
        let warpsPerBlock = GEMVKernels.threadsPerBlock / 32
        let blocks = max(1, min((totalRows + warpsPerBlock - 1) / warpsPerBlock, device.multiprocessorCount * 4))
        module.launch(kernel, grid: (blocks, 1, 1), block: GEMVKernels.threadsPerBlock, sharedBytes: n * inFeatures * 4,
            KernelArguments().tensor(x).structure(words).int(inFeatures).int(gated ? 1 : 0))
    }

    /// Lets `kernel` use more than the default 48 KiB of dynamic shared memory (once per kernel).
    func allowDynamicSharedMemory(_ kernel: String, bytes: Int) {
        guard !sharedMemoryOptIns.contains(kernel) else { return }
        cudaRequire(driver.cuFuncSetAttribute(module.function(kernel), Int32(FLOE_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES), Int32(bytes)),
            driver, "shared-memory opt-in for \(kernel)")
        sharedMemoryOptIns.insert(kernel)
    }

    public func rope(_ x: Tensor, positions: Tensor, inverseFrequencies: Tensor, style: RoPEStyle) {
        device.bind()
        let n = positions.elementCount, hd = x.shape.last, heads = x.elementCount / max(n * hd, 1)
        precondition(hd <= 256, "CUDA RoPE supports head sizes up to 256, got \(hd)")  // the kernel's shared cos/sin table
        module.launch("rope", grid: (n, 1, 1), block: Self.rowThreads(heads * hd / 2),
            KernelArguments().tensor(x).tensor(positions).tensor(inverseFrequencies).int(heads).int(hd).int(style == .interleaved ? 1 : 0))
    }

    public func siluMul(gate: Tensor, up: Tensor, into out: Tensor) {
        device.bind()
        let count = out.elementCount
        module.launch("silu_mul", grid: (elementBlocks(count), 1, 1), block: 256,
            KernelArguments().tensor(gate).tensor(up).tensor(out).int64(count))
    }

    public func add(_ a: Tensor, _ b: Tensor, into out: Tensor) {
        device.bind()
        let count = out.elementCount
        module.launch("add", grid: (elementBlocks(count), 1, 1), block: 256, KernelArguments().tensor(a).tensor(b).tensor(out).int64(count))
    }

    public func softmax(_ x: Tensor, into out: Tensor) {
        device.bind()
        let cols = x.shape.last
        module.launch("softmax_rows", grid: (x.shape.rowCount, 1, 1), block: Self.rowThreads(cols),
            KernelArguments().tensor(x).tensor(out).int(cols))
    }

    public func argmaxRows(_ x: Tensor) -> [Int] {
        device.bind()
        let rows = x.shape.rowCount
        let cols = x.shape.last
        // Enough blocks for eight per SM (parts of at least 2,048 columns, at most 64 a row).
        let parts = max(1, min(64, cols / 2048, 8 * device.multiprocessorCount / max(rows, 1)))
        let indices = scratchBuffer("argmax", bytes: max(rows, 1) * 4)
        let partValues = scratchBuffer("argmax-part-values", bytes: max(rows, 1) * parts * 4)
        let partIndices = scratchBuffer("argmax-part-indices", bytes: max(rows, 1) * parts * 4)
        module.launch("argmax_partial", grid: (rows, parts, 1), block: 256,
            KernelArguments().tensor(x).pointer(partValues.deviceAddress).pointer(partIndices.deviceAddress).int(cols).int(parts))
        module.launch("argmax_final", grid: (rows, 1, 1), block: 32,
            KernelArguments().pointer(partValues.deviceAddress).pointer(partIndices.deviceAddress).pointer(indices.deviceAddress).int(parts))
        var result = [Int32](repeating: 0, count: rows)
        result.withUnsafeMutableBytes { staging.download(from: indices.deviceAddress, bytes: $0.count, into: $0.baseAddress!) }
        return result.map(Int.init)
    }

    public func gatherRows(_ x: Tensor, indices: [Int], into out: Tensor) {
        device.bind()
        let d = x.shape.last
        let table = uploadIndices(indices.map { Int32($0) }, purpose: "gather-indices")
        module.launch("gather_rows", grid: (indices.count, 1, 1), block: Self.rowThreads(d),
            KernelArguments().tensor(x).pointer(table).tensor(out).int(d))
    }
}
