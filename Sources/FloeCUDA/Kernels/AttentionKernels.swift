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
    /// Sequences with at least this many query tokens in a step (prefill chunks) attend in the
    /// tensor-core flash kernel (FlashAttentionKernels) when their head size has one: below it, a
    /// 64-query tile would be mostly empty and the paged kernel's GQA sharing wins.
    static let flashMinimumQueries = 16
    /// Sequences with at most this many query tokens (decodes, short verification chunks) can take
    /// the flash kernel's grouped mode: their tokens × the GQA group (≤ `maxGroup` = 8) fit its 64
    /// rows.
    static let flashDecodeMaxTokens = 8
    static let maxGroup = 8
    static let maxHeadDim = 256

    /// Dynamic shared memory, in bytes, for a group of `group` query heads of `headDim`.
    static func sharedBytes(group: Int, headDim: Int) -> Int {
        (group * headDim + warps * group * 32 + 2 * warps * group + warps * group * headDim) * 4
            + (stagesValues(headDim: headDim) ? warps * 32 * headDim * 2 : 0)
    }

    /// Whether each warp copies its chunk's value rows into shared memory (cp.async) while it
    /// scores the keys, which takes the value loads off the kernel's latency chain.
    static func stagesValues(headDim: Int) -> Bool { headDim % 8 == 0 && headDim <= 128 }

    static let source = #"""
#define ATT_WARPS 4
#define ATT_MAX_GROUP 8

extern "C" __global__ void store_kv(const float* key, const float* value, u16* key_cache, u16* value_cache,
                                    const int* slots, int width) {
    if (slots[blockIdx.x] < 0) return;  // a row that only pads a recorded batch
    const size_t slot = (size_t)slots[blockIdx.x];
    const float* k = key + (size_t)blockIdx.x * width;
    const float* v = value + (size_t)blockIdx.x * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        key_cache[slot * width + i] = f32_to_bf16(k[i]);
        value_cache[slot * width + i] = f32_to_bf16(v[i]);
    }
}

// RoPE on the token's query and key heads, then its rotated key and its value into the bf16
// caches at its slot: blockIdx.x is the token, and the gridDim.y blocks of a token share its
// pairs and values (one block per token left a decode step's single token to one SM).
//
// The inputs are read from `in` — for row t, q at in.q + t · in.q_stride, k and v at in.k/in.v +
// t · in.kv_stride, each plus its bias when given — and the rotated q and k (and v, when in.v_out
// is set) written to the outputs: separate tensors rotated in place (the outputs are the inputs),
// or the columns of one stacked Q/K/V GEMM's output, which this kernel then also splits.
struct RopeInputs {
    const float* q; const float* k; const float* v;
    long long q_stride, kv_stride;
    const float* q_bias; const float* k_bias; const float* v_bias;
    float* q_out; float* k_out; float* v_out;
};
extern "C" __global__ void rope_store_kv(RopeInputs in, const int* positions, const float* inverse_frequencies,
                                         int heads, int kv_heads, int hd, int interleaved,
                                         u16* key_cache, u16* value_cache, const int* slots) {
    dependent_launch_wait();
    dependent_launch_trigger();
    const int token = blockIdx.x;
    // A row that only pads a recorded batch stores nothing (its outputs are still written).
    const long long slot_index = slots[token];
    const int half = hd / 2, width = kv_heads * hd;
    const float position = (float)positions[token];
    const float* qt = in.q + (size_t)token * in.q_stride;
    const float* kt = in.k + (size_t)token * in.kv_stride;
    float* qo = in.q_out + (size_t)token * heads * hd;
    float* ko = in.k_out + (size_t)token * width;
    const int first = blockIdx.y * blockDim.x + threadIdx.x, stride = gridDim.y * blockDim.x;
    // The angle depends on the pair only, not the head: one double sincos per pair, shared by
    // every head (per head it was 40 per pair for an 8B model, the kernel's main cost).
    __shared__ float cosines[128], sines[128];
    rope_table(position, inverse_frequencies, half, cosines, sines);
    for (int index = first; index < (heads + kv_heads) * half; index += stride) {
        const int head = index / half, i = index - head * half;
        const float c = cosines[i], s = sines[i];
        const int a = interleaved ? 2 * i : i, b = interleaved ? 2 * i + 1 : i + half;
        const bool is_query = head < heads;
        const int column = (is_query ? head : head - heads) * hd;
        const float* source = (is_query ? qt : kt) + column;
        const float* bias = is_query ? in.q_bias : in.k_bias;
        float x0 = source[a], x1 = source[b];
        if (bias) { x0 += bias[column + a]; x1 += bias[column + b]; }
        const float y0 = x0 * c - x1 * s, y1 = x0 * s + x1 * c;
        float* target = (is_query ? qo : ko) + column;
        target[a] = y0;
        target[b] = y1;
        if (!is_query && slot_index >= 0) {
            u16* cached = key_cache + (size_t)slot_index * width + column;
            cached[a] = f32_to_bf16(y0);
            cached[b] = f32_to_bf16(y1);
        }
    }
    if (slot_index < 0 && !in.v_out) return;
    const float* vt = in.v + (size_t)token * in.kv_stride;
    for (int i = first; i < width; i += stride) {
        const float value = in.v_bias ? vt[i] + in.v_bias[i] : vt[i];
        if (in.v_out) in.v_out[(size_t)token * width + i] = value;
        if (slot_index >= 0) value_cache[(size_t)slot_index * width + i] = f32_to_bf16(value);
    }
}

