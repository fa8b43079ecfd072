// The FMA peak of this machine, for benchmarks to report kernels as a share of it: each pool
// thread runs a loop of independent 512-bit (or 256-bit without AVX-512) FMAs on registers only.
#include "CFloeKernels.h"
#include <immintrin.h>
#include <stdatomic.h>
#include <time.h>

#define CHAINS 12
#define ITERATIONS 20000000L

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/// Flops per second of one thread; 12 chains cover the FMA latency × throughput of current cores.
__attribute__((target("avx512f"))) static double peak_avx512(void) {
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    const double start = seconds();
    for (long it = 0; it < ITERATIONS; it++) {
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]),
                         "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
    }
    return (double)ITERATIONS * CHAINS * 16 * 2 / (seconds() - start);
}

__attribute__((target("avx2,fma"))) static double peak_avx2(void) {
    __m256 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    const double start = seconds();
    for (long it = 0; it < ITERATIONS; it++) {
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
        __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]), "+x"(acc[5]),
                         "+x"(acc[6]), "+x"(acc[7]), "+x"(acc[8]), "+x"(acc[9]), "+x"(acc[10]), "+x"(acc[11]));
    }
    return (double)ITERATIONS * CHAINS * 8 * 2 / (seconds() - start);
}

typedef struct { _Atomic(double) total; int level; } peak_job;

static void peak_task(void *context, int chunk, int count) {
    (void)chunk, (void)count;
    peak_job *job = context;
    const double flops = job->level >= 2 ? peak_avx512() : job->level == 1 ? peak_avx2() : 0;
    double seen = atomic_load(&job->total);
    while (!atomic_compare_exchange_weak(&job->total, &seen, seen + flops)) {}
}

double floe_fma_peak_gflops(floe_pool *pool) {
    // Best of 5: a thread descheduled by another process lowers a single run a lot.
    double best = 0;
    for (int run = 0; run < 5; run++) {
        peak_job job = {0, floe_isa_current()};
        floe_pool_run(pool, peak_task, &job);
        const double total = atomic_load(&job.total);
        if (total > best) best = total;
    }
    return best / 1e9;
}
