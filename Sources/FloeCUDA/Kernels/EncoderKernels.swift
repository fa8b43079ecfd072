/// The ops of BERT-family encoders: LayerNorm (alone and fused with the residual add), exact-erf
/// GELU, ragged bidirectional attention, pooling and L2 normalization. Activations are f32 and
/// every statistic is taken in f32.
///
/// Attention: one block per (sequence, head, tile of `4 · QW` queries); each of its four warps
/// owns `QW` queries. The block walks the sequence's keys 32 at a time, staging keys and values
/// in shared memory (rows padded by 4 floats so lanes reading different keys hit different
/// banks); each lane scores one key against the warp's queries, the warp updates an online
/// softmax, then lanes switch to owning head dimensions to accumulate the values. No padding is
/// computed: a sequence's blocks only ever see its own keys, and tiles past a sequence's end
/// exit at once.
enum EncoderKernels {
    /// Largest head size the attention kernels handle (BERT-family models use 32 or 64).
    static let maxHeadDim = 128
    static let attentionWarps = 4

    /// Queries per warp for a head-size bucket (fewer for 128 so shared memory stays under 48 KiB).
    static func queriesPerWarp(headDimBucket: Int) -> Int { headDimBucket >= 128 ? 4 : 8 }
    /// The kernel's head-size bucket: 32, 64 or 128.
    static func headDimBucket(_ hd: Int) -> Int { hd <= 32 ? 32 : hd <= 64 ? 64 : 128 }

    static let source = #"""
// out = LayerNorm(x [+ residual]) per row, block per row, and with Copy (ElementwiseKernels)
// its 16-bit copy for the GEMM that reads it next. The sum x + residual is written to `out`
// first (out may alias x or residual: each thread rereads only the elements it wrote), then
// mean and variance are taken in two passes, as PyTorch's f32 LayerNorm does.
template <class Copy>
__device__ void layer_norm_row(const float* x, const float* residual, const float* weight, const float* bias,
                               float* out, u16* copy, int d, float epsilon) {
    // A row of at most 4 · blockDim.x elements, a multiple of 4, all rows 16-byte aligned (the
    // launch gives width/4 threads): one float4 per thread, kept in registers, so the row is read
    // once and written once (the loop below rereads `out` twice and writes it twice).
    const bool vector = (d & 3) == 0 && d <= 4 * (int)blockDim.x
        && ((reinterpret_cast<size_t>(x) | reinterpret_cast<size_t>(residual) | reinterpret_cast<size_t>(out)
             | reinterpret_cast<size_t>(weight) | reinterpret_cast<size_t>(bias)) & 15) == 0
        && (!Copy::enabled || (reinterpret_cast<size_t>(copy) & 7) == 0);
    if (vector) {
        const int i = threadIdx.x * 4;
        const bool mine = i < d;
        float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
        if (mine) {
            v = *reinterpret_cast<const float4*>(x + i);
            if (residual) {
                const float4 r = *reinterpret_cast<const float4*>(residual + i);
                v = make_float4(v.x + r.x, v.y + r.y, v.z + r.z, v.w + r.w);
            }
        }
        const float mean = block_sum(v.x + v.y + v.z + v.w) / d;
        const float4 c = mine ? make_float4(v.x - mean, v.y - mean, v.z - mean, v.w - mean) : make_float4(0.f, 0.f, 0.f, 0.f);
        const float inverse = rsqrtf(block_sum(c.x * c.x + c.y * c.y + c.z * c.z + c.w * c.w) / d + epsilon);
        if (mine) {
            const float4 w = *reinterpret_cast<const float4*>(weight + i), b = *reinterpret_cast<const float4*>(bias + i);
            const float4 o = make_float4(c.x * inverse * w.x + b.x, c.y * inverse * w.y + b.y, c.z * inverse * w.z + b.z, c.w * inverse * w.w + b.w);
            *reinterpret_cast<float4*>(out + i) = o;
            if (Copy::enabled) store4<Copy>(copy + i, o);
        }
        return;
    }
    float sum = 0.f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        const float v = residual ? x[i] + residual[i] : x[i];
        out[i] = v;
        sum += v;
    }
    const float mean = block_sum(sum) / d;
    float squares = 0.f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        const float c = out[i] - mean;
        squares += c * c;
    }
    const float inverse = rsqrtf(block_sum(squares) / d + epsilon);
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        const float o = (out[i] - mean) * inverse * weight[i] + bias[i];
        out[i] = o;
        if (Copy::enabled) copy[i] = Copy::store(o);
    }
}