// 16 bytes global → shared without passing through registers (sm_80+); the copies of a thread
// complete at cp_async_wait_all.
__device__ __forceinline__ void cp_async16(void* shared_target, const void* global_source) {
    const unsigned target = (unsigned)__cvta_generic_to_shared(shared_target);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" :: "r"(target), "l"(global_source));
}
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_all;\n" ::: "memory"); }

// D32 consecutive bf16 values (one 2/4/8/16-byte load) as floats.
template <int D32>
__device__ __forceinline__ void load_value_vector(const u16* source, float (&v)[D32]) {
    if constexpr (D32 == 1) {
        v[0] = bf16_to_f32(*source);
    } else if constexpr (D32 == 2) {
        const unsigned p = *reinterpret_cast<const unsigned*>(source);
        v[0] = __uint_as_float(p << 16); v[1] = __uint_as_float(p & 0xffff0000u);
    } else if constexpr (D32 == 4) {
        const uint2 p = *reinterpret_cast<const uint2*>(source);
        v[0] = __uint_as_float(p.x << 16); v[1] = __uint_as_float(p.x & 0xffff0000u);
        v[2] = __uint_as_float(p.y << 16); v[3] = __uint_as_float(p.y & 0xffff0000u);
    } else {
        const uint4 p = *reinterpret_cast<const uint4*>(source);
        const unsigned words[4] = {p.x, p.y, p.z, p.w};
#pragma unroll
        for (int i = 0; i < 4; i++) { v[2 * i] = __uint_as_float(words[i] << 16); v[2 * i + 1] = __uint_as_float(words[i] & 0xffff0000u); }
    }
}

