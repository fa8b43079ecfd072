/// Tensor-core flash attention for many queries at once: a decoder prefill chunk over the paged
/// bf16 KV cache (causal, GQA), and an encoder's bidirectional attention over its packed 16-bit
/// Q/K/V rows.
///
/// One block of 4 warps takes a tile of 64 queries of one head; each warp owns 16 of them. Keys
/// and values stream through shared memory 64 at a time, double-buffered with `cp.async` (the
/// decode kernels, `flash_decode_paged_*`, keep one stage: see SPLIT_KEYS in the source). Each
/// warp computes S = Q·Kᵀ for its 16 × 64 scores with `mma.sync` m16n8k16 (16-bit inputs, f32
/// accumulators), updates an online softmax in registers (base 2, the scale folded in), and
/// multiplies the probabilities — converted in registers to the A-operand layout, never stored —
/// by V into a 16 × head-size f32 accumulator (FlashAttention-2's scheme). Neither scores nor
/// probabilities touch memory.
///
/// The work list is a table of query tiles, five ints each: first query row, rows (≤ 64),
/// position of the first query, keys of the sequence, and where its keys start (the block-table
/// offset for the paged cache, the first token row for packed rows). A causal tile reads keys
/// only up to its last query's position.
///
/// The source uses `cp_async16` from AttentionKernels, which precedes it in `KernelSource.all`.
enum FlashAttentionKernels {
    static let queriesPerBlock = 64
    static let keysPerTile = 64
    /// A decode split (`flash_decode_paged_*` with `splits` > 1) takes at least this many key
    /// tiles (FA_MIN_SPLIT_TILES), so that short contexts keep to one split.
    static let minSplitTiles = 2
    static let threads = 128
    /// Head sizes with a kernel: a multiple of 32 (the key loop reads two 16-wide k-steps at a
    /// time) up to 128 (the accumulators' registers).
    static let headDims = [32, 64, 96, 128]

    static func supports(headDim: Int) -> Bool { headDims.contains(headDim) }

    /// Dynamic shared memory: two stages of a key tile and a value tile, rows padded by 16 bytes
    /// so that `ldmatrix` reads eight rows from eight different bank groups.
    static func sharedBytes(headDim: Int) -> Int { 2 * 2 * keysPerTile * (headDim + 8) * 2 }
    /// The decode kernels (`flash_decode_paged_*`) keep one stage, which also holds their final
    /// merge of the four warps' rows (16 rows × head size f32 each, and their statistics).
    static func decodeSharedBytes(headDim: Int) -> Int { 2 * keysPerTile * (headDim + 8) * 2 }

    static let source = #"""
#define FA_ROWS 64
#define FA_KEYS 64
#define FA_MIN_SPLIT_TILES 2
#define ATT_SPLIT_WARPS 4

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_one() { asm volatile("cp.async.wait_group 1;\n" ::: "memory"); }

__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const u16* p) {
    const unsigned a = (unsigned)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a) : "memory");
}
__device__ __forceinline__ void ldmatrix_x4_trans(unsigned (&r)[4], const u16* p) {
    const unsigned a = (unsigned)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a) : "memory");
}

// c += a · b for one 16×8 tile, k = 16; BF picks bf16 or f16 inputs.
template <bool BF>
__device__ __forceinline__ void mma_16816(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    if constexpr (BF) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    } else {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
}

// Two floats as one register of two 16-bit values, `low` in the low half (the element with the
// smaller column index in mma's fragment layouts).
template <bool BF>
__device__ __forceinline__ unsigned pack_pair(float low, float high) {
    unsigned r;
    if constexpr (BF) asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(high), "f"(low));
    else asm("cvt.rn.f16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(high), "f"(low));
    return r;
}

__device__ __forceinline__ float fast_exp2(float x) { float y; asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x)); return y; }

