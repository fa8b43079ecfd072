// A persistent worker pool for the CPU backend.
//
// Why not DispatchQueue.concurrentPerform: a decode step issues ~200 small ops, each worth only
// tens of microseconds on two cores, so waking a thread per op (several microseconds through
// the kernel) would eat a large share. Measured (FloeKernelBench, 2 threads): an add of 40k
// floats costs 1.0 µs per op through this pool vs 3.5 µs through concurrentPerform. Workers
// spin on a generation counter for a while after each job (so back-to-back ops start within
// ~100 ns) and only then park on a futex.
//
// Each job is cut into CHUNKS_PER_THREAD × threads chunks that the caller and the workers claim
// from a shared counter. When a worker is late (descheduled because another process holds the
// core), the caller claims its chunk too instead of waiting a scheduler time slice for it.
// Measured, SmolLM2 Q4_1 decode linears with another process busy on the machine: 31 ms with
// a fixed split vs 5.6 ms with claiming; on a quiet machine both take 4.4-4.8 ms. One chunk
// per thread: with 4, the extra claims and lost contiguity cost 30% on a quiet machine.
#define _GNU_SOURCE
#include "CFloeKernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/// How long an idle worker spins before parking (the gap between ops inside a forward pass
/// is far below this; the gap between requests is far above).
#define SPIN_NANOSECONDS 300000L

/// Spinning threads yield their core every so often, so that when the machine is
/// oversubscribed (other processes, or more pools than cores) a descheduled peer can run.
#define SPINS_BEFORE_YIELD 2048

#define CHUNKS_PER_THREAD 1

struct floe_pool {
    int threads;
    /// (generation << 32) | next chunk index: claiming a chunk is one CAS that fails once the
    /// caller has moved to a newer job, so a late worker can never run a stale chunk.
    _Atomic uint64_t claim;
    _Atomic int done;              // chunks of the current job finished
    int chunks;                    // per job; fixed at creation so late readers never race

    pthread_t *workers;
    _Atomic uint32_t generation;   // bumped once per job; futex word
    _Atomic int sleepers;          // workers parked (or about to park) on the futex
    _Atomic int stop;
    _Atomic int busy;              // a run is in progress (guards against concurrent callers)
    floe_task task;
    void *context;
};

typedef struct { floe_pool *pool; int index; } worker_start;

static long monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void futex_wait(_Atomic uint32_t *word, uint32_t expected) {
#if defined(__linux__)
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
#else
    (void)word; (void)expected;
#endif
}

static void futex_wake_all(_Atomic uint32_t *word) {
#if defined(__linux__)
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
#else
    (void)word;
#endif
}

/// Claims and runs chunks of job `generation` until none are left (or a newer job started).
static void run_chunks(floe_pool *pool, uint32_t generation) {
    for (;;) {
        uint64_t claim = atomic_load_explicit(&pool->claim, memory_order_acquire);
        if ((uint32_t)(claim >> 32) != generation) return;
        if ((int)(uint32_t)claim >= pool->chunks) return;
        if (!atomic_compare_exchange_weak_explicit(&pool->claim, &claim, claim + 1, memory_order_acq_rel, memory_order_acquire))
            continue;
        pool->task(pool->context, (int)(uint32_t)claim, pool->chunks);
        atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
    }
}

static void *worker_main(void *argument) {
    worker_start start = *(worker_start *)argument;
    free(argument);
    floe_pool *pool = start.pool;
    // The pool starts at generation 0; reading the counter here instead would miss a job (or
    // the stop request) issued before this thread got scheduled.
    uint32_t seen = 0;
    for (;;) {
        // Spin, then park until the generation moves.
        long deadline = monotonic_ns() + SPIN_NANOSECONDS;
        uint32_t now;
        int spins = 0;
        while ((now = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen) {
            CPU_RELAX();
            if (++spins % SPINS_BEFORE_YIELD == 0) sched_yield();
            if (spins % 256 == 0 && monotonic_ns() > deadline) {
                atomic_fetch_add(&pool->sleepers, 1);
                // Re-check after announcing ourselves so a wake-up cannot be missed.
                if (atomic_load(&pool->generation) == seen) futex_wait(&pool->generation, seen);
                atomic_fetch_sub(&pool->sleepers, 1);
                deadline = monotonic_ns() + SPIN_NANOSECONDS;
            }
        }
        seen = now;
        if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return NULL;
        run_chunks(pool, now);
    }
}

floe_pool *floe_pool_create(int threads) {
    floe_pool *pool = calloc(1, sizeof(floe_pool));
    pool->threads = threads < 1 ? 1 : threads;
    pool->chunks = pool->threads * CHUNKS_PER_THREAD;
    pool->workers = calloc((size_t)pool->threads, sizeof(pthread_t));
    for (int i = 1; i < pool->threads; i++) {
        worker_start *start = malloc(sizeof(worker_start));
        start->pool = pool;
        start->index = i;
        pthread_create(&pool->workers[i], NULL, worker_main, start);
    }
    return pool;
}

void floe_pool_destroy(floe_pool *pool) {
    if (!pool) return;
    atomic_store(&pool->stop, 1);
    atomic_fetch_add(&pool->generation, 1);
    futex_wake_all(&pool->generation);
    for (int i = 1; i < pool->threads; i++) pthread_join(pool->workers[i], NULL);
    free(pool->workers);
    free(pool);
}

int floe_pool_threads(const floe_pool *pool) { return pool ? pool->threads : 1; }

void floe_pool_run(floe_pool *pool, floe_task task, void *context) {
    // A second thread calling while a run is in progress (a backend shared by concurrent
    // callers) runs its task alone instead of corrupting the shared job slot.
    int idle = 0;
    if (!pool || pool->threads == 1 || !atomic_compare_exchange_strong(&pool->busy, &idle, 1)) {
        task(context, 0, 1);
        return;
    }
    pool->task = task;
    pool->context = context;
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    const uint32_t generation = atomic_load_explicit(&pool->generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&pool->claim, (uint64_t)generation << 32, memory_order_release);
    atomic_fetch_add(&pool->generation, 1);  // seq_cst: pairs with the sleepers check below
    if (atomic_load(&pool->sleepers) > 0) futex_wake_all(&pool->generation);
    run_chunks(pool, generation);
    for (int spins = 1; atomic_load_explicit(&pool->done, memory_order_acquire) < pool->chunks; spins++) {
        CPU_RELAX();
        if (spins % SPINS_BEFORE_YIELD == 0) sched_yield();
    }
    atomic_store(&pool->busy, 0);
}
