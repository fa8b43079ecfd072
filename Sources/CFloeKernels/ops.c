// Entry points: pick the kernel variant for this CPU and split each op over the pool.
#include "kernels_internal.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

// MARK: Variant selection

static int supported_level(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return FLOE_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return FLOE_ISA_AVX2;
#endif
    return FLOE_ISA_SCALAR;
}

static _Atomic int current_level = -1;

int floe_isa_supported(void) { return supported_level(); }

int floe_isa_current(void) {
    int level = atomic_load_explicit(&current_level, memory_order_relaxed);
    if (level < 0) {
        level = supported_level();
        atomic_store(&current_level, level);
    }
    return level;
}

int floe_isa_set(int level) {
    int best = supported_level();
    if (level > best || level < 0) level = best;
    atomic_store(&current_level, level);
    return level;
}

const floe_kernels *floe_selected_kernels(void) {
    switch (floe_isa_current()) {
    case FLOE_ISA_AVX512: return &floe_kernels_avx512;
    case FLOE_ISA_AVX2: return &floe_kernels_avx2;
    default: return &floe_kernels_scalar;
    }
}

float *floe_thread_scratch(size_t count) {
    static _Thread_local float *buffer;
    static _Thread_local size_t capacity;
    if (count > capacity) {
        free(buffer);
        capacity = count + count / 4 + 1024;
        buffer = aligned_alloc(64, (capacity * sizeof(float) + 63) / 64 * 64);
    }
    return buffer;
}

/// [begin, end) of `index`'s share of `total` items split into `count` parts of whole `unit`s.
static void share(long total, long unit, int index, int count, long *begin, long *end) {
    long units = (total + unit - 1) / unit;
    long first = units * index / count, last = units * (index + 1) / count;
    *begin = first * unit < total ? first * unit : total;
    *end = last * unit < total ? last * unit : total;
}

/// Small ops run on the calling thread: below this many elements a pool hand-off costs more
/// than it saves.
#define PARALLEL_MIN_ELEMENTS 32768

void floe_dequantize(floe_format format, const void *source, float *destination, long count) {
    floe_selected_kernels()->dequantize(format, source, destination, count / floe_block_size[format]);
}

// MARK: Linear

/// Up to this many tokens a linear layer is a set of dot products (decode); above, a GEMM.
/// Measured (q4_1/q5_0 [1536x576], 2 threads, Zen 5): the GEMM costs ~105 µs of panel decoding
/// plus ~3.9 µs/token; the gemv takes ~64 µs per group of 4 tokens (16 µs/token). So n ≤ 4
/// stays on the gemv (64 vs ~120 µs at n = 4) and n ≥ 5 goes to the GEMM (~125 vs 128 µs).
#define GEMV_MAX_N 4
/// Block-format layers take the few-row kernel (rows_avx512.c; linear_rows_impl.h elsewhere) for
/// 2 ≤ n ≤ ROWS_MAX_N: one decode pass per up to 12 tokens plus register-blocked FMAs, so a
/// speculative verification step of k+1 rows costs far less than k+1 decode steps. 20 covers
/// the 17 rows of a full 16-token draft; FloeKernelBench ("rows wide", 2 threads, AVX-512) has
/// it ahead of the GEMM at n = 24 (q4_1 [1536x576] 147 vs 181 µs) and level at n = 32 (211 vs
/// 206); the K formats' crossover is not measured yet, hence the margin.
#define ROWS_MAX_N 20

typedef struct {
    const floe_kernels *kernels;
    floe_format format;
    const uint8_t *weight;
    long row_bytes, rows, k, ldx, n, ldy;
    const float *x, *bias;
    float *y;
    const float *sums;  // Σx per 32 activations, for the fused one-token kernels
} linear_job;

static int block_format(floe_format format) { return format != FLOE_F32 && format != FLOE_F16 && format != FLOE_BF16; }