template <class Copy>
__device__ void layer_norm_impl(const float* x, const float* residual, const float* weight, const float* bias,
                                float* out, u16* copy, int d, float epsilon) {
    const size_t offset = (size_t)blockIdx.x * d;
    layer_norm_row<Copy>(x + offset, residual ? residual + offset : nullptr, weight, bias, out + offset,
                         copy ? copy + offset : nullptr, d, epsilon);
}

extern "C" __global__ void layer_norm(const float* x, const float* weight, const float* bias, float* out, int d, float epsilon) {
    layer_norm_impl<NoCopy>(x, nullptr, weight, bias, out, nullptr, d, epsilon);
}
extern "C" __global__ void layer_norm_copy_bf16(const float* x, const float* weight, const float* bias, float* out, u16* copy, int d, float epsilon) {
    layer_norm_impl<CopyTo<BF16>>(x, nullptr, weight, bias, out, copy, d, epsilon);
}
extern "C" __global__ void layer_norm_copy_f16(const float* x, const float* weight, const float* bias, float* out, u16* copy, int d, float epsilon) {
    layer_norm_impl<CopyTo<F16>>(x, nullptr, weight, bias, out, copy, d, epsilon);
}

// out = LayerNorm(x + residual): BERT's post-LN residual step in one pass over the rows.
extern "C" __global__ void add_layer_norm(const float* x, const float* residual, const float* weight, const float* bias,
                                          float* out, int d, float epsilon) {
    layer_norm_impl<NoCopy>(x, residual, weight, bias, out, nullptr, d, epsilon);
}
extern "C" __global__ void add_layer_norm_copy_bf16(const float* x, const float* residual, const float* weight, const float* bias,
                                                    float* out, u16* copy, int d, float epsilon) {
    layer_norm_impl<CopyTo<BF16>>(x, residual, weight, bias, out, copy, d, epsilon);
}
extern "C" __global__ void add_layer_norm_copy_f16(const float* x, const float* residual, const float* weight, const float* bias,
                                                   float* out, u16* copy, int d, float epsilon) {
    layer_norm_impl<CopyTo<F16>>(x, residual, weight, bias, out, copy, d, epsilon);
}

// Hugging Face's "gelu": x · Φ(x) with the exact normal CDF.
__device__ __forceinline__ float gelu_erf(float v) { return 0.5f * v * (1.f + erff(v * 0.70710678118654752f)); }

extern "C" __global__ void gelu(const float* x, float* out, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        out[i] = gelu_erf(x[i]);
}

// out [rows, cols] (16-bit) = gelu(y + bias) (bias may be null: the GEMM's epilogue added it):
// the MLP's activation written straight in the second GEMM's input format, so the f32
// activation is read once and never written back.
template <class T>
__device__ void bias_gelu_16_impl(const float* y, const float* bias, u16* out, long long total, int cols) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
        out[i] = T::store(gelu_erf(bias ? y[i] + bias[i % cols] : y[i]));
}
extern "C" __global__ void bias_gelu_bf16(const float* y, const float* bias, u16* out, long long total, int cols) {
    bias_gelu_16_impl<BF16>(y, bias, out, total, cols);
}
extern "C" __global__ void bias_gelu_f16(const float* y, const float* bias, u16* out, long long total, int cols) {
    bias_gelu_16_impl<F16>(y, bias, out, total, cols);
}

// y = gelu(y [+ bias]) in place on a 16-bit GEMM output [rows, cols]: bias null when the GEMM's
// epilogue added it, else the f32 bias of a GEMM that had no 16-bit-output plan with one.
template <class T>
__device__ void gelu_16_impl(u16* y, const float* bias, long long n, int cols) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        y[i] = T::store(gelu_erf(bias ? T::load(y[i]) + bias[i % cols] : T::load(y[i])));
}
extern "C" __global__ void gelu_bf16(u16* y, const float* bias, long long n, int cols) { gelu_16_impl<BF16>(y, bias, n, cols); }
extern "C" __global__ void gelu_f16(u16* y, const float* bias, long long n, int cols) { gelu_16_impl<F16>(y, bias, n, cols); }

// f32 activations as a storage format, beside BF16 and F16 (CommonKernels).
struct F32 {
    static __device__ __forceinline__ float load(float v) { return v; }
    static __device__ __forceinline__ float store(float f) { return f; }
};

