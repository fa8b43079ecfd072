import CFloeCUDA
import FloeTensor

/// A step's attention metadata on the device, uploaded once and shared by every layer:
/// `[slot(n) | visibleKeys(n) | tableOffset(n) | pagedVisibleKeys(n) | block tables…]` as int32.
/// `pagedVisibleKeys` is `visibleKeys` with 0 for the tokens of `gemmSequences`, whose attention
/// goes through cuBLASLt instead of the paged kernel.
struct DeviceAttentionMetadata {
    /// A prefill chunk long enough for the GEMM path: its rows, context and block table.
    struct GEMMSequence {
        let firstRow: Int, queryCount: Int, contextLength: Int, tableOffset: Int
    }

    let host: AttentionMetadata
    let buffer: Storage
    let tokenCount: Int
    let maxVisibleKeys: Int
    let gemmSequences: [GEMMSequence]

    var slots: CUdeviceptr { buffer.deviceAddress }
    var visibleKeys: CUdeviceptr { buffer.deviceAddress + CUdeviceptr(tokenCount * 4) }
    var tableOffsets: CUdeviceptr { buffer.deviceAddress + CUdeviceptr(2 * tokenCount * 4) }
    var pagedVisibleKeys: CUdeviceptr { buffer.deviceAddress + CUdeviceptr(3 * tokenCount * 4) }
    var tables: CUdeviceptr { buffer.deviceAddress + CUdeviceptr(4 * tokenCount * 4) }
    var gemmTokenCount: Int { gemmSequences.reduce(0) { $0 + $1.queryCount } }
}

extension CUDABackend {
    /// Whether a prefill chunk of `queries` tokens over `context` keys runs attention as
    /// cuBLASLt GEMMs (long chunks) rather than in the paged kernel.
    public static func prefillUsesGEMMAttention(queries: Int, context: Int) -> Bool {
        AttentionKernels.usesGEMMPath(queries: queries, context: context)
    }

    /// The device copy of `metadata`, uploading it only when it differs from the last one.
    func deviceMetadata(_ metadata: AttentionMetadata) -> DeviceAttentionMetadata {
        if let cached = attentionMetadata, cached.host == metadata { return cached }
        let n = metadata.tokenCount
        var words = metadata.slotMapping
        var visible = [Int32](repeating: 0, count: n), offsets = [Int32](repeating: 0, count: n)
        var tables: [Int32] = []
        var maxVisible = 0
        var gemmSequences: [DeviceAttentionMetadata.GEMMSequence] = []
        for sequence in metadata.sequences {
            let offset = Int32(tables.count)
            tables += sequence.blockTable
            let first = sequence.contextLength - sequence.queryTokens.count
            for (i, row) in sequence.queryTokens.enumerated() {
                visible[row] = Int32(first + i + 1)
                offsets[row] = offset
                maxVisible = max(maxVisible, first + i + 1)
            }
            if matmul != nil, AttentionKernels.usesGEMMPath(queries: sequence.queryTokens.count, context: sequence.contextLength) {
                gemmSequences.append(.init(
                    firstRow: sequence.queryTokens.lowerBound, queryCount: sequence.queryTokens.count,
                    contextLength: sequence.contextLength, tableOffset: Int(offset)))
            }
        }
        var pagedVisible = visible
        for sequence in gemmSequences { for row in sequence.firstRow..<(sequence.firstRow + sequence.queryCount) { pagedVisible[row] = 0 } }
        words += visible
        words += offsets
        words += pagedVisible
        words += tables
        // A fresh buffer each time: the previous step's may still be read by queued kernels.
        let buffer = deviceStorage(bytes: words.count * 4)
        words.withUnsafeBytes { staging.upload($0.baseAddress!, bytes: $0.count, to: buffer.deviceAddress) }
        let uploaded = DeviceAttentionMetadata(
            host: metadata, buffer: buffer, tokenCount: n, maxVisibleKeys: maxVisible, gemmSequences: gemmSequences)
        attentionMetadata = uploaded
        return uploaded
    }