static void linear_task(void *context, int index, int count) {
    const linear_job *job = context;
    const int few_rows = job->n >= 2 && job->n <= ROWS_MAX_N && block_format(job->format);
    const int gemm = !few_rows && job->n > GEMV_MAX_N;
    long begin, end;
    share(job->rows, gemm ? job->kernels->gemm_panel : 16, index, count, &begin, &end);
    if (begin >= end) return;
    if (few_rows)
        job->kernels->rows(job->format, job->weight, job->row_bytes, job->k, job->x, job->ldx, job->n, job->bias, job->y, job->ldy, begin, end);
    else if (job->sums)
        job->kernels->gemv1(job->format, job->weight, job->row_bytes, job->k, job->x, job->sums, job->bias, job->y, begin, end);
    else if (gemm)
        job->kernels->gemm(job->format, job->weight, job->row_bytes, job->k, job->x, job->ldx, job->n, job->bias, job->y, job->ldy, begin, end);
    else
        job->kernels->gemv(job->format, job->weight, job->row_bytes, job->k, job->x, job->ldx, job->n, job->bias, job->y, job->ldy, begin, end);
}

void floe_linear(floe_pool *pool, floe_format format, const void *weight, long row_bytes, long rows, long k,
                 const float *x, long ldx, long n, const float *bias, float *y, long ldy) {
    linear_job job = {floe_selected_kernels(), format, weight, row_bytes, rows, k, ldx, n, ldy, x, bias, y, NULL};
    float sums_on_stack[1024], *sums = NULL;
    if (n == 1 && job.kernels->gemv1 && block_format(format)) {
        sums = k / 32 <= 1024 ? sums_on_stack : malloc(sizeof(float) * (size_t)(k / 32 + 1));
        for (long b = 0; b < k / 32; b++) {  // 8 independent partial sums vectorize
            float part[8] = {0};
            for (int i = 0; i < 32; i++) part[i % 8] += x[32 * b + i];
            sums[b] = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
        }
        job.sums = sums;
    }
    if (rows * k * (n < 8 ? n : 8) < PARALLEL_MIN_ELEMENTS) linear_task(&job, 0, 1);
    else floe_pool_run(pool, linear_task, &job);
    if (sums != sums_on_stack) free(sums);
}

// MARK: Row-wise and elementwise ops

typedef struct {
    const floe_kernels *kernels;
    const float *a, *b;
    float *out;
    float epsilon;
    long count, width;
    int op;  // 0 rms_norm (count rows of width), 1 silu_mul, 2 add (count elements), 3 softmax
} rows_job;

static void rows_task(void *context, int index, int threads) {
    const rows_job *job = context;
    long begin, end;
    share(job->count, job->op == 1 || job->op == 2 ? 64 : 1, index, threads, &begin, &end);
    if (begin >= end) return;
    switch (job->op) {
    case 0: job->kernels->rms_norm(job->a, job->b, job->epsilon, job->out, begin, end, job->width); break;
    case 1: job->kernels->silu_mul(job->a, job->b, job->out, begin, end); break;
    case 2: job->kernels->add(job->a, job->b, job->out, begin, end); break;
    default: job->kernels->softmax(job->a, job->out, begin, end, job->width); break;
    }
}

static void run_rows(floe_pool *pool, rows_job job, long elements) {
    job.kernels = floe_selected_kernels();
    if (elements < PARALLEL_MIN_ELEMENTS) rows_task(&job, 0, 1);
    else floe_pool_run(pool, rows_task, &job);
}

void floe_rms_norm(floe_pool *pool, const float *x, const float *w, float epsilon, float *out, long rows, long d) {
    run_rows(pool, (rows_job){.a = x, .b = w, .out = out, .epsilon = epsilon, .count = rows, .width = d, .op = 0}, rows * d);
}

void floe_silu_mul(floe_pool *pool, const float *gate, const float *up, float *out, long count) {
    run_rows(pool, (rows_job){.a = gate, .b = up, .out = out, .count = count, .op = 1}, count * 8);
}

void floe_add(floe_pool *pool, const float *a, const float *b, float *out, long count) {
    run_rows(pool, (rows_job){.a = a, .b = b, .out = out, .count = count, .op = 2}, count);
}

void floe_softmax(floe_pool *pool, const float *x, float *out, long rows, long cols) {
    run_rows(pool, (rows_job){.a = x, .out = out, .count = rows, .width = cols, .op = 3}, rows * cols * 8);
}
