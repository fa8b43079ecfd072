// Encoder entry points: pick the variant for this CPU and split each op over the pool.
#include "encoder_internal.h"
#include "CFloeEncoder.h"
#include "kernels_internal.h"

static const floe_encoder_kernels *selected_encoder_kernels(void) {
    switch (floe_isa_current()) {
    case FLOE_ISA_AVX512: return &floe_encoder_kernels_avx512;
    case FLOE_ISA_AVX2: return &floe_encoder_kernels_avx2;
    default: return &floe_encoder_kernels_scalar;
    }
}

/// [begin, end) of `index`'s share of `total` items split into `count` parts of whole `unit`s.
static void encoder_share(long total, long unit, int index, int count, long *begin, long *end) {
    long units = (total + unit - 1) / unit;
    long first = units * index / count, last = units * (index + 1) / count;
    *begin = first * unit < total ? first * unit : total;
    *end = last * unit < total ? last * unit : total;
}

/// Below this many elements a pool hand-off costs more than it saves (as in ops.c).
#define ENCODER_PARALLEL_MIN_ELEMENTS 32768

typedef struct {
    const floe_encoder_kernels *kernels;
    const float *x, *w, *b;
    float *out;
    float epsilon;
    long count, width;
    int gelu;
} encoder_rows_job;

static void encoder_rows_task(void *context, int index, int threads) {
    const encoder_rows_job *job = context;
    long begin, end;
    encoder_share(job->count, job->gelu ? 64 : 1, index, threads, &begin, &end);
    if (begin >= end) return;
    if (job->gelu) job->kernels->gelu(job->x, job->out, begin, end);
    else job->kernels->layer_norm(job->x, job->w, job->b, job->epsilon, job->out, begin, end, job->width);
}

static void run_encoder_rows(floe_pool *pool, encoder_rows_job job, long elements) {
    job.kernels = selected_encoder_kernels();
    if (elements < ENCODER_PARALLEL_MIN_ELEMENTS) encoder_rows_task(&job, 0, 1);
    else floe_pool_run(pool, encoder_rows_task, &job);
}

void floe_layer_norm(floe_pool *pool, const float *x, const float *w, const float *b, float epsilon, float *out,
                     long rows, long d) {
    run_encoder_rows(pool, (encoder_rows_job){.x = x, .w = w, .b = b, .out = out, .epsilon = epsilon, .count = rows, .width = d}, rows * d);
}

void floe_gelu(floe_pool *pool, const float *x, float *out, long count) {
    // GELU costs ~10 flops an element, so it pays to split smaller arrays.
    run_encoder_rows(pool, (encoder_rows_job){.x = x, .out = out, .count = count, .gelu = 1}, count * 8);
}

typedef struct {
    const floe_encoder_kernels *kernels;
    const float *qkv;
    const long *starts;
    long sequence_count, heads, hd;
    float scale;
    float *out;
    long work_total;  // Σ length² · heads, the cost the threads share
} attention_job;

/// Items are (sequence, head) pairs; each thread takes a contiguous run of them whose summed
/// cost (length²) is its share, so one long sequence among short ones does not idle a thread.
static void attention_task(void *context, int index, int threads) {
    const attention_job *job = context;
    const long d = job->heads * job->hd, stride = 3 * d;
    const long first = job->work_total * index / threads, last = job->work_total * (index + 1) / threads;
    long done = 0;
    for (long s = 0; s < job->sequence_count; s++) {
        const long start = job->starts[s], length = job->starts[s + 1] - start;
        const long cost = length * length;
        for (long h = 0; h < job->heads; h++, done += cost) {
            // An item belongs to the thread whose cost range holds the item's start.
            if (done < first || done >= last || cost == 0) continue;
            const long padded = (length + 15) / 16 * 16;
            float *scratch = floe_thread_scratch((size_t)((job->hd + ATTENTION_QUERIES) * padded));
            const float *row = job->qkv + start * stride + h * job->hd;
            job->kernels->attention_head(row, row + d, row + 2 * d, stride, length, job->hd, job->scale,
                                         job->out + start * d + h * job->hd, d, scratch);
        }
    }
}

void floe_encoder_attention(floe_pool *pool, const float *qkv, const long *starts, long sequence_count, long heads,
                            long hd, float scale, float *out) {
    attention_job job = {selected_encoder_kernels(), qkv, starts, sequence_count, heads, hd, scale, out, 0};
    for (long s = 0; s < sequence_count; s++) {
        const long length = starts[s + 1] - starts[s];
        job.work_total += length * length * heads;
    }
    if (job.work_total * hd < ENCODER_PARALLEL_MIN_ELEMENTS) attention_task(&job, 0, 1);
    else floe_pool_run(pool, attention_task, &job);
}
