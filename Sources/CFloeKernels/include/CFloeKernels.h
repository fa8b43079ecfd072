// CFloeKernels: the CPU backend's hot loops, in C with x86 intrinsics.
//
// Why C: Swift compiles a whole module for one instruction set and cannot select AVX-512 per
// function at run time, nor express the byte shuffles and mask ops block formats need. Each
// kernel here exists in three variants — AVX-512 (chosen at run time when the CPU has
// F+BW+VL+DQ), AVX2+FMA+F16C (the declared portable minimum, "haswell") and portable scalar C —
// and the entry points below pick one. Measured on the 2-core Zen 5 dev machine (FloeKernelBench,
// 2 threads): SmolLM2-135M Q4_1 linear layers decode at 22-23 GB/s with AVX-512 vs 19.6 GB/s
// with AVX2 (11.8 GB/s before the fused AVX2 kernel), and prefill (512 tokens) at ~440 GFLOP/s
// with AVX-512 vs ~240 GFLOP/s with AVX2 — so the AVX-512 variant must be reachable from a
// binary that also runs on AVX2-only hosts, which only run-time dispatch gives.
//
// Every entry point is synchronous; the ones taking a pool split their work over its threads
// and return when all of it is done.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Weight formats, numbered independently of Swift's DType (FloeCPU maps between them).
/// Layouts are ggml's block_* structs.
typedef enum {
    FLOE_F32 = 0, FLOE_F16, FLOE_BF16,
    FLOE_Q4_0, FLOE_Q4_1, FLOE_Q5_0, FLOE_Q5_1, FLOE_Q8_0,
    FLOE_Q4_K, FLOE_Q5_K, FLOE_Q6_K,
    FLOE_FORMAT_COUNT
} floe_format;

/// Instruction-set levels of the kernel variants.
enum { FLOE_ISA_SCALAR = 0, FLOE_ISA_AVX2 = 1, FLOE_ISA_AVX512 = 2 };

/// The best level this CPU supports.
int floe_isa_supported(void);
/// The level kernels use now: the supported one unless lowered by floe_isa_set (for tests and
/// benchmarks; clamped to what the CPU supports). Returns the level in effect.
int floe_isa_current(void);
int floe_isa_set(int level);

// MARK: Thread pool

/// A persistent pool: workers spin briefly after each job, then park on a futex, so the
/// ~200 ops of a decode step pay a few hundred nanoseconds each instead of a thread wake-up.
typedef struct floe_pool floe_pool;
typedef void (*floe_task)(void *context, int chunk, int count);

floe_pool *floe_pool_create(int threads);
void floe_pool_destroy(floe_pool *pool);
int floe_pool_threads(const floe_pool *pool);
/// Runs task(context, i, count) for every chunk i < count (count = threads), each claimed by
/// whichever of the caller and the workers gets to it first (a late worker's chunk is run by
/// the caller), and returns when all have finished. A task must do the i-th of
/// `count` equal shares of its work. A call made while another thread's run is in progress
/// runs task(context, 0, 1) on the calling thread instead.
void floe_pool_run(floe_pool *pool, floe_task task, void *context);

/// GFLOP/s of all pool threads running register-only FMA loops at the current ISA level (0 for
/// scalar): the peak that benchmarks compare kernels against (fma_peak.c). Takes ~0.2-0.5 s.
double floe_fma_peak_gflops(floe_pool *pool);

// MARK: Ops (all f32 activations, row-major)

/// Decodes `count` elements (whole blocks) of `format` into f32.
void floe_dequantize(floe_format format, const void *source, float *destination, long count);

/// y[t*ldy + o] = dot(x[t*ldx ...], W[o]) + bias[o] for t < n, o < rows; W rows are `k`
/// elements of `format`, `row_bytes` apart. bias may be NULL.
void floe_linear(floe_pool *pool, floe_format format, const void *weight, long row_bytes, long rows, long k,
                 const float *x, long ldx, long n, const float *bias, float *y, long ldy);

/// Out = x · rsqrt(mean(x²) + eps) · w per row of `d`.
void floe_rms_norm(floe_pool *pool, const float *x, const float *w, float epsilon, float *out, long rows, long d);
/// out = silu(gate) * up; out = a + b (out may alias inputs).
void floe_silu_mul(floe_pool *pool, const float *gate, const float *up, float *out, long count);
void floe_add(floe_pool *pool, const float *a, const float *b, float *out, long count);
/// Row-wise softmax.
void floe_softmax(floe_pool *pool, const float *x, float *out, long rows, long cols);
/// In-place RoPE of x [n, heads, hd]; interleaved = 0 pairs i with i + hd/2, 1 pairs 2i with 2i+1.
void floe_rope(floe_pool *pool, float *x, const int32_t *positions, const float *inverse_frequencies,
               long n, long heads, long hd, int interleaved);

/// One sequence of a paged attention call.
typedef struct {
    long first_token;      // first row in the flat batch
    long token_count;      // query rows
    long context_length;   // positions visible to the last query token, plus one
    const int32_t *block_table;
} floe_attention_sequence;

/// Causal paged attention (see Backend.attention). Caches are [slots, kv_heads, hd].
void floe_attention(floe_pool *pool, const float *query, const float *key_cache, const float *value_cache,
                    const floe_attention_sequence *sequences, long sequence_count, long block_size,
                    long heads, long kv_heads, long hd, float scale, float *out);

#ifdef __cplusplus
}
#endif

#include "CFloeEncoder.h"