// PAGED: q is f32 [rows][heads · HD] (the decoder's rotated queries), keys and values are the bf16
// cache [slot][kv_heads · HD] addressed through `tables`. Otherwise q, k and v point into packed
// 16-bit rows of `kv_stride` elements (q_stride the same) and sequences are contiguous.
// Output: f32 rows (out32) and/or 16-bit rows (out16), both [rows][heads · HD]. q_bias and
// v_bias (f32 [heads · HD], or null): biases the producing GEMM left out, added to the queries
// as they load and to the output (the probabilities of a row sum to 1); a key bias needs no
// counterpart, since it adds the same q·b to every score of a row.
//
// SPLIT_KEYS (grouped decode tiles of at most 16 rows): every warp holds the same 16 rows and takes
// its own 16 keys of each 64-key tile, with its own online softmax; the four partial results are
// merged through shared memory at the end. Otherwise three of the four warps would hold no row
// and one warp would do all of a decode tile's math.
template <int HD, bool BF, bool PAGED, bool SPLIT_KEYS = false, bool SPLIT_STAGES = false>
__device__ __forceinline__ void flash_attention_impl(
    const void* q_source, const u16* k_source, const u16* v_source, const float* q_bias, const float* v_bias,
    const int* tiles, const int* tables, float* out32, u16* out16, int heads, int kv_heads, int q_stride, int kv_stride,
    int block_size, float scale_log2, int causal, int grouped, int splits = 1, float* partial_acc = nullptr,
    float* partial_ml = nullptr) {
    constexpr int STRIDE = HD + 8;   // shared row, in 16-bit elements
    constexpr int KSTEPS = HD / 16;  // mma k-steps over the head dimension
    constexpr int DTILES = HD / 8;   // 8-wide output tiles
    constexpr int CHUNKS = HD / 8;   // 16-byte pieces of a key row
    extern __shared__ __align__(16) u16 fa_shared[];

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int* tile = tiles + 5 * blockIdx.x;
    const int row0 = tile[0], rows = tile[1], pos0 = tile[2], kv_len = tile[3], kv_base = tile[4];
    // Rows are query tokens of head blockIdx.y; or, `grouped` (decode), (token, head) pairs of the
    // KV head blockIdx.y — row r is token r / group of head kvh · group + r % group — so one
    // block reads a sequence's keys once for all the query heads that share them.
    const int group = heads / kv_heads;
    const int kvh = grouped ? blockIdx.y : blockIdx.y / group;
    // A power-of-two group (Llama's 4, 8) divides with shifts: these run per row and element.
    const bool group_pow2 = (group & (group - 1)) == 0;
    const int group_shift = __ffs(group) - 1;
    auto token_of = [&](int r) { return grouped ? (group_pow2 ? r >> group_shift : r / group) : r; };
    auto head_of = [&](int r) { return grouped ? kvh * group + (group_pow2 ? r & (group - 1) : r % group) : (int)blockIdx.y; };
    const int valid_rows = grouped ? rows * group : rows;
    const int kv_end = causal ? min(kv_len, pos0 + rows) : kv_len;
    const int key_tiles = (kv_end + FA_KEYS - 1) / FA_KEYS;
    // SPLIT_KEYS with `splits` > 1 (decodes too few to fill the GPU, long contexts): block
    // blockIdx.z takes its share of the key tiles, at least FA_MIN_SPLIT_TILES of them, and
    // writes unnormalized partials that attention_combine merges (a split without tiles writes
    // an empty one). Otherwise a block takes all of them.
    int tile_begin = 0, tile_end = key_tiles;
    if (SPLIT_KEYS && splits > 1) {
        const int per_split = max((key_tiles + splits - 1) / splits, FA_MIN_SPLIT_TILES);
        tile_begin = min((int)blockIdx.z * per_split, key_tiles);
        tile_end = min(tile_begin + per_split, key_tiles);
    }
    const int r_lo = (SPLIT_KEYS ? 0 : warp * 16) + g, r_hi = r_lo + 8;
    constexpr int NT = SPLIT_KEYS ? 2 : 8;  // 8-key score tiles per warp and key tile

    // Paged rows: cache blocks of a power-of-two size (the engine's 16) are found with shifts,
    // others with divisions (the address math is a large share of the decode kernel's work).
    const bool block_pow2 = (block_size & (block_size - 1)) == 0;
    const int block_shift = __ffs(block_size) - 1;
    // Key tile `index` into stage `stage`: 16-byte cp.async pieces, zeros past the visible keys
    // (a value row of garbage times a zero probability could still make a NaN). `parts`: 1 the
    // keys, 2 the values, 3 both.
    auto load_tile = [&](int index, int stage, int parts) {
        u16* ks = fa_shared + stage * 2 * FA_KEYS * STRIDE;
        u16* vs = ks + FA_KEYS * STRIDE;
        for (int c = threadIdx.x; c < FA_KEYS * CHUNKS; c += blockDim.x) {
            const int r = c / CHUNKS, part = c - r * CHUNKS, j = index * FA_KEYS + r;
            u16* kd = ks + r * STRIDE + part * 8;
            u16* vd = vs + r * STRIDE + part * 8;
            if (j < kv_end) {
                size_t row;
                if constexpr (PAGED) {
                    if (block_pow2) row = ((size_t)tables[kv_base + (j >> block_shift)] << block_shift) | (size_t)(j & (block_size - 1));
                    else row = (size_t)tables[kv_base + j / block_size] * block_size + j % block_size;
                }
                else row = (size_t)(kv_base + j);
                const size_t at = row * kv_stride + (size_t)kvh * HD + part * 8;
                if (parts & 1) cp_async16(kd, k_source + at);
                if (parts & 2) cp_async16(vd, v_source + at);
            } else {
                if (parts & 1) *reinterpret_cast<uint4*>(kd) = make_uint4(0, 0, 0, 0);
                if (parts & 2) *reinterpret_cast<uint4*>(vd) = make_uint4(0, 0, 0, 0);
            }
        }
    };
    // SPLIT_STAGES (decode): the first tile's keys and values are two copy groups, issued before
    // the queries load so that the two latencies overlap.
    if (SPLIT_STAGES && tile_begin < tile_end) {
        load_tile(tile_begin, 0, 1);
        cp_async_commit();
        load_tile(tile_begin, 0, 2);
        cp_async_commit();
    }

    // This warp's 16 query rows as A fragments, for every k-step of the head dimension.
    unsigned qa[KSTEPS][4];
    // The thread's two rows (g and g + 8 of its warp's 16): where their queries start.
    const size_t q_lo = (size_t)(row0 + token_of(r_lo)) * q_stride + (size_t)head_of(r_lo) * HD;
    const size_t q_hi = (size_t)(row0 + token_of(r_hi)) * q_stride + (size_t)head_of(r_hi) * HD;
#pragma unroll
    for (int kk = 0; kk < KSTEPS; kk++) {
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int r = (i & 1) ? r_hi : r_lo, d = kk * 16 + (i >> 1) * 8 + 2 * t;
            unsigned value = 0;
            if (r < valid_rows) {
                const int h = head_of(r);
                const size_t at = ((i & 1) ? q_hi : q_lo) + d;
                if constexpr (PAGED) {
                    const float2 pair = *reinterpret_cast<const float2*>(static_cast<const float*>(q_source) + at);
                    value = pack_pair<BF>(pair.x, pair.y);
                } else {
                    value = *reinterpret_cast<const unsigned*>(static_cast<const u16*>(q_source) + at);
                    if (q_bias) {
                        const float* b = q_bias + (size_t)h * HD + d;
                        const float low = BF ? __uint_as_float(value << 16) : f16_to_f32((u16)(value & 0xffffu));
                        const float high = BF ? __uint_as_float(value & 0xffff0000u) : f16_to_f32((u16)(value >> 16));
                        value = pack_pair<BF>(low + b[0], high + b[1]);
                    }
                }
            }
            qa[kk][i] = value;
        }
    }

    float o[DTILES][4];