    public func storeKV(key: Tensor, value: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata) {
        device.bind()
        precondition(keyCache.dtype == .bf16 && valueCache.dtype == .bf16, "the CUDA KV cache is bf16 (kvCacheDType)")
        let n = key.shape[0], width = key.elementCount / max(n, 1)
        let meta = deviceMetadata(metadata)
        module.launch("store_kv", grid: (n, 1, 1), block: Self.rowThreads(width),
            KernelArguments().tensor(key).tensor(value).tensor(keyCache).tensor(valueCache).pointer(meta.slots).int(width))
    }

    public func ropeAndStoreKV(
        query: Tensor, key: Tensor, value: Tensor, positions: Tensor, inverseFrequencies: Tensor, style: RoPEStyle,
        keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata
    ) {
        device.bind()
        precondition(keyCache.dtype == .bf16 && valueCache.dtype == .bf16, "the CUDA KV cache is bf16 (kvCacheDType)")
        let n = query.shape[0], heads = query.shape[1], kvHeads = key.shape[1], hd = query.shape[2]
        let meta = deviceMetadata(metadata)
        // Few tokens (decode) spread each token's pairs over several blocks.
        let pairs = (heads + kvHeads) * hd / 2
        let parts = n >= device.multiprocessorCount ? 1 : min((pairs + 127) / 128, max(1, 2 * device.multiprocessorCount / n))
        module.launch("rope_store_kv", grid: (n, parts, 1), block: parts > 1 ? 128 : Self.rowThreads(pairs),
            KernelArguments().tensor(query).tensor(key).tensor(value).tensor(positions).tensor(inverseFrequencies)
                .int(heads).int(kvHeads).int(hd).int(style == .interleaved ? 1 : 0).tensor(keyCache).tensor(valueCache).pointer(meta.slots))
    }

    public func attention(
        query: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata, scale: Float, into out: Tensor
    ) {
        device.bind()
        let n = query.shape[0], heads = query.shape[1], hd = query.shape[2]
        let kvHeads = keyCache.shape[1]
        let group = heads / kvHeads
        precondition(heads % kvHeads == 0, "\(heads) query heads do not share \(kvHeads) KV heads evenly")
        guard group <= AttentionKernels.maxGroup, hd <= AttentionKernels.maxHeadDim else {
            fatalError("CUDA attention supports up to \(AttentionKernels.maxGroup) query heads per KV head and head size \(AttentionKernels.maxHeadDim); got \(group) and \(hd)")
        }
        let meta = deviceMetadata(metadata)
        let kernel = hd <= 32 ? "paged_attention_32" : hd <= 64 ? "paged_attention_64" : hd <= 128 ? "paged_attention_128" : "paged_attention_256"
        // Split long contexts when too few (token, KV head) blocks would fill the GPU.
        let baseBlocks = n * kvHeads
        let target = 2 * device.multiprocessorCount
        var splits = 1
        if baseBlocks < target {
            splits = min((target + baseBlocks - 1) / baseBlocks, (meta.maxVisibleKeys + 31) / 32, 64)
            splits = max(splits, 1)
        }
        let keysPerSplit = (meta.maxVisibleKeys + splits - 1) / splits
        let partialAcc: CUdeviceptr, partialML: CUdeviceptr
        if splits > 1 {
            partialAcc = scratchBuffer("attention-acc", bytes: n * heads * splits * hd * 4).deviceAddress
            partialML = scratchBuffer("attention-ml", bytes: n * heads * splits * 2 * 4).deviceAddress
        } else {
            (partialAcc, partialML) = (0, 0)
        }
        if meta.gemmTokenCount < n {
            let sharedBytes = AttentionKernels.sharedBytes(group: group, headDim: hd)
            if sharedBytes > 48 << 10 { allowDynamicSharedMemory(kernel, bytes: AttentionKernels.sharedBytes(group: AttentionKernels.maxGroup, headDim: hd)) }
            module.launch(kernel, grid: (n, kvHeads, splits), block: AttentionKernels.warps * 32,
                sharedBytes: sharedBytes,
                KernelArguments().tensor(query).tensor(keyCache).tensor(valueCache)
                    .pointer(meta.gemmSequences.isEmpty ? meta.visibleKeys : meta.pagedVisibleKeys)
                    .pointer(meta.tableOffsets).pointer(meta.tables).tensor(out).pointer(partialAcc).pointer(partialML)
                    .int(heads).int(kvHeads).int(hd).int(metadata.blockSize).float(scale).int(splits).int(keysPerSplit))
            if splits > 1 {
                module.launch("attention_combine", grid: (n * heads, 1, 1), block: Self.rowThreads(hd),
                    KernelArguments().pointer(partialAcc).pointer(partialML).tensor(out).int(hd).int(splits))
            }
        }
        for sequence in meta.gemmSequences {
            gemmAttention(sequence, query: query, keyCache: keyCache, valueCache: valueCache, meta: meta, scale: scale, into: out)
        }
    }

