/// Paged attention over a bf16 KV cache, and the KV-cache write.
///
/// One block handles one query token, one KV head (so all `heads / kvHeads` query heads that share
/// it — GQA reads each key once) and one split of the token's visible keys. Its four warps take
/// 32 keys at a time: each lane scores one key against every query head of the group, the warp
/// updates an online softmax, then the lanes switch to owning head dimensions to accumulate the
/// values. Long contexts with few tokens (decode) are split over several blocks (split-K), whose
/// partial results `attention_combine` merges. Causality comes from `visible_keys`: token t sees
/// the first visible_keys[t] positions of its sequence.
enum AttentionKernels {
    static let warps = 4
    /// Prefill chunks with at least this many query tokens take the GEMM path (cuBLASLt).
    static let gemmMinimumQueryTokens = 64
    static let maxGroup = 8
    static let maxHeadDim = 256

    /// Dynamic shared memory, in bytes, for a group of `group` query heads of `headDim`.
    static func sharedBytes(group: Int, headDim: Int) -> Int {
        (group * headDim + warps * group * 32 + 2 * warps * group + warps * group * headDim) * 4
    }

    static let source = #"""
#define ATT_WARPS 4
#define ATT_MAX_GROUP 8

extern "C" __global__ void store_kv(const float* key, const float* value, u16* key_cache, u16* value_cache,
                                    const int* slots, int width) {
    const size_t slot = (size_t)slots[blockIdx.x];
    const float* k = key + (size_t)blockIdx.x * width;
    const float* v = value + (size_t)blockIdx.x * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        key_cache[slot * width + i] = f32_to_bf16(k[i]);
        value_cache[slot * width + i] = f32_to_bf16(v[i]);
    }
}

// RoPE on the token's query and key heads, then its rotated key and its value into the bf16
// caches at its slot: block per token.
extern "C" __global__ void rope_store_kv(float* q, float* k, const float* v, const int* positions, const float* inverse_frequencies,
                                         int heads, int kv_heads, int hd, int interleaved,
                                         u16* key_cache, u16* value_cache, const int* slots) {
    const int half = hd / 2, width = kv_heads * hd;
    const float position = (float)positions[blockIdx.x];
    const size_t slot = (size_t)slots[blockIdx.x];
    float* qt = q + (size_t)blockIdx.x * heads * hd;
    float* kt = k + (size_t)blockIdx.x * width;
    for (int index = threadIdx.x; index < (heads + kv_heads) * half; index += blockDim.x) {
        const int head = index / half, i = index - head * half;
        const float angle = position * inverse_frequencies[i];
        double s, c;
        sincos((double)angle, &s, &c);
        const int a = interleaved ? 2 * i : i, b = interleaved ? 2 * i + 1 : i + half;
        float* h = head < heads ? qt + head * hd : kt + (head - heads) * hd;
        const float x0 = h[a], x1 = h[b];
        const float y0 = x0 * (float)c - x1 * (float)s, y1 = x0 * (float)s + x1 * (float)c;
        h[a] = y0;
        h[b] = y1;
        if (head >= heads) {
            u16* cached = key_cache + slot * width + (size_t)(head - heads) * hd;
            cached[a] = f32_to_bf16(y0);
            cached[b] = f32_to_bf16(y1);
        }
    }
    const float* vt = v + (size_t)blockIdx.x * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) value_cache[slot * width + i] = f32_to_bf16(vt[i]);
}

