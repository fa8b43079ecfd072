/// Helpers every kernel file includes: bf16/f16 conversions written with bit operations and PTX,
/// so the sources compile with NVRTC alone (no CUDA headers needed, on the GPU machine or in CI),
/// and block-wide reductions.
enum CommonKernels {
    static let source = #"""
typedef unsigned short u16;
#define FLOE_INFINITY __int_as_float(0x7f800000)

__device__ __forceinline__ float bf16_to_f32(u16 v) { return __uint_as_float(((unsigned)v) << 16); }
__device__ __forceinline__ u16 f32_to_bf16(float f) {
    unsigned u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u16)((u >> 16) | 0x40u);  // keep NaN a NaN
    u += 0x7fffu + ((u >> 16) & 1u);                                          // round to nearest even
    return (u16)(u >> 16);
}
__device__ __forceinline__ float f16_to_f32(u16 v) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(v)); return f; }
__device__ __forceinline__ u16 f32_to_f16(float f) { u16 h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }

// The 16-bit storage formats, as template arguments.
struct BF16 {
    static __device__ __forceinline__ float load(u16 v) { return bf16_to_f32(v); }
    static __device__ __forceinline__ u16 store(float f) { return f32_to_bf16(f); }
};
struct F16 {
    static __device__ __forceinline__ float load(u16 v) { return f16_to_f32(v); }
    static __device__ __forceinline__ u16 store(float f) { return f32_to_f16(f); }
};

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// Sum / max over the whole block (blockDim.x a multiple of 32, at most 1024); every thread gets it.
struct SumOp { static __device__ __forceinline__ float warp(float v) { return warp_sum(v); } };
struct MaxOp { static __device__ __forceinline__ float warp(float v) { return warp_max(v); } };
template <class Op>
__device__ float block_reduce(float v, float identity) {
    __shared__ float partial[32];
    v = Op::warp(v);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    v = lane < warps ? partial[lane] : identity;
    return Op::warp(v);
}
__device__ float block_sum(float v) { return block_reduce<SumOp>(v, 0.f); }
__device__ float block_max(float v) { return block_reduce<MaxOp>(v, -FLOE_INFINITY); }
"""#
}
