/// Matrix-vector products for small batches (decode): y [n, out] = x [n, in] · Wᵀ + bias, with
/// 16-bit weights [out, in] and f32 activations. One warp per output row streams the row once
/// with 16-byte loads and applies it to all n (≤ 8) token rows, so the weights are read once per
/// step whatever the batch. Larger batches go to cuBLASLt.
///
/// `vectorized`: 0 = scalar loads (odd sizes), 1 = 16-byte loads with x from global memory,
/// 2 = 16-byte loads with x staged (rounded) in shared memory, the fast path.
enum GEMVKernels {
    static let maxTokens = 8
    /// Up to this many token rows the GEMV beats cuBLASLt: beyond it, the staged activations'
    /// shared-memory traffic (two 16-byte loads per token per weight load) becomes the limit.
    static let preferredMaxTokens = 2
    /// Largest staged x (n · in floats) in bytes; kernels opt in to this much shared memory.
    static let maxStagedBytes = 96 * 1024
    static let threadsPerBlock = 256
    /// The tiled kernels (`gemv_tiled_*`): weight rows per block of 256 threads, and the most
    /// token rows they take.
    static let tileRows = 8
    /// Matrices whose 8-row tiles would give fewer blocks than this per SM take 4-row tiles
    /// (`gemv_tiled4_*`); `FLOE_CUDA_GEMV_SMALL_TILES=0` turns that off, for comparison.
    static let smallTileBlocksPerSM = 6
    static let tiledMaxTokens = 2

