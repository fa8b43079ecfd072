/// Matrix-vector products for small batches (decode): y [n, out] = x [n, in] · Wᵀ + bias, with
/// 16-bit weights [out, in] and f32 activations. One warp per output row streams the row once
/// with 16-byte loads and applies it to all n (≤ 8) token rows, so the weights are read once per
/// step whatever the batch. Larger batches go to cuBLASLt.
enum GEMVKernels {
    static let maxTokens = 8

    static let source = #"""
// Activations are rounded to the weights' 16-bit type, exactly as the cuBLASLt path rounds its
// input, so a token's result does not depend on which path its batch size picks.
template <class T>
__device__ __forceinline__ float4 rounded(float4 v) {
    return make_float4(T::load(T::store(v.x)), T::load(T::store(v.y)), T::load(T::store(v.z)), T::load(T::store(v.w)));
}

template <class T, int N>
__device__ void gemv_impl(const float* __restrict__ x, const u16* __restrict__ w, const float* __restrict__ bias,
                          float* __restrict__ y, int in, int out, int vectorized) {
    const int lane = threadIdx.x & 31;
    const int warps = (gridDim.x * blockDim.x) >> 5;
    for (int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; row < out; row += warps) {
        const u16* wr = w + (size_t)row * in;
        float acc[N];
#pragma unroll
        for (int t = 0; t < N; t++) acc[t] = 0.f;
        if (vectorized) {
#pragma unroll 4
            for (int k = lane * 8; k < in; k += 256) {
                const uint4 packed = *reinterpret_cast<const uint4*>(wr + k);
                float wf[8];
                wf[0] = T::load((u16)(packed.x & 0xffffu)); wf[1] = T::load((u16)(packed.x >> 16));
                wf[2] = T::load((u16)(packed.y & 0xffffu)); wf[3] = T::load((u16)(packed.y >> 16));
                wf[4] = T::load((u16)(packed.z & 0xffffu)); wf[5] = T::load((u16)(packed.z >> 16));
                wf[6] = T::load((u16)(packed.w & 0xffffu)); wf[7] = T::load((u16)(packed.w >> 16));
#pragma unroll
                for (int t = 0; t < N; t++) {
                    const float4 a = rounded<T>(*reinterpret_cast<const float4*>(x + (size_t)t * in + k));
                    const float4 b = rounded<T>(*reinterpret_cast<const float4*>(x + (size_t)t * in + k + 4));
                    acc[t] += wf[0] * a.x + wf[1] * a.y + wf[2] * a.z + wf[3] * a.w
                            + wf[4] * b.x + wf[5] * b.y + wf[6] * b.z + wf[7] * b.w;
                }
            }
        } else {
            for (int k = lane; k < in; k += 32) {
                const float wv = T::load(wr[k]);
#pragma unroll
                for (int t = 0; t < N; t++) acc[t] += wv * T::load(T::store(x[(size_t)t * in + k]));
            }
        }
#pragma unroll
        for (int t = 0; t < N; t++) acc[t] = warp_sum(acc[t]);
        if (lane == 0) {
            const float b = bias ? bias[row] : 0.f;
#pragma unroll
            for (int t = 0; t < N; t++) y[(size_t)t * out + row] = acc[t] + b;
        }
    }
}

// f32 weights (`--dtype float32`: small models, exact checks against f32 references).
template <int N>
__device__ void gemv_f32_impl(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                              float* __restrict__ y, int in, int out, int vectorized) {
    const int lane = threadIdx.x & 31;
    const int warps = (gridDim.x * blockDim.x) >> 5;
    for (int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; row < out; row += warps) {
        const float* wr = w + (size_t)row * in;
        float acc[N];
#pragma unroll
        for (int t = 0; t < N; t++) acc[t] = 0.f;
        if (vectorized) {
            for (int k = lane * 4; k < in; k += 128) {
                const float4 wv = *reinterpret_cast<const float4*>(wr + k);
#pragma unroll
                for (int t = 0; t < N; t++) {
                    const float4 a = *reinterpret_cast<const float4*>(x + (size_t)t * in + k);
                    acc[t] += wv.x * a.x + wv.y * a.y + wv.z * a.z + wv.w * a.w;
                }
            }
        } else {
            for (int k = lane; k < in; k += 32) {
#pragma unroll
                for (int t = 0; t < N; t++) acc[t] += wr[k] * x[(size_t)t * in + k];
            }
        }
#pragma unroll
        for (int t = 0; t < N; t++) acc[t] = warp_sum(acc[t]);
        if (lane == 0) {
            const float b = bias ? bias[row] : 0.f;
#pragma unroll
            for (int t = 0; t < N; t++) y[(size_t)t * out + row] = acc[t] + b;
        }
    }
}
#define FLOE_GEMV_F32(NAME, N) \
    extern "C" __global__ void NAME(const float* x, const float* w, const float* bias, float* y, int in, int out, int vectorized) { \
        gemv_f32_impl<N>(x, w, bias, y, in, out, vectorized); }
FLOE_GEMV_F32(gemv_f32_1, 1) FLOE_GEMV_F32(gemv_f32_2, 2) FLOE_GEMV_F32(gemv_f32_3, 3) FLOE_GEMV_F32(gemv_f32_4, 4)
FLOE_GEMV_F32(gemv_f32_5, 5) FLOE_GEMV_F32(gemv_f32_6, 6) FLOE_GEMV_F32(gemv_f32_7, 7) FLOE_GEMV_F32(gemv_f32_8, 8)

#define FLOE_GEMV(NAME, T, N) \
    extern "C" __global__ void NAME(const float* x, const u16* w, const float* bias, float* y, int in, int out, int vectorized) { \
        gemv_impl<T, N>(x, w, bias, y, in, out, vectorized); }
FLOE_GEMV(gemv_bf16_1, BF16, 1) FLOE_GEMV(gemv_bf16_2, BF16, 2) FLOE_GEMV(gemv_bf16_3, BF16, 3) FLOE_GEMV(gemv_bf16_4, BF16, 4)
FLOE_GEMV(gemv_bf16_5, BF16, 5) FLOE_GEMV(gemv_bf16_6, BF16, 6) FLOE_GEMV(gemv_bf16_7, BF16, 7) FLOE_GEMV(gemv_bf16_8, BF16, 8)
FLOE_GEMV(gemv_f16_1, F16, 1) FLOE_GEMV(gemv_f16_2, F16, 2) FLOE_GEMV(gemv_f16_3, F16, 3) FLOE_GEMV(gemv_f16_4, F16, 4)
FLOE_GEMV(gemv_f16_5, F16, 5) FLOE_GEMV(gemv_f16_6, F16, 6) FLOE_GEMV(gemv_f16_7, F16, 7) FLOE_GEMV(gemv_f16_8, F16, 8)
"""#
}