#pragma unroll
    for (int d = 0; d < DTILES; d++) o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0.f;
    float m[2] = {-FLOE_INFINITY, -FLOE_INFINITY}, l[2] = {0.f, 0.f};
    const int qpos_lo = pos0 + token_of(r_lo), qpos_hi = pos0 + token_of(r_hi);

    // SPLIT_KEYS (decode) keeps one stage: half the shared memory, so that four blocks share an
    // SM and a batch of 64 decodes × 8 KV heads runs in one wave; the other blocks hide the loads.
    // Splitting the keys over more blocks (merged like the paged kernel's split-K) was slower at
    // 64 decodes of ~130 keys: 40.2 + 4.6 µs per layer with two splits, against 30.1 µs; splits
    // serve only decodes too few to fill the GPU (`splits` above).
    //
    // SPLIT_STAGES (decode, one stage) overlaps the loads with the math all the same: a tile's
    // values load while its scores and softmax are computed, and the next tile's keys while its
    // values are multiplied — the keys and values of a tile are separate copy groups, each
    // buffer refilled as soon as every warp is done with it.
    if (!SPLIT_KEYS && key_tiles > 0) load_tile(0, 0, 3);
    if (!SPLIT_KEYS) cp_async_commit();
    for (int it = tile_begin; it < tile_end; it++) {
        if constexpr (SPLIT_STAGES) {
            cp_async_wait_one();  // this tile's keys (its values may still be in flight)
        } else if constexpr (SPLIT_KEYS) {
            load_tile(it, 0, 3);
            cp_async_wait_all();
        } else {
            if (it + 1 < key_tiles) load_tile(it + 1, (it + 1) & 1, 3);
            cp_async_commit();
            cp_async_wait_one();
        }
        __syncthreads();
        const u16* ks = fa_shared + (SPLIT_KEYS ? 0 : it & 1) * 2 * FA_KEYS * STRIDE;
        const u16* vs = ks + FA_KEYS * STRIDE;

        // S = Q · Kᵀ: 8 tiles of 8 keys (SPLIT_KEYS: this warp's 2); one ldmatrix.x4 gives two
        // k-steps of a key tile. Score tile n covers keys n0 + 8n.
        const int n0 = SPLIT_KEYS ? warp * 16 : 0;
        float s[NT][4];
#pragma unroll
        for (int n = 0; n < NT; n++) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
        for (int kk = 0; kk < KSTEPS; kk += 2) {
#pragma unroll
            for (int n = 0; n < NT; n++) {
                unsigned b[4];
                ldmatrix_x4(b, ks + (n0 + n * 8 + (lane & 7)) * STRIDE + kk * 16 + (lane >> 3) * 8);
                mma_16816<BF>(s[n], qa[kk], b[0], b[1]);
                mma_16816<BF>(s[n], qa[kk + 1], b[2], b[3]);
            }
        }

        // Scale into base 2, mask, and update the running max (rows g and g + 8 of the warp).
        const int key0 = it * FA_KEYS;
        const bool whole = key0 + FA_KEYS <= kv_end && (!causal || key0 + FA_KEYS - 1 <= pos0 + token_of(SPLIT_KEYS ? 0 : warp * 16));
        float top[2] = {-FLOE_INFINITY, -FLOE_INFINITY};
#pragma unroll
        for (int n = 0; n < NT; n++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                float v = s[n][e] * scale_log2;
                if (!whole) {
                    const int key = key0 + n0 + n * 8 + 2 * t + (e & 1);
                    const bool visible = key < kv_end && (!causal || key <= (e < 2 ? qpos_lo : qpos_hi));
                    if (!visible) v = -FLOE_INFINITY;
                }
                s[n][e] = v;
                top[e >> 1] = fmaxf(top[e >> 1], v);
            }
        }
        float base[2], sum[2] = {0.f, 0.f};
