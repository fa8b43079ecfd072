/// Row and element kernels: embedding gather, RMSNorm (alone and fused with the residual add,
/// each optionally writing a 16-bit copy for the next GEMM), RoPE, SiLU·mul (f32 and 16-bit),
/// add, softmax, row gather, bias add and f32 → 16-bit conversion.
enum ElementwiseKernels {
    static let source = #"""
template <class T>
__device__ void embed_impl(const int* tokens, const u16* table, float* out, int d) {
    const u16* row = table + (size_t)tokens[blockIdx.x] * d;
    float* o = out + (size_t)blockIdx.x * d;
    for (int i = threadIdx.x; i < d; i += blockDim.x) o[i] = T::load(row[i]);
}
extern "C" __global__ void embed_bf16(const int* tokens, const u16* table, float* out, int d) { embed_impl<BF16>(tokens, table, out, d); }
extern "C" __global__ void embed_f16(const int* tokens, const u16* table, float* out, int d) { embed_impl<F16>(tokens, table, out, d); }
extern "C" __global__ void embed_f32(const int* tokens, const float* table, float* out, int d) {
    const float* row = table + (size_t)tokens[blockIdx.x] * d;
    float* o = out + (size_t)blockIdx.x * d;
    for (int i = threadIdx.x; i < d; i += blockDim.x) o[i] = row[i];
}

// Whether a norm also writes the 16-bit copy of its output that the GEMM after it reads
// (CUDABackend+GEMMInput): CopyTo<BF16> / CopyTo<F16> do, NoCopy writes nothing.
struct NoCopy {
    static constexpr bool enabled = false;
    static __device__ __forceinline__ u16 store(float) { return 0; }
};
template <class T> struct CopyTo {
    static constexpr bool enabled = true;
    static __device__ __forceinline__ u16 store(float f) { return T::store(f); }
};
// Four 16-bit values in one 8-byte store (p 8-byte aligned).
template <class Copy>
__device__ __forceinline__ void store4(u16* p, float4 v) {
    *reinterpret_cast<uint2*>(p) = make_uint2(Copy::store(v.x) | ((unsigned)Copy::store(v.y) << 16),
                                              Copy::store(v.z) | ((unsigned)Copy::store(v.w) << 16));
}

// One block per row: optionally residual += delta first (delta non-null), then
// out = residual / rms(residual) * weight, and with Copy its 16-bit copy. `out` may alias the
// row. Rows whose width is a multiple of 4 move as float4 (the launch then has width/4 threads),
// so a 4096-wide row is one load per thread.
template <class Copy>
__device__ void norm_row(float* row, const float* delta, const float* weight, float* out, u16* copy, int d, float epsilon) {
    float squares = 0.f;
    if ((d & 3) == 0) {
        for (int i = threadIdx.x * 4; i < d; i += blockDim.x * 4) {
            float4 v = *reinterpret_cast<const float4*>(row + i);
            if (delta) {
                const float4 b = *reinterpret_cast<const float4*>(delta + i);
                v = make_float4(v.x + b.x, v.y + b.y, v.z + b.z, v.w + b.w);
                *reinterpret_cast<float4*>(row + i) = v;
            }
            squares += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
        }
        const float scale = rsqrtf(block_sum(squares) / d + epsilon);
        for (int i = threadIdx.x * 4; i < d; i += blockDim.x * 4) {
            const float4 v = *reinterpret_cast<const float4*>(row + i);
            const float4 g = *reinterpret_cast<const float4*>(weight + i);
            const float4 o = make_float4(v.x * scale * g.x, v.y * scale * g.y, v.z * scale * g.z, v.w * scale * g.w);
            *reinterpret_cast<float4*>(out + i) = o;
            if (Copy::enabled) store4<Copy>(copy + i, o);
        }
        return;
    }
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        const float v = delta ? row[i] + delta[i] : row[i];
        if (delta) row[i] = v;
        squares += v * v;
    }
    const float scale = rsqrtf(block_sum(squares) / d + epsilon);
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        const float o = row[i] * scale * weight[i];
        out[i] = o;
        if (Copy::enabled) copy[i] = Copy::store(o);
    }
}