template <int D32>
__device__ void attention_impl(const float* q, const u16* key_cache, const u16* value_cache,
                               const int* visible_keys, const int* table_offsets, const int* tables,
                               float* out, float* partial_acc, float* partial_ml,
                               int heads, int kv_heads, int hd, int block_size, float scale, int splits, int keys_per_split) {
    extern __shared__ float shared[];
    const int t = blockIdx.x, g = blockIdx.y, split = blockIdx.z;
    const int group = heads / kv_heads;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    float* q_sh = shared;                          // [group][hd], pre-scaled
    float* p_sh = q_sh + group * hd;               // [warps][group][32]
    float* m_sh = p_sh + ATT_WARPS * group * 32;   // [warps][group]
    float* l_sh = m_sh + ATT_WARPS * group;        // [warps][group]
    float* o_sh = l_sh + ATT_WARPS * group;        // [warps][group][hd]

    const float* qt = q + ((size_t)t * heads + (size_t)g * group) * hd;
    for (int i = threadIdx.x; i < group * hd; i += blockDim.x) q_sh[i] = qt[i] * scale;
    __syncthreads();

    const int visible = visible_keys[t];
    const int begin = split * keys_per_split;
    const int end = min(visible, begin + keys_per_split);
    const int* table = tables + table_offsets[t];
    const size_t row_stride = (size_t)kv_heads * hd;
    const bool vectorized = (hd & 7) == 0;

    float m[ATT_MAX_GROUP], l[ATT_MAX_GROUP], acc[ATT_MAX_GROUP][D32];
#pragma unroll
    for (int gi = 0; gi < ATT_MAX_GROUP; gi++) {
        m[gi] = -FLOE_INFINITY;
        l[gi] = 0.f;
#pragma unroll
        for (int c = 0; c < D32; c++) acc[gi][c] = 0.f;
    }

    for (int chunk = begin + warp * 32; chunk < end; chunk += ATT_WARPS * 32) {
        const int key = chunk + lane;
        float s[ATT_MAX_GROUP];
        int slot = 0;
        if (key < end) {
            slot = table[key / block_size] * block_size + key % block_size;
            const u16* kr = key_cache + (size_t)slot * row_stride + (size_t)g * hd;
#pragma unroll
            for (int gi = 0; gi < ATT_MAX_GROUP; gi++) s[gi] = 0.f;
            if (vectorized) {
                for (int d = 0; d < hd; d += 8) {
                    const uint4 packed = *reinterpret_cast<const uint4*>(kr + d);
                    float kf[8];
                    kf[0] = bf16_to_f32((u16)(packed.x & 0xffffu)); kf[1] = bf16_to_f32((u16)(packed.x >> 16));
                    kf[2] = bf16_to_f32((u16)(packed.y & 0xffffu)); kf[3] = bf16_to_f32((u16)(packed.y >> 16));
                    kf[4] = bf16_to_f32((u16)(packed.z & 0xffffu)); kf[5] = bf16_to_f32((u16)(packed.z >> 16));
                    kf[6] = bf16_to_f32((u16)(packed.w & 0xffffu)); kf[7] = bf16_to_f32((u16)(packed.w >> 16));
#pragma unroll
                    for (int gi = 0; gi < ATT_MAX_GROUP; gi++) {
                        if (gi < group) {
                            const float* qq = q_sh + gi * hd + d;
                            s[gi] += kf[0] * qq[0] + kf[1] * qq[1] + kf[2] * qq[2] + kf[3] * qq[3]
                                   + kf[4] * qq[4] + kf[5] * qq[5] + kf[6] * qq[6] + kf[7] * qq[7];
                        }
                    }
                }
            } else {
                for (int d = 0; d < hd; d++) {
                    const float kv = bf16_to_f32(kr[d]);
#pragma unroll
                    for (int gi = 0; gi < ATT_MAX_GROUP; gi++)
                        if (gi < group) s[gi] += kv * q_sh[gi * hd + d];
                }
            }
        } else {
#pragma unroll
            for (int gi = 0; gi < ATT_MAX_GROUP; gi++) s[gi] = -FLOE_INFINITY;
        }
#pragma unroll
        for (int gi = 0; gi < ATT_MAX_GROUP; gi++) {
            if (gi < group) {
                const float new_m = fmaxf(m[gi], warp_max(s[gi]));  // finite: lane 0's key is visible
                const float correction = __expf(m[gi] - new_m);
                const float p = key < end ? __expf(s[gi] - new_m) : 0.f;
                l[gi] = l[gi] * correction + warp_sum(p);
#pragma unroll
                for (int c = 0; c < D32; c++) acc[gi][c] *= correction;
                m[gi] = new_m;
                p_sh[(warp * group + gi) * 32 + lane] = p;
            }
        }
        __syncwarp();
        const int count = min(32, end - chunk);
        for (int j = 0; j < count; j++) {
            const int key_slot = __shfl_sync(0xffffffffu, slot, j);
            const u16* vr = value_cache + (size_t)key_slot * row_stride + (size_t)g * hd;
            float vv[D32];
#pragma unroll
            for (int c = 0; c < D32; c++) {
                const int d = lane + 32 * c;
                vv[c] = d < hd ? bf16_to_f32(vr[d]) : 0.f;
            }
#pragma unroll
            for (int gi = 0; gi < ATT_MAX_GROUP; gi++) {
                if (gi < group) {
                    const float p = p_sh[(warp * group + gi) * 32 + j];
#pragma unroll
                    for (int c = 0; c < D32; c++) acc[gi][c] += p * vv[c];
                }
            }
        }
        __syncwarp();
    }

#pragma unroll
    for (int gi = 0; gi < ATT_MAX_GROUP; gi++) {
        if (gi < group) {
            if (lane == 0) {
                m_sh[warp * group + gi] = m[gi];
                l_sh[warp * group + gi] = l[gi];
            }
#pragma unroll
            for (int c = 0; c < D32; c++) {
                const int d = lane + 32 * c;
                if (d < hd) o_sh[(warp * group + gi) * hd + d] = acc[gi][c];
            }
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < group * hd; i += blockDim.x) {
        const int gi = i / hd, d = i - gi * hd;
        float top = -FLOE_INFINITY;
        for (int w = 0; w < ATT_WARPS; w++) top = fmaxf(top, m_sh[w * group + gi]);
        float total = 0.f, weighted = 0.f;
        if (top != -FLOE_INFINITY) {
            for (int w = 0; w < ATT_WARPS; w++) {
                const float mw = m_sh[w * group + gi];
                if (mw == -FLOE_INFINITY) continue;
                const float e = __expf(mw - top);
                total += l_sh[w * group + gi] * e;
                weighted += o_sh[(w * group + gi) * hd + d] * e;
            }
        }
        const size_t head = (size_t)t * heads + (size_t)g * group + gi;
        if (splits == 1) {
            out[head * hd + d] = total > 0.f ? weighted / total : 0.f;
        } else {
            const size_t p = head * splits + split;
            partial_acc[p * hd + d] = weighted;
            if (d == 0) { partial_ml[2 * p] = top; partial_ml[2 * p + 1] = total; }
        }
    }
}

#define FLOE_ATTENTION(NAME, D32) \
    extern "C" __global__ void NAME(const float* q, const u16* kc, const u16* vc, const int* visible, const int* offsets, \
        const int* tables, float* out, float* pacc, float* pml, int heads, int kv_heads, int hd, int block_size, \
        float scale, int splits, int keys_per_split) { \
        attention_impl<D32>(q, kc, vc, visible, offsets, tables, out, pacc, pml, heads, kv_heads, hd, block_size, scale, splits, keys_per_split); }
FLOE_ATTENTION(paged_attention_32, 1)
FLOE_ATTENTION(paged_attention_64, 2)
FLOE_ATTENTION(paged_attention_128, 4)
FLOE_ATTENTION(paged_attention_256, 8)

// Prefill through tensor-core GEMMs (cuBLASLt), for sequences with many query tokens: per KV
// head g, S = Q_g · K_gᵀ, P = causal softmax(S) in bf16, O_g = P · V_g. These kernels move the
// operands into dense, 16-byte-aligned layouts: K [ctx_pad, hd], Vᵀ [hd, ctx_pad], the group's
// queries stacked head-major as rows gi * nq + i, and back.
extern "C" __global__ void gather_kv_dense(const u16* key_cache, const u16* value_cache, const int* table, int block_size,
                                           int ctx, int ctx_pad, int kv_heads, int hd, int g, u16* keys, u16* values_t) {
    const int j = blockIdx.x;
    size_t source = 0;
    if (j < ctx) source = ((size_t)(table[j / block_size] * block_size + j % block_size) * kv_heads + g) * hd;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        const u16 k = j < ctx ? key_cache[source + d] : (u16)0;
        const u16 v = j < ctx ? value_cache[source + d] : (u16)0;
        keys[(size_t)j * hd + d] = k;
        values_t[(size_t)d * ctx_pad + j] = v;
    }
}