#pragma unroll
        for (int i = 0; i < 2; i++) {
            top[i] = fmaxf(top[i], __shfl_xor_sync(0xffffffffu, top[i], 1));
            top[i] = fmaxf(top[i], __shfl_xor_sync(0xffffffffu, top[i], 2));
            const float next = fmaxf(m[i], top[i]);
            base[i] = next == -FLOE_INFINITY ? 0.f : next;  // a row with nothing visible yet
            const float alpha = fast_exp2(m[i] - base[i]);
            m[i] = next;
            l[i] *= alpha;
#pragma unroll
            for (int d = 0; d < DTILES; d++) { o[d][2 * i] *= alpha; o[d][2 * i + 1] *= alpha; }
        }
#pragma unroll
        for (int n = 0; n < NT; n++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                s[n][e] = fast_exp2(s[n][e] - base[e >> 1]);
                sum[e >> 1] += s[n][e];
            }
        }
        l[0] += sum[0];
        l[1] += sum[1];
        if constexpr (SPLIT_STAGES) {
            __syncthreads();  // every warp has read the keys: the buffer takes the next tile's
            if (it + 1 < tile_end) load_tile(it + 1, 0, 1);
            cp_async_commit();    // (an empty group after the last tile keeps the count)
            cp_async_wait_one();  // this tile's values
            __syncthreads();
        }

        // O += P · V: the score tiles 2kk and 2kk + 1 are exactly the A fragment of k-step kk;
        // one ldmatrix.x4.trans gives the B fragments of two 8-wide output tiles.
