import CFloeCUDA
import FloeTensor

/// A step's attention metadata on the device, uploaded once and shared by every layer:
/// `[slot(n) | visibleKeys(n) | tableOffset(n) | pagedVisibleKeys(n) | flash tiles… | decode tiles…
/// | block tables…]` as int32. `pagedVisibleKeys` is `visibleKeys` with 0 for the tokens of the
/// chunks that take the flash kernel (`flashTiles`, five ints per 64-query tile: see
/// FlashAttentionKernels). `decodeTiles` has one tile per other sequence (decodes, up to
/// `flashDecodeMaxTokens` queries), for the flash kernel's grouped mode. The block tables come
/// last so that, for a fixed token count, every other region sits at a fixed offset: metadata
/// with a `fixedLayout` lives in one buffer reused by every step (`fixedMetadataBuffer`), which
/// recorded graphs read.
struct DeviceAttentionMetadata {
    let host: AttentionMetadata
    let buffer: Storage
    let tokenCount: Int
    /// The longest context, or for a fixed layout the longest any step of it may have: launch
    /// parameters derived from it must not change between replays.
    let maxVisibleKeys: Int
    /// Query tiles of the flash kernel, and the tokens they cover.
    let flashTileCount: Int
    let flashTokenCount: Int
    /// One tile per sequence not in `flashTiles`, when every such sequence has at most
    /// `flashDecodeMaxTokens` queries (else 0 tiles: the paged kernel takes them).
    let decodeTileCount: Int
    let decodeTokenCount: Int
    /// The most query tokens of one decode tile.
    let decodeTileMaxTokens: Int

    var isFixed: Bool { host.fixedLayout != nil }
    var slots: CUdeviceptr { buffer.deviceAddress }
    var visibleKeys: CUdeviceptr { buffer.deviceAddress + CUdeviceptr(tokenCount * 4) }
    var tableOffsets: CUdeviceptr { buffer.deviceAddress + CUdeviceptr(2 * tokenCount * 4) }
    var pagedVisibleKeys: CUdeviceptr { buffer.deviceAddress + CUdeviceptr(3 * tokenCount * 4) }
    var flashTiles: CUdeviceptr { buffer.deviceAddress + CUdeviceptr(4 * tokenCount * 4) }
    var decodeTiles: CUdeviceptr { flashTiles + CUdeviceptr(flashTileCount * 5 * 4) }
    var tables: CUdeviceptr { decodeTiles + CUdeviceptr(decodeTileCount * 5 * 4) }

    /// Words of a fixed-layout buffer: the per-token columns and one decode tile per token, then
    /// the block tables.
    static func fixedBufferWords(_ layout: AttentionMetadata.FixedLayout) -> Int {
        (4 + 5) * layout.maxTokens + layout.maxTableEntries
    }
}

extension CUDABackend {
    /// Whether a chunk of `queries` tokens with heads of `headDim` attends in the tensor-core
    /// flash kernel (prefill chunks) rather than the paged kernel (decodes, short chunks).
    public static func usesFlashAttention(queries: Int, headDim: Int) -> Bool {
        queries >= AttentionKernels.flashMinimumQueries && FlashAttentionKernels.supports(headDim: headDim)
    }

    /// Whether a step with these per-sequence query counts and context lengths runs any of its
    /// attention in the flash kernel (bf16 queries and probabilities): prefill chunks, or decodes
    /// in its grouped mode. For checks, which compare at bf16 tolerance then.
    public func attentionUsesFlash(queries: [Int], contexts: [Int], headDim: Int, kvHeads: Int, heads: Int) -> Bool {
        guard FlashAttentionKernels.supports(headDim: headDim) else { return false }
        if queries.contains(where: { Self.usesFlashAttention(queries: $0, headDim: headDim) }) { return true }
        let rest = queries.filter { $0 < AttentionKernels.flashMinimumQueries }
        guard !rest.isEmpty, rest.allSatisfy({ $0 <= AttentionKernels.flashDecodeMaxTokens }) else { return false }
        return decodeFlashSplits(
            sequences: rest.count, maxKeys: contexts.max() ?? 0, tileRows: rest.max()! * (heads / kvHeads), withPrefill: false,
            headDim: headDim, kvHeads: kvHeads) != nil
    }