    /// One long prefill chunk's attention as two tensor-core GEMMs per KV head around a causal
    /// softmax (probabilities in bf16, as flash attention keeps them), instead of the paged
    /// kernel's one-token-per-block CUDA-core loop.
    private func gemmAttention(
        _ sequence: DeviceAttentionMetadata.GEMMSequence, query: Tensor, keyCache: Tensor, valueCache: Tensor,
        meta: DeviceAttentionMetadata, scale: Float, into out: Tensor
    ) {
        guard let matmul else { return }
        let heads = query.shape[1], hd = query.shape[2], kvHeads = keyCache.shape[1], group = heads / kvHeads
        let nq = sequence.queryCount, ctx = sequence.contextLength, ctxPad = (ctx + 7) / 8 * 8, rows = group * nq
        let keys = scratchBuffer("prefill-keys", bytes: ctxPad * hd * 2).deviceAddress
        let valuesT = scratchBuffer("prefill-values", bytes: ctxPad * hd * 2).deviceAddress
        let packed = scratchBuffer("prefill-queries", bytes: rows * hd * 2).deviceAddress
        let scores = scratchBuffer("prefill-scores", bytes: rows * ctxPad * 4).deviceAddress
        let probabilities = scratchBuffer("prefill-probabilities", bytes: rows * ctxPad * 2).deviceAddress
        let outputs = scratchBuffer("prefill-outputs", bytes: rows * hd * 4).deviceAddress
        let table = meta.tables + CUdeviceptr(sequence.tableOffset * 4)
        let threads = Self.rowThreads(hd)
        for g in 0..<kvHeads {
            module.launch("gather_kv_dense", grid: (ctxPad, 1, 1), block: threads,
                KernelArguments().tensor(keyCache).tensor(valueCache).pointer(table).int(meta.host.blockSize).int(ctx).int(ctxPad)
                    .int(kvHeads).int(hd).int(g).pointer(keys).pointer(valuesT))
            module.launch("pack_queries", grid: (nq, group, 1), block: threads,
                KernelArguments().tensor(query).pointer(packed).int(sequence.firstRow).int(nq).int(heads).int(group).int(hd).int(g).float(scale))
            matmul.multiply(x: packed, weight: keys, output: scores, rows: rows, inFeatures: hd, outFeatures: ctxPad, dtype: .bf16)
            module.launch("causal_softmax_bf16", grid: (rows, 1, 1), block: Self.rowThreads(min(ctxPad, 1024)),
                KernelArguments().pointer(scores).pointer(probabilities).int(nq).int(ctx).int(ctxPad))
            matmul.multiply(x: probabilities, weight: valuesT, output: outputs, rows: rows, inFeatures: ctxPad, outFeatures: hd, dtype: .bf16)
            module.launch("scatter_attention_rows", grid: (nq, group, 1), block: threads,
                KernelArguments().pointer(outputs).tensor(out).int(sequence.firstRow).int(nq).int(heads).int(group).int(hd).int(g))
        }
    }
}