#pragma unroll
        for (int kk = 0; kk < NT / 2; kk++) {
            const unsigned a[4] = {pack_pair<BF>(s[2 * kk][0], s[2 * kk][1]), pack_pair<BF>(s[2 * kk][2], s[2 * kk][3]),
                                   pack_pair<BF>(s[2 * kk + 1][0], s[2 * kk + 1][1]), pack_pair<BF>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
            for (int dn = 0; dn < HD / 16; dn++) {
                unsigned b[4];
                ldmatrix_x4_trans(b, vs + (n0 + kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * STRIDE + dn * 16 + (lane >> 4) * 8);
                mma_16816<BF>(o[2 * dn], a, b[0], b[1]);
                mma_16816<BF>(o[2 * dn + 1], a, b[2], b[3]);
            }
        }
        __syncthreads();  // the next iteration's load overwrites this stage (SPLIT_KEYS) or the other
        if constexpr (SPLIT_STAGES) {
            if (it + 1 < tile_end) {
                load_tile(it + 1, 0, 2);
                cp_async_commit();
            }
        }
    }

    float inverse[2];
#pragma unroll
    for (int i = 0; i < 2; i++) {
        l[i] += __shfl_xor_sync(0xffffffffu, l[i], 1);
        l[i] += __shfl_xor_sync(0xffffffffu, l[i], 2);
        inverse[i] = l[i] > 0.f ? 1.f / l[i] : 0.f;
    }
    const int out_stride = heads * HD;
    if constexpr (SPLIT_KEYS) {
        // Merge the warps' (max, sum, unnormalized output) per row, base 2, in the key stages'
        // shared memory (free now: the loop ended with a barrier and no copy in flight).
        // Rows padded by 4 floats: the eight row groups of a warp's stores then hit different banks.
        constexpr int PSTRIDE = HD + 4;
        static_assert(ATT_SPLIT_WARPS * 16 * (PSTRIDE + 2) * 4 <= 2 * FA_KEYS * STRIDE * 2, "the merge fits in the key stage");
        float* partial = reinterpret_cast<float*>(fa_shared);   // [warp][16 rows][PSTRIDE]
        float* stats = partial + ATT_SPLIT_WARPS * 16 * PSTRIDE; // [warp][16 rows][max, sum]
#pragma unroll
        for (int i = 0; i < 2; i++) {
            const int r = i == 0 ? r_lo : r_hi;
            if (t == 0) { stats[(warp * 16 + r) * 2] = m[i]; stats[(warp * 16 + r) * 2 + 1] = l[i]; }
#pragma unroll
            for (int d = 0; d < DTILES; d++)
                *reinterpret_cast<float2*>(partial + (warp * 16 + r) * PSTRIDE + d * 8 + 2 * t) = make_float2(o[d][2 * i], o[d][2 * i + 1]);
        }
        __syncthreads();
        for (int index = threadIdx.x; index < valid_rows * HD; index += blockDim.x) {
            const int r = index / HD, c = index - r * HD;
            float top = -FLOE_INFINITY;
            for (int w = 0; w < ATT_SPLIT_WARPS; w++) top = fmaxf(top, stats[(w * 16 + r) * 2]);
            float sum = 0.f, value = 0.f;
            if (top != -FLOE_INFINITY) {
                for (int w = 0; w < ATT_SPLIT_WARPS; w++) {
                    const float weight = fast_exp2(stats[(w * 16 + r) * 2] - top);
                    sum += stats[(w * 16 + r) * 2 + 1] * weight;
                    value += partial[(w * 16 + r) * PSTRIDE + c] * weight;
                }
            }
            const int h = head_of(r);
            if (splits > 1) {
                // attention_combine's layout, [query head][split][HD] and (max, sum), the max in
                // natural-log units as the paged kernel writes it.
                const size_t p = ((size_t)(row0 + token_of(r)) * heads + h) * splits + blockIdx.z;
                partial_acc[p * HD + c] = value;
                if (c == 0) { partial_ml[2 * p] = top * 0.69314718f; partial_ml[2 * p + 1] = sum; }
                continue;
            }
            float x = sum > 0.f ? value / sum : 0.f;
            if (v_bias) x += v_bias[(size_t)h * HD + c];
            const size_t at = (size_t)(row0 + token_of(r)) * out_stride + (size_t)h * HD + c;
            if (out32) out32[at] = x;
            if (out16) out16[at] = BF ? f32_to_bf16(x) : f32_to_f16(x);
        }
        return;
    }
#pragma unroll
    for (int i = 0; i < 2; i++) {
        const int r = i == 0 ? r_lo : r_hi;
        if (r >= valid_rows) continue;
        const int h = head_of(r);
        const size_t at = (size_t)(row0 + token_of(r)) * out_stride + (size_t)h * HD + 2 * t;
#pragma unroll
        for (int d = 0; d < DTILES; d++) {
            float x = o[d][2 * i] * inverse[i], y = o[d][2 * i + 1] * inverse[i];
            if (v_bias) {
                const float* b = v_bias + (size_t)h * HD + d * 8 + 2 * t;
                x += b[0];
                y += b[1];
            }
            if (out32) *reinterpret_cast<float2*>(out32 + at + d * 8) = make_float2(x, y);
            if (out16) *reinterpret_cast<unsigned*>(out16 + at + d * 8) = pack_pair<BF>(x, y);
        }
    }
}