    /// How decodes (each within `flashDecodeMaxTokens`) of at most `maxKeys` keys run in the flash
    /// kernel's grouped mode (a block per sequence and KV head), as the number of blocks each
    /// block's keys are split over; nil: in the paged kernel instead.
    /// - One split when the blocks fill the GPU on their own, or when the keys are so few
    ///   (`flashDecodeShortKeys`) that one block reads them as fast as a split would, without
    ///   the splits' merge.
    /// - Otherwise (few sequences, long contexts) decodes of at most 16 rows a tile (the
    ///   keys-over-warps kernel) split their keys over enough blocks to fill the GPU, merged by
    ///   `attention_combine`: unless prefill chunks share the step (the merge would cover their
    ///   rows too), which leaves them to the paged kernel.
    /// A recorded step's `maxKeys` is the longest context its layout allows.
    func decodeFlashSplits(sequences: Int, maxKeys: Int, tileRows: Int, withPrefill: Bool, headDim: Int, kvHeads: Int) -> Int? {
        guard tuning.flashDecodeAttention, FlashAttentionKernels.supports(headDim: headDim) else { return nil }
        let blocks = sequences * kvHeads
        if blocks >= tuning.flashDecodeMinBlocksPerSM * device.multiprocessorCount || maxKeys <= tuning.flashDecodeShortKeys { return 1 }
        guard tuning.flashDecodeSplits, tuning.decodeKeysOverWarps, tileRows <= 16, !withPrefill else { return nil }
        let target = tuning.decodeSplitBlocksPerSM * device.multiprocessorCount
        let tiles = (maxKeys + FlashAttentionKernels.keysPerTile - 1) / FlashAttentionKernels.keysPerTile
        return max(1, min((target + blocks - 1) / blocks, (tiles + FlashAttentionKernels.minSplitTiles - 1) / FlashAttentionKernels.minSplitTiles, 64))
    }