// `x` is only read (delta is null), so the const is cast away for the shared row function.
template <class Copy>
__device__ void rms_norm_impl(const float* x, const float* weight, float* out, u16* copy, int d, float epsilon) {
    dependent_launch_wait();
    dependent_launch_trigger();
    const size_t offset = (size_t)blockIdx.x * d;
    norm_row<Copy>(const_cast<float*>(x) + offset, nullptr, weight, out + offset, copy ? copy + offset : nullptr, d, epsilon);
}
extern "C" __global__ void rms_norm(const float* x, const float* weight, float* out, int d, float epsilon) {
    rms_norm_impl<NoCopy>(x, weight, out, nullptr, d, epsilon);
}
extern "C" __global__ void rms_norm_copy_bf16(const float* x, const float* weight, float* out, u16* copy, int d, float epsilon) {
    rms_norm_impl<CopyTo<BF16>>(x, weight, out, copy, d, epsilon);
}
extern "C" __global__ void rms_norm_copy_f16(const float* x, const float* weight, float* out, u16* copy, int d, float epsilon) {
    rms_norm_impl<CopyTo<F16>>(x, weight, out, copy, d, epsilon);
}

// residual += delta, then out = rmsnorm(residual): one pass over the row instead of three.
template <class Copy>
__device__ void add_rms_norm_impl(float* residual, const float* delta, const float* weight, float* out, u16* copy, int d, float epsilon) {
    dependent_launch_wait();
    dependent_launch_trigger();
    const size_t offset = (size_t)blockIdx.x * d;
    norm_row<Copy>(residual + offset, delta + offset, weight, out + offset, copy ? copy + offset : nullptr, d, epsilon);
}
extern "C" __global__ void add_rms_norm(float* residual, const float* delta, const float* weight, float* out, int d, float epsilon) {
    add_rms_norm_impl<NoCopy>(residual, delta, weight, out, nullptr, d, epsilon);
}
extern "C" __global__ void add_rms_norm_copy_bf16(float* residual, const float* delta, const float* weight, float* out, u16* copy, int d, float epsilon) {
    add_rms_norm_impl<CopyTo<BF16>>(residual, delta, weight, out, copy, d, epsilon);
}
extern "C" __global__ void add_rms_norm_copy_f16(float* residual, const float* delta, const float* weight, float* out, u16* copy, int d, float epsilon) {
    add_rms_norm_impl<CopyTo<F16>>(residual, delta, weight, out, copy, d, epsilon);
}

// The rotation of pair i at `position` (half ≤ 128 pairs) into shared memory, for the whole
// block: the angle is an f32 product (as Hugging Face computes it); its sine and cosine are
// taken in double, as the CPU reference does, then rounded to f32.
__device__ __forceinline__ void rope_table(float position, const float* inverse_frequencies, int half, float* cosines, float* sines) {
    for (int i = threadIdx.x; i < half; i += blockDim.x) {
        double s, c;
        sincos((double)(position * inverse_frequencies[i]), &s, &c);
        cosines[i] = (float)c;
        sines[i] = (float)s;
    }
    __syncthreads();
}

// Rotates x [n, heads, hd] in place; block per token.
extern "C" __global__ void rope(float* x, const int* positions, const float* inverse_frequencies, int heads, int hd, int interleaved) {
    const int half = hd / 2;
    const float position = (float)positions[blockIdx.x];
    float* token = x + (size_t)blockIdx.x * heads * hd;
    __shared__ float cosines[128], sines[128];
    rope_table(position, inverse_frequencies, half, cosines, sines);
    for (int index = threadIdx.x; index < heads * half; index += blockDim.x) {
        const int head = index / half, i = index - head * half;
        const float c = cosines[i], s = sines[i];
        float* h = token + head * hd;
        const int a = interleaved ? 2 * i : i, b = interleaved ? 2 * i + 1 : i + half;
        const float x0 = h[a], x1 = h[b];
        h[a] = x0 * c - x1 * s;
        h[b] = x0 * s + x1 * c;
    }
}