// qkv [n, 3·heads·hd] → out [n, heads·hd]; `starts` [sequences + 1] are the sequences' first rows.
// HD is the padded head size (32, 64 or 128), QW the queries per warp; In and Out the storage
// formats of qkv and out (f32, or 16 bits when the GEMMs around it read and write 16 bits).
// Everything in between is f32.
template <class In, class Out, typename InT, typename OutT, int HD, int QW>
__device__ void encoder_attention_impl(const InT* qkv, const int* starts, OutT* out, int heads, int hd, float scale) {
    constexpr int KEYS = 32, STRIDE = HD + 4, PER_LANE = HD / 32, QUERIES = 4 * QW;
    __shared__ __align__(16) float k_sh[KEYS * STRIDE];
    __shared__ __align__(16) float v_sh[KEYS * HD];
    __shared__ __align__(16) float q_sh[QUERIES * HD];
    __shared__ __align__(16) float p_sh[4][QW][KEYS];
    const int sequence = blockIdx.x, head = blockIdx.y;
    const int start = starts[sequence], length = starts[sequence + 1] - start;
    const int first_query = blockIdx.z * QUERIES;
    if (first_query >= length) return;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int width = heads * hd, row_width = 3 * width;
    const InT* base = qkv + (size_t)start * row_width + head * hd;

    // This block's queries, pre-scaled; dimensions past hd and rows past the sequence are zero.
    for (int index = threadIdx.x; index < QUERIES * HD; index += blockDim.x) {
        const int query = index / HD, c = index - query * HD, row = first_query + query;
        q_sh[index] = row < length && c < hd ? In::load(base[(size_t)row * row_width + c]) * scale : 0.f;
    }

    float acc[QW][PER_LANE];
    float m[QW], l[QW];
#pragma unroll
    for (int w = 0; w < QW; w++) {
        m[w] = -FLOE_INFINITY;
        l[w] = 0.f;
#pragma unroll
        for (int j = 0; j < PER_LANE; j++) acc[w][j] = 0.f;
    }
    const float* my_q = q_sh + warp * QW * HD;

    for (int key0 = 0; key0 < length; key0 += KEYS) {
        __syncthreads();  // the previous tile is consumed (and, the first time, q_sh is written)
        for (int index = threadIdx.x; index < KEYS * HD; index += blockDim.x) {
            const int key = index / HD, c = index - key * HD, row = key0 + key;
            const bool inside = row < length && c < hd;
            const InT* source = base + (size_t)row * row_width + c;
            k_sh[key * STRIDE + c] = inside ? In::load(source[width]) : 0.f;
            v_sh[key * HD + c] = inside ? In::load(source[2 * width]) : 0.f;
        }
        __syncthreads();

        // Lane `lane` scores key key0 + lane against each of the warp's queries.
        float s[QW];
#pragma unroll
        for (int w = 0; w < QW; w++) s[w] = 0.f;
        const float* k_row = k_sh + lane * STRIDE;
#pragma unroll 4
        for (int c = 0; c < HD; c += 4) {
            const float4 k = *reinterpret_cast<const float4*>(k_row + c);
#pragma unroll
            for (int w = 0; w < QW; w++) {
                const float4 q = *reinterpret_cast<const float4*>(my_q + w * HD + c);
                s[w] += q.x * k.x + q.y * k.y + q.z * k.z + q.w * k.w;
            }
        }
        const bool valid = key0 + lane < length;
#pragma unroll
        for (int w = 0; w < QW; w++) {
            const float score = valid ? s[w] : -FLOE_INFINITY;
            const float m_new = fmaxf(m[w], warp_max(score));
            const float correction = expf(m[w] - m_new);  // 0 on the first tile (m = -inf)
            const float p = valid ? expf(score - m_new) : 0.f;
            l[w] = l[w] * correction + warp_sum(p);
            m[w] = m_new;
            p_sh[warp][w][lane] = p;
#pragma unroll
            for (int j = 0; j < PER_LANE; j++) acc[w][j] *= correction;
        }
        __syncwarp();
        // Lanes own dimensions lane + 32·j now. Keys go four at a time (one float4 of
        // probabilities per query); past the sequence's end p is 0 and the value rows are 0.
        const int keys = (min(KEYS, length - key0) + 3) & ~3;
        for (int key = 0; key < keys; key += 4) {
            float v[4][PER_LANE];
#pragma unroll
            for (int k = 0; k < 4; k++) {
#pragma unroll
                for (int j = 0; j < PER_LANE; j++) v[k][j] = v_sh[(key + k) * HD + lane + 32 * j];
            }
#pragma unroll
            for (int w = 0; w < QW; w++) {
                const float4 p = *reinterpret_cast<const float4*>(&p_sh[warp][w][key]);
#pragma unroll
                for (int j = 0; j < PER_LANE; j++) acc[w][j] += p.x * v[0][j] + p.y * v[1][j] + p.z * v[2][j] + p.w * v[3][j];
            }
        }
        __syncwarp();
    }

#pragma unroll
    for (int w = 0; w < QW; w++) {
        const int row = first_query + warp * QW + w;
        if (row >= length) continue;
        const float inverse = 1.f / l[w];
        OutT* o = out + (size_t)(start + row) * width + head * hd;
#pragma unroll
        for (int j = 0; j < PER_LANE; j++) {
            const int c = lane + 32 * j;
            if (c < hd) o[c] = Out::store(acc[w][j] * inverse);
        }
    }
}