    /// The device copy of `metadata`, uploading it only when it differs from the last one.
    func deviceMetadata(_ metadata: AttentionMetadata) -> DeviceAttentionMetadata {
        if let cached = attentionMetadata, cached.host == metadata { return cached }
        let n = metadata.tokenCount
        var words = metadata.slotMapping
        var visible = [Int32](repeating: 0, count: n), offsets = [Int32](repeating: 0, count: n), pagedVisible = visible
        var tables: [Int32] = []
        var maxVisible = 0
        // (key tiles, five words) per flash tile: sorted so the longest tiles start first.
        var flashTiles: [(work: Int, words: [Int32])] = []
        var decodeTiles: [(work: Int, words: [Int32])] = []
        var decodeTokens = 0, decodeTileMaxTokens = 0, decodeTilesCoverRest = true
        var flashTokens = 0
        for sequence in metadata.sequences {
            let offset = Int32(tables.count)
            tables += sequence.blockTable
            let count = sequence.queryTokens.count, first = sequence.contextLength - count
            let flash = count >= AttentionKernels.flashMinimumQueries
            for (i, row) in sequence.queryTokens.enumerated() {
                // A padding row of a fixed layout has a context of 0 and sees no key.
                visible[row] = Int32(max(first + i + 1, 0))
                pagedVisible[row] = flash ? 0 : visible[row]
                offsets[row] = offset
                maxVisible = max(maxVisible, first + i + 1)
            }
            guard flash else {
                if count <= AttentionKernels.flashDecodeMaxTokens {
                    decodeTiles.append((sequence.contextLength, [Int32(sequence.queryTokens.lowerBound), Int32(count), Int32(first), Int32(sequence.contextLength), offset]))
                    decodeTokens += count
                    decodeTileMaxTokens = max(decodeTileMaxTokens, count)
                } else {
                    decodeTilesCoverRest = false
                }
                continue
            }
            flashTokens += count
            let tile = FlashAttentionKernels.queriesPerBlock
            for start in stride(from: 0, to: count, by: tile) {
                let rows = min(tile, count - start)
                let words = [Int32(sequence.queryTokens.lowerBound + start), Int32(rows), Int32(first + start), Int32(sequence.contextLength), offset]
                flashTiles.append((first + start + rows, words))
            }
        }
        flashTiles.sort { $0.work > $1.work }
        decodeTiles.sort { $0.work > $1.work }
        if !decodeTilesCoverRest { (decodeTiles, decodeTokens) = ([], 0) }
        words += visible
        words += offsets
        words += pagedVisible
        words += flashTiles.flatMap(\.words)
        words += decodeTiles.flatMap(\.words)
        words += tables
        let buffer: Storage
        if let layout = metadata.fixedLayout {
            // Every token is a sequence of its own, so the regions before the tables sit where a
            // recording of this token count expects them.
            precondition(flashTiles.isEmpty && decodeTiles.count == n && n <= layout.maxTokens && tables.count <= layout.maxTableEntries,
                "a fixed attention layout holds up to \(layout.maxTokens) one-token sequences with \(layout.maxTableEntries) table entries")
            maxVisible = layout.blocksPerSequence * metadata.blockSize
            buffer = fixedMetadataBuffer(for: layout)
            words.withUnsafeBytes { staging.upload($0.baseAddress!, bytes: $0.count, to: buffer.deviceAddress) }
        } else {
            buffer = uploadToNewBuffer(words)
        }
        let uploaded = DeviceAttentionMetadata(
            host: metadata, buffer: buffer, tokenCount: n, maxVisibleKeys: maxVisible,
            flashTileCount: flashTiles.count, flashTokenCount: flashTokens, decodeTileCount: decodeTiles.count, decodeTokenCount: decodeTokens,
            decodeTileMaxTokens: decodeTileMaxTokens)
        attentionMetadata = uploaded
        return uploaded
    }

    /// The one buffer every fixed-layout step's metadata is uploaded to (recorded graphs keep
    /// its address), allocated for the first layout and reallocated only for a larger one.
    private func fixedMetadataBuffer(for layout: AttentionMetadata.FixedLayout) -> Storage {
        let bytes = DeviceAttentionMetadata.fixedBufferWords(layout) * 4
        if let existing = fixedMetadata, existing.byteCount >= bytes { return existing }
        precondition(!device.isCapturing, "the fixed attention metadata buffer cannot grow while a graph is recorded")
        let fresh = deviceStorage(bytes: bytes)
        fixedMetadata = fresh
        return fresh
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
        let inputs = RopeInputs(
            query: query.deviceAddress, key: key.deviceAddress, value: value.deviceAddress,
            queryStride: query.elementCount / max(query.shape[0], 1), keyValueStride: key.elementCount / max(key.shape[0], 1),
            queryOut: query.deviceAddress, keyOut: key.deviceAddress)
        launchRopeAndStoreKV(inputs, tokens: query.shape[0], heads: query.shape[1], kvHeads: key.shape[1], headDim: query.shape[2],
            positions: positions, inverseFrequencies: inverseFrequencies, style: style, keyCache: keyCache, valueCache: valueCache,
            metadata: metadata)
    }

    /// The `rope_store_kv` kernel's `RopeInputs`: where each row's q, k and v are read (plus
    /// their biases, when given) and where the rotated q and k (and v, when `valueOut` is set)
    /// are written.
    struct RopeInputs {
        var query: UInt64, key: UInt64, value: UInt64
        var queryStride: Int, keyValueStride: Int
        var queryBias: UInt64 = 0, keyBias: UInt64 = 0, valueBias: UInt64 = 0
        var queryOut: UInt64, keyOut: UInt64, valueOut: UInt64 = 0