extern "C" __global__ void silu_mul(const float* gate, const float* up, float* out, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const float g = gate[i];
        out[i] = g / (1.f + expf(-g)) * up[i];
    }
}

// The gated MLP's activation in 16 bits (CUDABackend+GatedMLP): gate and up are the 16-bit
// GEMM outputs, out (may alias gate) is the down GEMM's input; silu(gate) * up is taken in f32 and
// rounded once. With `vectorized` (all three 8-byte aligned) four values move per 8-byte access.
template <class T>
__device__ __forceinline__ u16 silu_mul_16(u16 g16, u16 u16v) {
    const float g = T::load(g16);
    return T::store(g / (1.f + expf(-g)) * T::load(u16v));
}
template <class T>
__device__ void silu_mul_16_impl(const u16* gate, const u16* up, u16* out, long long n, int vectorized) {
    const long long stride = (long long)gridDim.x * blockDim.x, first = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    const long long quads = vectorized ? n / 4 : 0;
    for (long long q = first; q < quads; q += stride) {
        const uint2 g = reinterpret_cast<const uint2*>(gate)[q], u = reinterpret_cast<const uint2*>(up)[q];
        reinterpret_cast<uint2*>(out)[q] = make_uint2(
            silu_mul_16<T>(g.x & 0xffffu, u.x & 0xffffu) | ((unsigned)silu_mul_16<T>(g.x >> 16, u.x >> 16) << 16),
            silu_mul_16<T>(g.y & 0xffffu, u.y & 0xffffu) | ((unsigned)silu_mul_16<T>(g.y >> 16, u.y >> 16) << 16));
    }
    for (long long i = quads * 4 + first; i < n; i += stride) out[i] = silu_mul_16<T>(gate[i], up[i]);
}
extern "C" __global__ void silu_mul_bf16(const u16* gate, const u16* up, u16* out, long long n, int vectorized) {
    silu_mul_16_impl<BF16>(gate, up, out, n, vectorized);
}
extern "C" __global__ void silu_mul_f16(const u16* gate, const u16* up, u16* out, long long n, int vectorized) {
    silu_mul_16_impl<F16>(gate, up, out, n, vectorized);
}

extern "C" __global__ void add(const float* a, const float* b, float* out, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        out[i] = a[i] + b[i];
}

extern "C" __global__ void softmax_rows(const float* x, float* out, int cols) {
    const float* xr = x + (size_t)blockIdx.x * cols;
    float* yr = out + (size_t)blockIdx.x * cols;
    float m = -FLOE_INFINITY;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) m = fmaxf(m, xr[i]);
    m = block_max(m);
    float sum = 0.f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) sum += expf(xr[i] - m);
    const float inverse = 1.f / block_sum(sum);
    for (int i = threadIdx.x; i < cols; i += blockDim.x) yr[i] = expf(xr[i] - m) * inverse;
}

// Argmax of each row: the first index of the row's largest value (NaN never wins), as the
// host's greedy argmax picks it. Two passes so a 128k-wide row is read by many blocks at once:
// argmax_partial's block (row, part) scans one slice, argmax_final merges a row's parts.
__device__ __forceinline__ void argmax_merge(float& best, int& index, float other, int other_index) {
    if (other > best || (other == best && other_index < index)) { best = other; index = other_index; }
}

__device__ __forceinline__ void warp_argmax(float& best, int& index) {
    for (int offset = 16; offset > 0; offset >>= 1)
        argmax_merge(best, index, __shfl_xor_sync(0xffffffffu, best, offset), __shfl_xor_sync(0xffffffffu, index, offset));
}

// Block-wide (value, index) of the best; valid in thread 0.
__device__ __forceinline__ void block_argmax(float& best, int& index) {
    __shared__ float best_values[32];
    __shared__ int best_indices[32];
    warp_argmax(best, index);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
    if (lane == 0) { best_values[warp] = best; best_indices[warp] = index; }
    __syncthreads();
    if (warp == 0) {
        best = lane < warps ? best_values[lane] : -FLOE_INFINITY;
        index = lane < warps ? best_indices[lane] : 0x7fffffff;
        warp_argmax(best, index);
    }
}