template <int D32>
__device__ void attention_impl(const float* q, const u16* key_cache, const u16* value_cache,
                               const int* visible_keys, const int* table_offsets, const int* tables,
                               float* out, float* partial_acc, float* partial_ml,
                               int heads, int kv_heads, int hd, int block_size, float scale, int splits, int keys_per_split) {
    dependent_launch_wait();
    dependent_launch_trigger();
    extern __shared__ float shared[];
    const int t = blockIdx.x, g = blockIdx.y, split = blockIdx.z;
    const int group = heads / kv_heads;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    float* q_sh = shared;                          // [group][hd], pre-scaled
    float* p_sh = q_sh + group * hd;               // [warps][group][32]
    float* m_sh = p_sh + ATT_WARPS * group * 32;   // [warps][group]
    float* l_sh = m_sh + ATT_WARPS * group;        // [warps][group]
    float* o_sh = l_sh + ATT_WARPS * group;        // [warps][group][hd]
    // [warps][32][hd] bf16: the value rows of each warp's current chunk (when staged).
    const bool stage_v = (hd & 7) == 0 && hd <= 128;
    u16* v_sh = reinterpret_cast<u16*>(o_sh + ATT_WARPS * group * hd) + (size_t)warp * 32 * hd;

    const float* qt = q + ((size_t)t * heads + (size_t)g * group) * hd;
    for (int i = threadIdx.x; i < group * hd; i += blockDim.x) q_sh[i] = qt[i] * scale;
    __syncthreads();

    const int visible = visible_keys[t];
    // keys_per_split 0: this token's own keys divided among the splits, in whole warp chunks
    // (a recorded graph's split count must serve every context length).
    const int per_split = keys_per_split > 0 ? keys_per_split : ((visible + splits - 1) / splits + 31) & ~31;
    const int begin = split * per_split;
    const int end = min(visible, begin + per_split);
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
            if (stage_v) {
                const u16* vr = value_cache + (size_t)slot * row_stride + (size_t)g * hd;
                for (int d = 0; d < hd; d += 8) cp_async16(v_sh + lane * hd + d, vr + d);
            }
#pragma unroll
            for (int gi = 0; gi < ATT_MAX_GROUP; gi++) s[gi] = 0.f;
            if (vectorized) {
                // 64 dims (eight 16-byte loads, all in flight) at a time; q read as float4.
                for (int d0 = 0; d0 < hd; d0 += 64) {
                    uint4 packed[8];
#pragma unroll
                    for (int i = 0; i < 8; i++)
                        packed[i] = d0 + 8 * i < hd ? *reinterpret_cast<const uint4*>(kr + d0 + 8 * i) : make_uint4(0u, 0u, 0u, 0u);
#pragma unroll
                    for (int i = 0; i < 8; i++) {
                        const int d = d0 + 8 * i;
                        if (d >= hd) break;
                        const uint4 p = packed[i];
                        const float k0 = __uint_as_float(p.x << 16), k1 = __uint_as_float(p.x & 0xffff0000u);
                        const float k2 = __uint_as_float(p.y << 16), k3 = __uint_as_float(p.y & 0xffff0000u);
                        const float k4 = __uint_as_float(p.z << 16), k5 = __uint_as_float(p.z & 0xffff0000u);
                        const float k6 = __uint_as_float(p.w << 16), k7 = __uint_as_float(p.w & 0xffff0000u);
#pragma unroll
                        for (int gi = 0; gi < ATT_MAX_GROUP; gi++) {
                            if (gi < group) {
                                const float4 qa = *reinterpret_cast<const float4*>(q_sh + gi * hd + d);
                                const float4 qb = *reinterpret_cast<const float4*>(q_sh + gi * hd + d + 4);
                                s[gi] += k0 * qa.x + k1 * qa.y + k2 * qa.z + k3 * qa.w + k4 * qb.x + k5 * qb.y + k6 * qb.z + k7 * qb.w;
                            }
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
        // Values: lane owns dims lane·D32 … lane·D32 + D32 − 1. Keys go VK at a time with their
        // slots shuffled first and every load unconditional (keys past the chunk reread its last
        // key with weight 0), so the VK loads are in flight together; branching around them
        // made the compiler issue one load at a time.
        constexpr int VK = D32 >= 8 ? 4 : 8;
        const int count = min(32, end - chunk);
        const bool vector_rows = hd == 32 * D32;
        if (stage_v) {
            cp_async_wait_all();
            __syncwarp();
#pragma unroll 4
            for (int j = 0; j < count; j++) {
                float v[D32];
                if (vector_rows) {
                    load_value_vector<D32>(v_sh + j * hd + lane * D32, v);
                } else {
#pragma unroll
                    for (int c = 0; c < D32; c++) v[c] = lane * D32 + c < hd ? bf16_to_f32(v_sh[j * hd + lane * D32 + c]) : 0.f;
                }
#pragma unroll
                for (int gi = 0; gi < ATT_MAX_GROUP; gi++) {
                    if (gi < group) {
                        const float p = p_sh[(warp * group + gi) * 32 + j];
#pragma unroll
                        for (int c = 0; c < D32; c++) acc[gi][c] += p * v[c];
                    }
                }
            }
        }
        for (int j0 = 0; !stage_v && j0 < count; j0 += VK) {
            float vv[VK][D32];
            if (vector_rows) {
                int key_slots[VK];
#pragma unroll
                for (int jj = 0; jj < VK; jj++) key_slots[jj] = __shfl_sync(0xffffffffu, slot, min(j0 + jj, count - 1));
#pragma unroll
                for (int jj = 0; jj < VK; jj++)
                    load_value_vector<D32>(value_cache + (size_t)key_slots[jj] * row_stride + (size_t)g * hd + lane * D32, vv[jj]);
            } else {
#pragma unroll
                for (int jj = 0; jj < VK; jj++) {
                    const int key_slot = __shfl_sync(0xffffffffu, slot, min(j0 + jj, count - 1));
                    const u16* vr = value_cache + (size_t)key_slot * row_stride + (size_t)g * hd;
#pragma unroll
                    for (int c = 0; c < D32; c++) vv[jj][c] = lane * D32 + c < hd ? bf16_to_f32(vr[lane * D32 + c]) : 0.f;
                }
            }
#pragma unroll
            for (int jj = 0; jj < VK; jj++) {
                const bool valid = j0 + jj < count;
#pragma unroll
                for (int gi = 0; gi < ATT_MAX_GROUP; gi++) {
                    if (gi < group) {
                        const float p = valid ? p_sh[(warp * group + gi) * 32 + min(j0 + jj, 31)] : 0.f;
#pragma unroll
                        for (int c = 0; c < D32; c++) acc[gi][c] += p * vv[jj][c];
                    }
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
                const int d = lane * D32 + c;
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

// BLOCKS_PER_SM 4 caps registers at 128 so four 128-thread blocks fit an SM: a batch of 64
// decodes (512 blocks with 8 KV heads) then runs in one wave on 132 SMs instead of two. Head size
// 256 needs more registers (it would spill) and keeps the default.
#define FLOE_ATTENTION(NAME, D32, BLOCKS_PER_SM) \
    extern "C" __global__ void __launch_bounds__(ATT_WARPS * 32, BLOCKS_PER_SM) NAME(const float* q, const u16* kc, const u16* vc, const int* visible, const int* offsets, \
        const int* tables, float* out, float* pacc, float* pml, int heads, int kv_heads, int hd, int block_size, \
        float scale, int splits, int keys_per_split) { \
        attention_impl<D32>(q, kc, vc, visible, offsets, tables, out, pacc, pml, heads, kv_heads, hd, block_size, scale, splits, keys_per_split); }
FLOE_ATTENTION(paged_attention_32, 1, 4)
FLOE_ATTENTION(paged_attention_64, 2, 4)
FLOE_ATTENTION(paged_attention_128, 4, 4)
FLOE_ATTENTION(paged_attention_256, 8, 1)

// Merges the split-K partials of each (token, head): block per (token, head).
extern "C" __global__ void attention_combine(const float* partial_acc, const float* partial_ml, float* out, int hd, int splits) {
    dependent_launch_wait();
    dependent_launch_trigger();
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