#define FLOE_FLASH_PAGED(NAME, HD, BLOCKS) \
    extern "C" __global__ void __launch_bounds__(128, BLOCKS) NAME(const float* q, const u16* key_cache, const u16* value_cache, \
        const int* tiles, const int* tables, float* out32, u16* out16, int heads, int kv_heads, int block_size, float scale_log2, int grouped) { \
        flash_attention_impl<HD, true, true>(q, key_cache, value_cache, nullptr, nullptr, tiles, tables, out32, out16, heads, kv_heads, heads * HD, \
            kv_heads * HD, block_size, scale_log2, 1, grouped); }
FLOE_FLASH_PAGED(flash_attention_paged_32, 32, 1)
FLOE_FLASH_PAGED(flash_attention_paged_64, 64, 1)
FLOE_FLASH_PAGED(flash_attention_paged_96, 96, 1)
// Head size 128 capped at 168 registers (36 bytes spill) so that three blocks share an SM
// instead of two: 5 % faster on an H100 (284 → 270 µs per layer of a 2,048-token prefill).
FLOE_FLASH_PAGED(flash_attention_paged_128, 128, 3)

// Decode tiles of at most 16 (token, head) rows, grouped by KV head, keys split over the warps.
// Four blocks an SM (128 registers, no spill at head size 128).
// `splits` > 1: blockIdx.z is the split, and the block writes partials for attention_combine.
#define FLOE_FLASH_DECODE(NAME, HD, STAGES) \
    extern "C" __global__ void __launch_bounds__(128, 4) NAME(const float* q, const u16* key_cache, const u16* value_cache, \
        const int* tiles, const int* tables, float* out32, u16* out16, int heads, int kv_heads, int block_size, float scale_log2, \
        int splits, float* partial_acc, float* partial_ml) { \
        dependent_launch_wait(); \
        dependent_launch_trigger(); \
        flash_attention_impl<HD, true, true, true, STAGES>(q, key_cache, value_cache, nullptr, nullptr, tiles, tables, out32, out16, heads, \
            kv_heads, heads * HD, kv_heads * HD, block_size, scale_log2, 1, 1, splits, partial_acc, partial_ml); }
FLOE_FLASH_DECODE(flash_decode_paged_32, 32, true)
FLOE_FLASH_DECODE(flash_decode_paged_64, 64, true)
FLOE_FLASH_DECODE(flash_decode_paged_96, 96, true)
FLOE_FLASH_DECODE(flash_decode_paged_128, 128, true)
// Keys and values as one copy group, waited for before any math (FLOE_CUDA_DECODE_ATTENTION=joint-loads).
FLOE_FLASH_DECODE(flash_decode_paged_joint_32, 32, false)
FLOE_FLASH_DECODE(flash_decode_paged_joint_64, 64, false)
FLOE_FLASH_DECODE(flash_decode_paged_joint_96, 96, false)
FLOE_FLASH_DECODE(flash_decode_paged_joint_128, 128, false)

// Packed rows [token][q | k | v], each heads · HD wide; bidirectional.
#define FLOE_FLASH_PACKED(NAME, HD, BF) \
    extern "C" __global__ void __launch_bounds__(128) NAME(const u16* qkv, const float* qkv_bias, const int* tiles, u16* out, int heads, \
        float scale_log2) { \
        const int width = heads * HD; \
        flash_attention_impl<HD, BF, false>(qkv, qkv + width, qkv + 2 * width, qkv_bias, qkv_bias ? qkv_bias + 2 * width : nullptr, tiles, \
            nullptr, nullptr, out, heads, heads, 3 * width, 3 * width, 0, scale_log2, 0, 0); }
FLOE_FLASH_PACKED(flash_attention_packed_bf16_32, 32, true)
FLOE_FLASH_PACKED(flash_attention_packed_bf16_64, 64, true)
FLOE_FLASH_PACKED(flash_attention_packed_bf16_96, 96, true)
FLOE_FLASH_PACKED(flash_attention_packed_bf16_128, 128, true)
FLOE_FLASH_PACKED(flash_attention_packed_f16_32, 32, false)
FLOE_FLASH_PACKED(flash_attention_packed_f16_64, 64, false)
FLOE_FLASH_PACKED(flash_attention_packed_f16_96, 96, false)
FLOE_FLASH_PACKED(flash_attention_packed_f16_128, 128, false)
"""#
}