// Rows of a multiple of 4 columns (16-byte aligned) are read as float4, four loads in flight per
// thread: a batch of 64 vocabulary rows took 57 µs with one scalar load at a time (0.6 TB/s).
extern "C" __global__ void argmax_partial(const float* x, float* part_values, int* part_indices, int cols, int parts) {
    const int row = blockIdx.x, part = blockIdx.y;
    const int span = ((cols + parts - 1) / parts + 3) / 4 * 4;
    const int begin = part * span, end = min(cols, begin + span);
    const float* xr = x + (size_t)row * cols;
    float best = -FLOE_INFINITY;
    int index = 0x7fffffff;
    if ((cols & 3) == 0 && ((size_t)x & 15) == 0) {
        const float4* x4 = reinterpret_cast<const float4*>(xr);
#pragma unroll 4
        for (int i = begin + 4 * threadIdx.x; i < end; i += 4 * blockDim.x) {
            const float4 v = x4[i >> 2];
            argmax_merge(best, index, v.x, i);
            argmax_merge(best, index, v.y, i + 1);
            argmax_merge(best, index, v.z, i + 2);
            argmax_merge(best, index, v.w, i + 3);
        }
    } else {
        for (int i = begin + threadIdx.x; i < end; i += blockDim.x) argmax_merge(best, index, xr[i], i);
    }
    block_argmax(best, index);
    if (threadIdx.x == 0) { part_values[row * parts + part] = best; part_indices[row * parts + part] = index; }
}

extern "C" __global__ void argmax_final(const float* part_values, const int* part_indices, int* out, int parts) {
    const int row = blockIdx.x;
    float best = -FLOE_INFINITY;
    int index = 0x7fffffff;
    for (int p = threadIdx.x; p < parts; p += blockDim.x) argmax_merge(best, index, part_values[row * parts + p], part_indices[row * parts + p]);
    warp_argmax(best, index);
    if (threadIdx.x == 0) out[row] = index == 0x7fffffff ? 0 : index;
}

extern "C" __global__ void gather_rows(const float* x, const int* indices, float* out, int d) {
    const float* xr = x + (size_t)indices[blockIdx.x] * d;
    float* yr = out + (size_t)blockIdx.x * d;
    for (int i = threadIdx.x; i < d; i += blockDim.x) yr[i] = xr[i];
}

// y [rows, cols] += bias [cols]
extern "C" __global__ void add_bias(float* y, const float* bias, long long total, int cols) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
        y[i] += bias[i % cols];
}

// The output of one GEMM over weights stacked by rows (Q, K and V): src [rows][total] f32 holds
// each part's columns side by side; part p gets its `width[p]` columns (+ its bias, when given)
// as its own [rows][width] tensor. Widths are multiples of 4 and every pointer 16-byte aligned.
struct StackedParts { unsigned long long out[3], bias[3], width[3]; };
extern "C" __global__ void split_columns(const float* src, StackedParts parts, int total) {
    dependent_launch_wait();
    dependent_launch_trigger();
    const int row = blockIdx.y;
    const float4* source = (const float4*)(src + (size_t)row * total);
    for (int c4 = blockIdx.x * blockDim.x + threadIdx.x; c4 * 4 < total; c4 += gridDim.x * blockDim.x) {
        int part = 0, column = c4 * 4;
        while (part < 2 && column >= (int)parts.width[part]) { column -= (int)parts.width[part]; part++; }
        float4 v = source[c4];
        if (parts.bias[part]) {
            const float4 b = *(const float4*)((const float*)parts.bias[part] + column);
            v.x += b.x; v.y += b.y; v.z += b.z; v.w += b.w;
        }
        *(float4*)((float*)parts.out[part] + (size_t)row * parts.width[part] + column) = v;
    }
}

extern "C" __global__ void convert_f32_bf16(const float* x, u16* y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        y[i] = f32_to_bf16(x[i]);
}
extern "C" __global__ void convert_f32_f16(const float* x, u16* y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        y[i] = f32_to_f16(x[i]);
}
"""#
}