// encoder_attention_{32,64,128}: f32 in and out (the encoderAttention op);
// encoder_attention_{bf16,f16}_{32,64,128}: 16 bits in and out (the selfAttention fusion).
#define FLOE_ENCODER_ATTENTION(NAME, IN, OUT, IN_T, OUT_T, HD, QW) \
    extern "C" __global__ __launch_bounds__(128) void NAME(const IN_T* qkv, const int* starts, OUT_T* out, int heads, int hd, float scale) { \
        encoder_attention_impl<IN, OUT, IN_T, OUT_T, HD, QW>(qkv, starts, out, heads, hd, scale); \
    }
FLOE_ENCODER_ATTENTION(encoder_attention_32, F32, F32, float, float, 32, 8)
FLOE_ENCODER_ATTENTION(encoder_attention_64, F32, F32, float, float, 64, 8)
FLOE_ENCODER_ATTENTION(encoder_attention_128, F32, F32, float, float, 128, 4)
FLOE_ENCODER_ATTENTION(encoder_attention_bf16_32, BF16, BF16, u16, u16, 32, 8)
FLOE_ENCODER_ATTENTION(encoder_attention_bf16_64, BF16, BF16, u16, u16, 64, 8)
FLOE_ENCODER_ATTENTION(encoder_attention_bf16_128, BF16, BF16, u16, u16, 128, 4)
FLOE_ENCODER_ATTENTION(encoder_attention_f16_32, F16, F16, u16, u16, 32, 8)
FLOE_ENCODER_ATTENTION(encoder_attention_f16_64, F16, F16, u16, u16, 64, 8)
FLOE_ENCODER_ATTENTION(encoder_attention_f16_128, F16, F16, u16, u16, 128, 4)

// One output row per sequence; grid (sequences, column blocks), a thread per column.
// mode: 0 cls, 1 mean, 2 max, 3 mean·√length (sum / √length), 4 last token.
extern "C" __global__ void pool_rows(const float* x, const int* starts, float* out, int d, int mode) {
    const int sequence = blockIdx.x, c = blockIdx.y * blockDim.x + threadIdx.x;
    if (c >= d) return;
    const int start = starts[sequence], length = starts[sequence + 1] - start;
    const float* column = x + (size_t)start * d + c;
    float value;
    if (mode == 0) {
        value = column[0];
    } else if (mode == 4) {
        value = column[(size_t)(length - 1) * d];
    } else if (mode == 2) {
        value = column[0];
        for (int r = 1; r < length; r++) value = fmaxf(value, column[(size_t)r * d]);
    } else {
        float sum = 0.f;
        for (int r = 0; r < length; r++) sum += column[(size_t)r * d];
        value = mode == 1 ? sum / (float)length : sum / sqrtf((float)length);
    }
    out[(size_t)sequence * d + c] = value;
}

// x / max(‖x‖, 1e-12) per row (sentence-transformers' Normalize), block per row; out may alias x.
extern "C" __global__ void l2_normalize(const float* x, float* out, int d) {
    const float* xr = x + (size_t)blockIdx.x * d;
    float* yr = out + (size_t)blockIdx.x * d;
    float squares = 0.f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) squares += xr[i] * xr[i];
    const float scale = 1.f / fmaxf(sqrtf(block_sum(squares)), 1e-12f);
    for (int i = threadIdx.x; i < d; i += blockDim.x) yr[i] = xr[i] * scale;
}
"""#
}