extern "C" __global__ void pack_queries(const float* q, u16* packed, int first_row, int nq, int heads, int group, int hd, int g, float scale) {
    const int i = blockIdx.x, gi = blockIdx.y;
    const float* source = q + ((size_t)(first_row + i) * heads + (size_t)g * group + gi) * hd;
    u16* target = packed + ((size_t)gi * nq + i) * hd;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) target[d] = f32_to_bf16(source[d] * scale);
}

// Row r = gi * nq + i is query i of the chunk, which sees the first ctx - nq + i + 1 keys.
extern "C" __global__ void causal_softmax_bf16(const float* scores, u16* probabilities, int nq, int ctx, int ctx_pad) {
    const int i = blockIdx.x % nq;
    const int visible = ctx - nq + i + 1;
    const float* sr = scores + (size_t)blockIdx.x * ctx_pad;
    u16* pr = probabilities + (size_t)blockIdx.x * ctx_pad;
    float m = -FLOE_INFINITY;
    for (int j = threadIdx.x; j < visible; j += blockDim.x) m = fmaxf(m, sr[j]);
    m = block_max(m);
    float sum = 0.f;
    for (int j = threadIdx.x; j < visible; j += blockDim.x) sum += __expf(sr[j] - m);
    const float inverse = 1.f / block_sum(sum);
    for (int j = threadIdx.x; j < ctx_pad; j += blockDim.x) pr[j] = j < visible ? f32_to_bf16(__expf(sr[j] - m) * inverse) : (u16)0;
}

extern "C" __global__ void scatter_attention_rows(const float* o, float* out, int first_row, int nq, int heads, int group, int hd, int g) {
    const int i = blockIdx.x, gi = blockIdx.y;
    const float* source = o + ((size_t)gi * nq + i) * hd;
    float* target = out + ((size_t)(first_row + i) * heads + (size_t)g * group + gi) * hd;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) target[d] = source[d];
}

// Merges the split-K partials of each (token, head): block per (token, head).
extern "C" __global__ void attention_combine(const float* partial_acc, const float* partial_ml, float* out, int hd, int splits) {
    const size_t head = blockIdx.x;
    float top = -FLOE_INFINITY;
    for (int s = 0; s < splits; s++) top = fmaxf(top, partial_ml[2 * (head * splits + s)]);
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        float total = 0.f, weighted = 0.f;
        for (int s = 0; s < splits; s++) {
            const size_t p = head * splits + s;
            const float ms = partial_ml[2 * p];
            if (ms == -FLOE_INFINITY) continue;
            const float e = __expf(ms - top);
            total += partial_ml[2 * p + 1] * e;
            weighted += partial_acc[p * hd + d] * e;
        }
        out[head * hd + d] = total > 0.f ? weighted / total : 0.f;
    }
}
"""#
}