        var words: [UInt64] {
            [query, key, value, UInt64(queryStride), UInt64(keyValueStride), queryBias, keyBias, valueBias, queryOut, keyOut, valueOut]
        }
    }

    func launchRopeAndStoreKV(
        _ inputs: RopeInputs, tokens n: Int, heads: Int, kvHeads: Int, headDim hd: Int, positions: Tensor, inverseFrequencies: Tensor,
        style: RoPEStyle, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata
    ) {
        device.bind()
        precondition(keyCache.dtype == .bf16 && valueCache.dtype == .bf16, "the CUDA KV cache is bf16 (kvCacheDType)")
        precondition(hd <= 256, "CUDA RoPE supports head sizes up to 256, got \(hd)")  // the kernel's shared cos/sin table
        let meta = deviceMetadata(metadata)
        // Few tokens (decode) spread each token's pairs over several blocks.
        let pairs = (heads + kvHeads) * hd / 2
        let parts = n >= device.multiprocessorCount ? 1 : min((pairs + 127) / 128, max(1, 2 * device.multiprocessorCount / n))
        module.launch("rope_store_kv", grid: (n, parts, 1), block: parts > 1 ? 128 : Self.rowThreads(pairs),
            KernelArguments().structure(inputs.words).tensor(positions).tensor(inverseFrequencies)
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
        let target = tuning.decodeSplitBlocksPerSM * device.multiprocessorCount
        var splits = 1
        if baseBlocks < target {
            splits = min((target + baseBlocks - 1) / baseBlocks, (meta.maxVisibleKeys + 31) / 32, 64)
            splits = max(splits, 1)
        }
        // A fixed layout's splits depend on the longest context it allows, not this step's, so
        // each token divides its own keys among them (0: the kernel's per-token split).
        let keysPerSplit = meta.isFixed ? 0 : (meta.maxVisibleKeys + splits - 1) / splits
        // Prefill chunks take the flash kernel when the head size has one. The other sequences
        // (decodes) take its grouped mode — a block per sequence and KV head, the group's query
        // heads as rows — when that alone fills the GPU; else the paged kernel, which splits
        // long contexts (pagedVisibleKeys hides the flash tokens from it).
        let flash = meta.flashTileCount > 0 && FlashAttentionKernels.supports(headDim: hd)
        let pagedTokens = n - (flash ? meta.flashTokenCount : 0)
        let decodeSplits = pagedTokens > 0 && meta.decodeTokenCount == n - meta.flashTokenCount
            ? decodeFlashSplits(sequences: meta.decodeTileCount, maxKeys: meta.maxVisibleKeys, tileRows: meta.decodeTileMaxTokens * group,
                withPrefill: flash, headDim: hd, kvHeads: kvHeads)
            : nil
        let decodeFlash = decodeSplits != nil
        if pagedTokens > 0 && !decodeFlash {
            let partials = splitPartials(tokens: n, heads: heads, headDim: hd, splits: splits)
            let sharedBytes = AttentionKernels.sharedBytes(group: group, headDim: hd)
            if sharedBytes > 48 << 10 { allowDynamicSharedMemory(kernel, bytes: AttentionKernels.sharedBytes(group: AttentionKernels.maxGroup, headDim: hd)) }
            module.launch(kernel, grid: (n, kvHeads, splits), block: AttentionKernels.warps * 32,
                sharedBytes: sharedBytes,
                KernelArguments().tensor(query).tensor(keyCache).tensor(valueCache)
                    .pointer(flash ? meta.pagedVisibleKeys : meta.visibleKeys)
                    .pointer(meta.tableOffsets).pointer(meta.tables).tensor(out).pointer(partials.acc).pointer(partials.ml)
                    .int(heads).int(kvHeads).int(hd).int(metadata.blockSize).float(scale).int(splits).int(keysPerSplit))
            combineSplits(partials, tokens: n, heads: heads, headDim: hd, splits: splits, into: out)
        }
        guard flash || decodeFlash else { return }
        // When the flash kernel writes every row, it also writes the bf16 copy the output
        // projection's GEMM reads, which then skips its conversion pass (not when its decode
        // splits leave the rows to attention_combine).
        let writesEveryRow = pagedTokens == 0 || (decodeFlash && decodeSplits == 1)
        let copy = writesEveryRow && weightDType == .bf16 ? gemmInputCopyBuffer(for: out) : nil
        // Decode tiles of at most 16 rows (tokens × the GQA group) split their keys over the warps.
        let keysOverWarps = tuning.decodeKeysOverWarps && meta.decodeTileMaxTokens * group <= 16
        func launch(tiles: CUdeviceptr, count: Int, grouped: Bool) {
            let decode = grouped && keysOverWarps
            let name = (decode ? (tuning.decodeSplitLoads ? "flash_decode_paged_" : "flash_decode_paged_joint_") : "flash_attention_paged_")
                + String(hd)
            let sharedBytes = decode ? FlashAttentionKernels.decodeSharedBytes(headDim: hd) : FlashAttentionKernels.sharedBytes(headDim: hd)
            if sharedBytes > 48 << 10 { allowDynamicSharedMemory(name, bytes: sharedBytes) }
            var arguments = KernelArguments().tensor(query).tensor(keyCache).tensor(valueCache).pointer(tiles).pointer(meta.tables)
                .tensor(out).pointer(copy ?? 0).int(heads).int(kvHeads).int(metadata.blockSize)
                .float(scale * 1.4426950408889634)  // log2(e): the kernel works in base 2
            let splits = decode ? decodeSplits ?? 1 : 1
            let partials = splitPartials(tokens: n, heads: heads, headDim: hd, splits: splits)
            if decode { arguments = arguments.int(splits).pointer(partials.acc).pointer(partials.ml) } else { arguments = arguments.int(grouped ? 1 : 0) }
            module.launch(name, grid: (count, grouped ? kvHeads : heads, splits), block: FlashAttentionKernels.threads,
                sharedBytes: sharedBytes, arguments)
            combineSplits(partials, tokens: n, heads: heads, headDim: hd, splits: splits, into: out)
        }
        if flash { launch(tiles: meta.flashTiles, count: meta.flashTileCount, grouped: false) }
        if decodeFlash { launch(tiles: meta.decodeTiles, count: meta.decodeTileCount, grouped: true) }
        if let copy { offerGEMMInput(of: out, copy: copy, dtype: .bf16) }
    }

    /// Scratch for the partial results of attention split `splits` ways (per query head and
    /// split: head-size unnormalized outputs, then max and sum); none for one split.
    private func splitPartials(tokens n: Int, heads: Int, headDim hd: Int, splits: Int) -> (acc: CUdeviceptr, ml: CUdeviceptr) {
        guard splits > 1 else { return (0, 0) }
        return (scratchBuffer("attention-acc", bytes: n * heads * splits * hd * 4).deviceAddress,
                scratchBuffer("attention-ml", bytes: n * heads * splits * 2 * 4).deviceAddress)
    }

    /// Merges `splitPartials` into `out` (`attention_combine`); nothing for one split.
    private func combineSplits(
        _ partials: (acc: CUdeviceptr, ml: CUdeviceptr), tokens n: Int, heads: Int, headDim hd: Int, splits: Int, into out: Tensor
    ) {
        guard splits > 1 else { return }
        module.launch("attention_combine", grid: (n * heads, 1, 1), block: Self.rowThreads(hd),
            KernelArguments().pointer(partials.acc).pointer(partials.ml).tensor(out).int(hd).int(splits))
    }
}
