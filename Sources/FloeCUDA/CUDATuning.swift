import Foundation

/// Kernel-choice settings of a `CUDABackend`, read once from the environment, each with the
/// default the H100 measurements chose; the variables keep the alternatives reachable for
/// comparison on new cards. Sibling backends (`init(sharingWeightsWith:)`) share their
/// original's.
struct CUDATuning: Sendable {
    /// Batches of up to this many tokens use the GEMV kernel, larger ones cuBLASLt
    /// (`FLOE_CUDA_GEMV_MAX_TOKENS`, 0...8).
    var gemvMaxTokens = GEMVKernels.preferredMaxTokens
    /// Batches of ≤ 2 tokens take the tiled GEMV rather than the warp-per-row kernel
    /// (`FLOE_CUDA_GEMV=rows`).
    var tiledGEMV = true
    /// The tiled GEMV kernels ask L2 for their first weight lines before waiting for the kernel
    /// before them (`FLOE_CUDA_GEMV_PREFETCH=0` turns it off): batch-1 decode of the Llama-3-8B
    /// shape on an H100, 168.6 against 165.5 tok/s.
    var gemvPrefetch = true
    /// Matrices with few rows take 4-row GEMV tiles (`GEMVKernels.smallTileBlocksPerSM`;
    /// `FLOE_CUDA_GEMV_SMALL_TILES=0`).
    var smallGEMVTiles = true
    /// The 16-bit encoder attention keeps the CUDA-core tiled kernel instead of the tensor-core
    /// flash kernel (`FLOE_CUDA_ENCODER_ATTENTION=tiled`).
    var encoderAttentionOnCUDACores = false
    /// Decode attention may take the flash kernel's grouped mode (`CUDABackend.decodeFlashSplits`
    /// says when; `FLOE_CUDA_DECODE_ATTENTION=paged` keeps the paged kernel).
    var flashDecodeAttention = true
    /// Grouped decode tiles of at most 16 rows split each key tile over the block's four warps
    /// (`flash_decode_paged_*`) rather than leaving the rows to one warp
    /// (`FLOE_CUDA_DECODE_ATTENTION=grouped-rows`): 30.1 against 42.1 µs per layer for 64 decodes
    /// of ~130 keys (the paged kernel: 40.2), Llama-3-8B shape on an H100.
    var decodeKeysOverWarps = true
    /// Decodes take the flash kernel's grouped mode when they make this many blocks (sequences ×
    /// KV heads) per SM (`FLOE_CUDA_FLASH_DECODE_MIN_BLOCKS_PER_SM`, 0...8).
    var flashDecodeMinBlocksPerSM = 2
    /// …or when no sequence has more than this many keys (`FLOE_CUDA_FLASH_DECODE_SHORT_KEYS`; 0:
    /// never): four key tiles. Batch 1 with a 144-key cache (llama-bench's tg128), Llama-3-8B
    /// shape on an H100: 166.1 against 164.4 tok/s with five splits and their combine.
    var flashDecodeShortKeys = 256
    /// Decodes too few to fill the GPU with long contexts split their keys over blocks of the
    /// flash decode kernel, merged by `attention_combine` (`FLOE_CUDA_FLASH_DECODE_SPLITS=0`:
    /// the paged kernel takes them, splitting the same way). Batch 1 with a 2,048-key cache,
    /// Llama-3-8B shape on an H100: 171.9–172.0 against 166.0–166.2 tok/s.
    var flashDecodeSplits = true
    /// The decode kernel loads a key tile's keys and values as two copy groups, overlapping
    /// the values' load with the scores and the next keys' with the value product
    /// (`FLOE_CUDA_DECODE_ATTENTION=joint-loads`: one group, waited for before any math): 22.8
    /// against 24.3 µs per layer for 64 decodes of ~130 keys on an H100.
    var decodeSplitLoads = true
    /// Same-shaped GEMMs sharing an input (gate and up; K and V) go to cuBLASLt as one batched
    /// call (`FLOE_CUDA_PAIRED_GEMM=0` keeps one call each).
    var pairedGEMMs = true
    /// Matrices stored back to back (`uploadStacked`: Q, K and V) run as one cuBLASLt GEMM over
    /// all their rows, its output split by `split_columns` (or read in place by `rope_store_kv`,
    /// `projectQKVAndStoreKV`), in batches of up to this many tokens
    /// (`FLOE_CUDA_STACKED_GEMM_MAX_TOKENS`; 0 keeps a GEMM each). A 64-decode step of the
    /// Llama-3-8B shape on an H100: 0.76 ms for the one GEMM plus 0.16 ms of split, against
    /// ~1.3 ms for Q, the K/V pair and their split-K reduces.
    var stackedGEMMMaxTokens = 512
    /// `uploadStacked` stores its matrices back to back (`FLOE_CUDA_STACKED_WEIGHTS=0`: apart, as
    /// separate uploads, which also turns the stacked GEMM off).
    var stackedWeights = true
    /// Kernels written for it start while the kernel before them finishes (programmatic
    /// dependent launch, sm_90+: `DependentLaunch`; `FLOE_CUDA_PDL=0` turns it off).
    var dependentLaunches = true
    /// The paged attention kernel splits long contexts until its blocks number this many per SM
    /// (`FLOE_CUDA_DECODE_SPLIT_BLOCKS_PER_SM`, 1...4). One: a batch-1 split at a 2k context
    /// is 128 keys, one chunk for each of the four warps (two of them idled with two blocks per
    /// SM): 166.6 and 166.5 vs 165.2 and 165.4 tok/s, alternated on one H100.
    var decodeSplitBlocksPerSM = 1

    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> CUDATuning {
        var tuning = CUDATuning()
        if let tokens = environment["FLOE_CUDA_GEMV_MAX_TOKENS"].flatMap(Int.init) { tuning.gemvMaxTokens = min(max(tokens, 0), GEMVKernels.maxTokens) }
        tuning.tiledGEMV = environment["FLOE_CUDA_GEMV"] != "rows"
        tuning.gemvPrefetch = environment["FLOE_CUDA_GEMV_PREFETCH"] != "0"
        tuning.smallGEMVTiles = environment["FLOE_CUDA_GEMV_SMALL_TILES"] != "0"
        tuning.encoderAttentionOnCUDACores = environment["FLOE_CUDA_ENCODER_ATTENTION"] == "tiled"
        tuning.flashDecodeAttention = environment["FLOE_CUDA_DECODE_ATTENTION"] != "paged"
        tuning.decodeKeysOverWarps = environment["FLOE_CUDA_DECODE_ATTENTION"] != "grouped-rows"
        if let blocks = environment["FLOE_CUDA_FLASH_DECODE_MIN_BLOCKS_PER_SM"].flatMap(Int.init) { tuning.flashDecodeMinBlocksPerSM = min(max(blocks, 0), 8) }
        if let keys = environment["FLOE_CUDA_FLASH_DECODE_SHORT_KEYS"].flatMap(Int.init) { tuning.flashDecodeShortKeys = max(keys, 0) }
        tuning.flashDecodeSplits = environment["FLOE_CUDA_FLASH_DECODE_SPLITS"] != "0"
        tuning.decodeSplitLoads = environment["FLOE_CUDA_DECODE_ATTENTION"] != "joint-loads"
        tuning.pairedGEMMs = environment["FLOE_CUDA_PAIRED_GEMM"] != "0"
        tuning.dependentLaunches = environment["FLOE_CUDA_PDL"] != "0"
        tuning.stackedWeights = environment["FLOE_CUDA_STACKED_WEIGHTS"] != "0"
        if let tokens = environment["FLOE_CUDA_STACKED_GEMM_MAX_TOKENS"].flatMap(Int.init) { tuning.stackedGEMMMaxTokens = max(tokens, 0) }
        if let blocks = environment["FLOE_CUDA_DECODE_SPLIT_BLOCKS_PER_SM"].flatMap(Int.init) { tuning.decodeSplitBlocksPerSM = min(max(blocks, 1), 4) }
        return tuning
    }
}
