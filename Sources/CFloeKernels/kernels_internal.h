// Internal to CFloeKernels: the per-variant kernel table and format facts.
#pragma once
#include "CFloeKernels.h"

/// Elements per block and bytes per block of each format (ggml block_* sizes).
static const int floe_block_size[FLOE_FORMAT_COUNT] = {1, 1, 1, 32, 32, 32, 32, 32, 256, 256, 256};
static const int floe_block_bytes[FLOE_FORMAT_COUNT] = {4, 2, 2, 18, 20, 22, 24, 34, 144, 176, 210};

/// The kernels of one instruction-set variant. Ranges are half-open; every function is
/// single-threaded (ops.c splits work across the pool).
typedef struct {
    void (*dequantize)(floe_format format, const uint8_t *source, float *destination, long blocks);
    /// Rows [o0, o1) of a linear layer for few tokens: each weight block is decoded once and
    /// used for all n rows of x.
    void (*gemv)(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x, long ldx,
                 long n, const float *bias, float *y, long ldy, long o0, long o1);
    /// Rows [o0, o1) for many tokens: decoded weight panels feed a register-blocked GEMM.
    void (*gemm)(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x, long ldx,
                 long n, const float *bias, float *y, long ldy, long o0, long o1);
    void (*rms_norm)(const float *x, const float *w, float epsilon, float *out, long r0, long r1, long d);
    void (*silu_mul)(const float *gate, const float *up, float *out, long i0, long i1);
    void (*add)(const float *a, const float *b, float *out, long i0, long i1);
    void (*softmax)(const float *x, float *out, long r0, long r1, long cols);
    /// A block of query tokens × the heads sharing one kv head (see ops_impl.h).
    void (*attention_block)(const float *query, long row_stride, long rows, long group, long hd,
                            const float *key_cache, const float *value_cache, long kv_stride,
                            const int32_t *block_table, long block_size, long first_visible, float scale,
                            float *out, float *scratch);
    /// One query head of one token against positions [0, visible) (`scores` has room for them).
    void (*attention_head)(const float *q, const float *key_cache, const float *value_cache,
                           const int32_t *block_table, long block_size, long visible, long kv_stride,
                           long hd, float scale, float *scores, float *out);
    /// Floats per vector (the attention position chunk).
    int vector_width;
    /// Fused one-token kernel for the block formats (NULL where absent): y[o] for o in
    /// [o0, o1), with `sums` = Σx per 32 activations (see gemv_avx512.c).
    void (*gemv1)(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x,
                  const float *sums, const float *bias, float *y, long o0, long o1);
    /// Rows [o0, o1) of a block-format layer for 2..ROWS_MAX_N tokens (linear_rows_impl.h): each
    /// group of weight rows is decoded once and register-blocked against all token rows.
    void (*rows)(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x, long ldx,
                 long n, const float *bias, float *y, long ldy, long o0, long o1);
    /// Output panel width of `gemm`, so ops.c splits rows on panel boundaries.
    int gemm_panel;
} floe_kernels;

extern const floe_kernels floe_kernels_avx512;
extern const floe_kernels floe_kernels_avx2;
extern const floe_kernels floe_kernels_scalar;

/// The variant for the current ISA level (see floe_isa_set).
const floe_kernels *floe_selected_kernels(void);

/// The AVX-512 fused one-token kernel (gemv_avx512.c).
void floe_gemv1_avx512(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x,
                       const float *sums, const float *bias, float *y, long o0, long o1);

/// The AVX-512 few-row kernel fused with decoding (rows_avx512.c): returns 0, doing nothing,
/// for a format it does not cover (the caller then takes the buffered path).
int floe_rows_avx512(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x, long ldx,
                     long n, const float *bias, float *y, long ldy, long o0, long o1);

/// A per-thread scratch buffer of at least `count` floats, 64-byte aligned, kept for the
/// thread's lifetime and grown on demand. Kernels must not hold two at once.
/// (Allocating per call cost ~10% of a prefill in page faults: big blocks come from mmap and
/// are zeroed by the kernel every time.)
float *floe_thread_scratch(size_t count);