    static let source = #"""
// Activations are rounded to the weights' 16-bit type, exactly as the cuBLASLt path rounds its
// input, so a token's result does not depend on which path its batch size picks.
template <class T>
__device__ __forceinline__ float4 rounded(float4 v) {
    return make_float4(T::load(T::store(v.x)), T::load(T::store(v.y)), T::load(T::store(v.z)), T::load(T::store(v.w)));
}

// bf16 pairs unpack with one integer op each; f16 goes through the converter.
template <class T> __device__ __forceinline__ float low_half(unsigned p) { return T::load((u16)(p & 0xffffu)); }
template <class T> __device__ __forceinline__ float high_half(unsigned p) { return T::load((u16)(p >> 16)); }
template <> __device__ __forceinline__ float low_half<BF16>(unsigned p) { return __uint_as_float(p << 16); }
template <> __device__ __forceinline__ float high_half<BF16>(unsigned p) { return __uint_as_float(p & 0xffff0000u); }

// acc[t] += row · x[t] over 16-byte chunks of the row; ROUND rounds x on the fly (x not staged).
template <class T, int N, bool ROUND = false>
__device__ __forceinline__ void dot_row(const float* xs, const u16* wr, int in, int lane, float* acc) {
#pragma unroll 8
    for (int k = lane * 8; k < in; k += 256) {
        const uint4 packed = __ldg(reinterpret_cast<const uint4*>(wr + k));
        const float w0 = low_half<T>(packed.x), w1 = high_half<T>(packed.x);
        const float w2 = low_half<T>(packed.y), w3 = high_half<T>(packed.y);
        const float w4 = low_half<T>(packed.z), w5 = high_half<T>(packed.z);
        const float w6 = low_half<T>(packed.w), w7 = high_half<T>(packed.w);
#pragma unroll
        for (int t = 0; t < N; t++) {
            float4 a = *reinterpret_cast<const float4*>(xs + (size_t)t * in + k);
            float4 b = *reinterpret_cast<const float4*>(xs + (size_t)t * in + k + 4);
            if (ROUND) { a = rounded<T>(a); b = rounded<T>(b); }
            acc[t] += w0 * a.x + w1 * a.y + w2 * a.z + w3 * a.w + w4 * b.x + w5 * b.y + w6 * b.z + w7 * b.w;
        }
    }
}

// Copies the N rows of x into shared memory, rounded; float4 loads unrolled so they are all in
// flight at once (staging costs one round trip).
template <class T, int N>
__device__ __forceinline__ void stage_x(const float* x, float* staged, int in) {
#pragma unroll 4
    for (int i = threadIdx.x * 4; i < N * in; i += blockDim.x * 4)
        *reinterpret_cast<float4*>(staged + i) = rounded<T>(*reinterpret_cast<const float4*>(x + i));
    __syncthreads();
}

// Each block first copies x into shared memory, rounded once (when n·in floats fit; the host
// decides and sizes the dynamic shared memory), so the inner loop is one 16-byte weight load,
// two 16-byte shared loads and eight FMAs per lane. Blocks loop over rows with a warp stride.
template <class T, int N>
__device__ void gemv_impl(const float* __restrict__ x, const u16* __restrict__ w, const float* __restrict__ bias,
                          float* __restrict__ y, int in, int out, int vectorized) {
    extern __shared__ float staged[];
    const int lane = threadIdx.x & 31;
    const int warps = (gridDim.x * blockDim.x) >> 5;
    const bool shared_x = vectorized == 2;
    if (shared_x) stage_x<T, N>(x, staged, in);
    for (int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; row < out; row += warps) {
        const u16* wr = w + (size_t)row * in;
        float acc[N];
#pragma unroll
        for (int t = 0; t < N; t++) acc[t] = 0.f;
        if (vectorized) {
            if (shared_x) dot_row<T, N>(staged, wr, in, lane, acc);
            else dot_row<T, N, true>(x, wr, in, lane, acc);
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

// silu(gate) · up from f32 sums, with gate and up rounded to the weights' 16-bit type first, as
// the cuBLASLt path's 16-bit gate/up outputs are (gatedFeedForward, silu_mul_bf16): a token's
// MLP then rounds the same way whichever path its batch size takes (the down projection
// rounds the product itself).
template <class T>
__device__ __forceinline__ float gated_value(float gate, float up) {
    const float g = T::load(T::store(gate));
    return g / (1.f + expf(-g)) * T::load(T::store(up));
}

// Up to three matrices sharing x in one launch (Q/K/V), or, `gated`, gate and up rows computed
// by the same warp and written as silu(gate) * up. Rows of the matrices are numbered one after
// the other; x is staged once per block. N ≤ 2 (the GEMV's range); 16-byte aligned rows only.
struct Projections { const u16* w[3]; const float* bias[3]; float* y[3]; int rows[3]; };

// One of three values by a run-time index without indexing the kernel's parameter struct
// (which would copy it to local memory).
template <class V> __device__ __forceinline__ V pick(int m, V a, V b, V c) { return m == 0 ? a : m == 1 ? b : c; }

// Matrix m and its row for row `index` of the matrices numbered one after the other.
__device__ __forceinline__ void locate_row(int index, int rows0, int rows1, int& m, int& row) {
    m = 0;
    row = index;
    if (row >= rows0) { row -= rows0; m = 1; if (row >= rows1) { row -= rows1; m = 2; } }
}

template <class T, int N>
__device__ void gemv_multi_impl(const float* __restrict__ x, Projections p, int in, int gated) {
    extern __shared__ float staged[];
    const int lane = threadIdx.x & 31;
    const int warps = (gridDim.x * blockDim.x) >> 5;
    stage_x<T, N>(x, staged, in);
    const int total = gated ? p.rows[0] : p.rows[0] + p.rows[1] + p.rows[2];
    for (int index = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; index < total; index += warps) {
        int m = 0, row = index;
        if (!gated) locate_row(index, p.rows[0], p.rows[1], m, row);
        float acc[N], up[N];
#pragma unroll
        for (int t = 0; t < N; t++) { acc[t] = 0.f; up[t] = 0.f; }
        dot_row<T, N>(staged, p.w[m] + (size_t)row * in, in, lane, acc);
        if (gated) dot_row<T, N>(staged, p.w[1] + (size_t)row * in, in, lane, up);
#pragma unroll
        for (int t = 0; t < N; t++) { acc[t] = warp_sum(acc[t]); if (gated) up[t] = warp_sum(up[t]); }
        if (lane == 0) {
            const int out = p.rows[m];
#pragma unroll
            for (int t = 0; t < N; t++) {
                if (gated) {
                    p.y[0][(size_t)t * out + row] = gated_value<T>(acc[t], up[t]);
                } else {
                    p.y[m][(size_t)t * out + row] = acc[t] + (p.bias[m] ? p.bias[m][row] : 0.f);
                }
            }
        }
    }
}
#define FLOE_GEMV_MULTI(NAME, T, N) \
    extern "C" __global__ void NAME(const float* x, Projections p, int in, int gated) { gemv_multi_impl<T, N>(x, p, in, gated); }
FLOE_GEMV_MULTI(gemv_multi_bf16_1, BF16, 1) FLOE_GEMV_MULTI(gemv_multi_bf16_2, BF16, 2)
FLOE_GEMV_MULTI(gemv_multi_f16_1, F16, 1) FLOE_GEMV_MULTI(gemv_multi_f16_2, F16, 2)

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

// Tiled GEMV, the default for ≤ 2 tokens: a block of 256 threads computes a tile of
// GEMV_TILE_ROWS weight rows. The rows' 16-byte chunks are dealt to the threads round robin, so
// each thread multiplies one x chunk (read from L2, rounded) into every row of the tile and has
// GEMV_TILE_ROWS independent weight loads in flight per step (twice that, unrolled). Partial
// sums meet through warp shuffles and one shared-memory pass. Compared with a warp per row:
// many short blocks balance across the SMs (no tail of warps that got one row more), and no
// staging of x delays the first weight load.
#define GEMV_TILE_ROWS 8
#define GEMV_TILE_WARPS 8

template <class T>
__device__ __forceinline__ float dot8(uint4 p, float4 a, float4 b) {
    return low_half<T>(p.x) * a.x + high_half<T>(p.x) * a.y + low_half<T>(p.y) * a.z + high_half<T>(p.y) * a.w
         + low_half<T>(p.z) * b.x + high_half<T>(p.z) * b.y + low_half<T>(p.w) * b.z + high_half<T>(p.w) * b.w;
}

// acc[r][t] = rows[r] · x[t] over this thread's chunks; null rows (past the end) read nothing.
// x and y are neither __restrict__ nor read through the non-coherent path: these kernels start
// before the kernel that writes x has finished (DependentLaunch), so no load of x may be moved
// above their dependent_launch_wait() nor read stale data.
template <class T, int N, int R = GEMV_TILE_ROWS>
__device__ __forceinline__ void tile_dot(const float* x, const u16* const* rows, int in, float (&acc)[R][N]) {
#pragma unroll
    for (int r = 0; r < R; r++) {
#pragma unroll
        for (int t = 0; t < N; t++) acc[r][t] = 0.f;
    }
    const int chunks = in >> 3;
#pragma unroll (16 / R)  // 16 weight loads in flight per thread
    for (int c = threadIdx.x; c < chunks; c += GEMV_TILE_WARPS * 32) {
        uint4 wv[R];
#pragma unroll
        for (int r = 0; r < R; r++)
            wv[r] = rows[r] ? __ldg(reinterpret_cast<const uint4*>(rows[r]) + c) : make_uint4(0u, 0u, 0u, 0u);
#pragma unroll
        for (int t = 0; t < N; t++) {
            const float4* xt = reinterpret_cast<const float4*>(x + (size_t)t * in) + 2 * c;
            const float4 a = rounded<T>(xt[0]), b = rounded<T>(xt[1]);
#pragma unroll
            for (int r = 0; r < R; r++) acc[r][t] += dot8<T>(wv[r], a, b);
        }
    }
}

// Asks L2 for the lines tile_dot's first pass reads (the first 256 chunks of each row: 32
// lines of 128 bytes), one line per thread. Called before dependent_launch_wait(): the weights
// do not depend on the kernel before, so they are on their way while that kernel finishes
// instead of each GEMV starting from an empty pipeline. Only the first pass, so that the blocks
// resident at once (up to eight an SM: 34 MB for eight-row tiles) fit in L2 together.
template <int R = GEMV_TILE_ROWS>
__device__ __forceinline__ void tile_prefetch(const u16* const* rows, int in) {
    const int row = threadIdx.x >> 5, line = threadIdx.x & 31;
    if (line * 8 >= (in >> 3)) return;
#pragma unroll
    for (int r = 0; r < R; r++)  // rows[row] without indexing the array at run time (local memory)
        if (r == row && rows[r]) asm volatile("prefetch.global.L2 [%0];" :: "l"(rows[r] + line * 64));
}

// sums[r * N + t] = the block's total of acc[r][t] (sums in shared memory; all threads call).
template <int N, int R = GEMV_TILE_ROWS>
__device__ __forceinline__ void tile_reduce(float (&acc)[R][N], float* sums) {
    __shared__ float partial[R * N][GEMV_TILE_WARPS];
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
#pragma unroll
    for (int r = 0; r < R; r++) {
#pragma unroll
        for (int t = 0; t < N; t++) {
            const float v = warp_sum(acc[r][t]);
            if (lane == 0) partial[r * N + t][warp] = v;
        }
    }
    __syncthreads();
    if (threadIdx.x < R * N) {
        float total = 0.f;
#pragma unroll
        for (int w = 0; w < GEMV_TILE_WARPS; w++) total += partial[threadIdx.x][w];
        sums[threadIdx.x] = total;
    }
    __syncthreads();
}

// R rows per block: 8 by default, 4 for matrices with few rows (the O and down projections of
// an 8B model make only 512 eight-row tiles, under four blocks per SM).
template <class T, int N, int R>
__device__ void gemv_tiled_impl(const float* x, const u16* __restrict__ w, const float* __restrict__ bias,
                                float* y, int in, int out, int prefetch) {
    __shared__ float sums[R * N];
    const int row0 = blockIdx.x * R;
    const u16* rows[R];
    float acc[R][N];
#pragma unroll
    for (int r = 0; r < R; r++) {
        rows[r] = row0 + r < out ? w + (size_t)(row0 + r) * in : nullptr;
    }
    if (prefetch) tile_prefetch<R>(rows, in);
    dependent_launch_wait();
    dependent_launch_trigger();
    tile_dot<T, N, R>(x, rows, in, acc);
    tile_reduce<N, R>(acc, sums);
    const int r = threadIdx.x / N, t = threadIdx.x % N;
    if (threadIdx.x < R * N && row0 + r < out)
        y[(size_t)t * out + row0 + r] = sums[threadIdx.x] + (bias ? bias[row0 + r] : 0.f);
}


// Up to three matrices sharing x (Q/K/V): tiles over their rows numbered one after the other.
template <class T, int N>
__device__ void gemv_tiled_multi_impl(const float* x, Projections p, int in, int prefetch) {
    __shared__ float sums[GEMV_TILE_ROWS * N];
    const int row0 = blockIdx.x * GEMV_TILE_ROWS, total = p.rows[0] + p.rows[1] + p.rows[2];
    const u16* rows[GEMV_TILE_ROWS];
    float acc[GEMV_TILE_ROWS][N];
#pragma unroll
    for (int r = 0; r < GEMV_TILE_ROWS; r++) {
        int m, row;
        locate_row(row0 + r, p.rows[0], p.rows[1], m, row);
        rows[r] = row0 + r < total ? pick(m, p.w[0], p.w[1], p.w[2]) + (size_t)row * in : nullptr;
    }
    if (prefetch) tile_prefetch(rows, in);
    dependent_launch_wait();
    dependent_launch_trigger();
    tile_dot<T, N>(x, rows, in, acc);
    tile_reduce<N>(acc, sums);
    const int r = threadIdx.x / N, t = threadIdx.x % N;
    if (threadIdx.x < GEMV_TILE_ROWS * N && row0 + r < total) {
        int m, row;
        locate_row(row0 + r, p.rows[0], p.rows[1], m, row);
        const float* bias = pick(m, p.bias[0], p.bias[1], p.bias[2]);
        pick(m, p.y[0], p.y[1], p.y[2])[(size_t)t * pick(m, p.rows[0], p.rows[1], p.rows[2]) + row] = sums[threadIdx.x] + (bias ? bias[row] : 0.f);
    }
}

// gate and up: a tile holds GEMV_TILE_ROWS / 2 output rows, their gate rows then their up rows;
// writes silu(gate) * up into p.y[0].
template <class T, int N>
__device__ void gemv_tiled_gated_impl(const float* x, Projections p, int in, int prefetch) {
    constexpr int H = GEMV_TILE_ROWS / 2;
    __shared__ float sums[GEMV_TILE_ROWS * N];
    const int out = p.rows[0], row0 = blockIdx.x * H;
    const u16* rows[GEMV_TILE_ROWS];
    float acc[GEMV_TILE_ROWS][N];
#pragma unroll
    for (int r = 0; r < GEMV_TILE_ROWS; r++) {
        const int row = row0 + (r % H);
        rows[r] = row < out ? (r < H ? p.w[0] : p.w[1]) + (size_t)row * in : nullptr;
    }
    if (prefetch) tile_prefetch(rows, in);
    dependent_launch_wait();
    dependent_launch_trigger();
    tile_dot<T, N>(x, rows, in, acc);
    tile_reduce<N>(acc, sums);
    const int r = threadIdx.x / N, t = threadIdx.x % N;
    if (threadIdx.x < H * N && row0 + r < out) {
        const float g = sums[threadIdx.x], u = sums[(r + H) * N + t];
        p.y[0][(size_t)t * out + row0 + r] = gated_value<T>(g, u);
    }
}

// `prefetch`: tile_prefetch before waiting for the kernel before (FLOE_CUDA_GEMV_PREFETCH=0 turns it off).
#define FLOE_GEMV_TILED(SUFFIX, T, N) \
    extern "C" __global__ void __launch_bounds__(256) gemv_tiled_##SUFFIX(const float* x, const u16* w, const float* bias, float* y, int in, int out, \
        int prefetch) { gemv_tiled_impl<T, N, GEMV_TILE_ROWS>(x, w, bias, y, in, out, prefetch); } \
    extern "C" __global__ void __launch_bounds__(256) gemv_tiled4_##SUFFIX(const float* x, const u16* w, const float* bias, float* y, int in, int out, \
        int prefetch) { gemv_tiled_impl<T, N, 4>(x, w, bias, y, in, out, prefetch); } \
    extern "C" __global__ void __launch_bounds__(256) gemv_tiled_multi_##SUFFIX(const float* x, Projections p, int in, int gated, int prefetch) { \
        if (gated) gemv_tiled_gated_impl<T, N>(x, p, in, prefetch); else gemv_tiled_multi_impl<T, N>(x, p, in, prefetch); }
FLOE_GEMV_TILED(bf16_1, BF16, 1) FLOE_GEMV_TILED(bf16_2, BF16, 2)
FLOE_GEMV_TILED(f16_1, F16, 1) FLOE_GEMV_TILED(f16_2, F16, 2)

#define FLOE_GEMV(NAME, T, N) \
    extern "C" __global__ void NAME(const float* x, const u16* w, const float* bias, float* y, int in, int out, int vectorized) { \
        gemv_impl<T, N>(x, w, bias, y, in, out, vectorized); }
FLOE_GEMV(gemv_bf16_1, BF16, 1) FLOE_GEMV(gemv_bf16_2, BF16, 2) FLOE_GEMV(gemv_bf16_3, BF16, 3) FLOE_GEMV(gemv_bf16_4, BF16, 4)
FLOE_GEMV(gemv_bf16_5, BF16, 5) FLOE_GEMV(gemv_bf16_6, BF16, 6) FLOE_GEMV(gemv_bf16_7, BF16, 7) FLOE_GEMV(gemv_bf16_8, BF16, 8)
FLOE_GEMV(gemv_f16_1, F16, 1) FLOE_GEMV(gemv_f16_2, F16, 2) FLOE_GEMV(gemv_f16_3, F16, 3) FLOE_GEMV(gemv_f16_4, F16, 4)
FLOE_GEMV(gemv_f16_5, F16, 5) FLOE_GEMV(gemv_f16_6, F16, 6) FLOE_GEMV(gemv_f16_7, F16, 7) FLOE_GEMV(gemv_f16_8, F16, 8)
"""#
}
