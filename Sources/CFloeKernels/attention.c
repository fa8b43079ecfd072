// RoPE and paged attention entry points. Attention work items (a block of query tokens × one
// kv head's query heads) are handed out through an atomic counter because causal items differ
// in cost (a later token sees more positions), which a static split would balance badly.
#include "kernels_internal.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

/// One work item: up to QUERY_BLOCK tokens of one sequence × the heads of one kv head.
typedef struct {
    long sequence, first_row, rows, kv_head;
    long head;  // single-token items: one query head of the group, so decode spreads over threads
} attention_item;

#define QUERY_BLOCK 16

typedef struct {
    const floe_kernels *kernels;
    const float *query, *key_cache, *value_cache;
    const floe_attention_sequence *sequences;
    const attention_item *items;
    long item_count, block_size, heads, kv_heads, hd, max_context;
    float scale;
    float *out;
    _Atomic long next;
} attention_job;

static void attention_task(void *context, int index, int count) {
    (void)index; (void)count;
    attention_job *job = context;
    const long group = job->heads / job->kv_heads, kv_stride = job->kv_heads * job->hd, row_stride = job->heads * job->hd;
    const long vw = job->kernels->vector_width;
    long block_floats = job->hd * vw + QUERY_BLOCK * group * (job->hd + 2) + vw;
    float *scratch = floe_thread_scratch((size_t)(block_floats > job->max_context ? block_floats : job->max_context));
    for (;;) {
        long i = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (i >= job->item_count) break;
        const attention_item *item = &job->items[i];
        const floe_attention_sequence *sequence = &job->sequences[item->sequence];
        long first_visible = sequence->context_length - sequence->token_count + (item->first_row - sequence->first_token) + 1;
        long offset = item->first_row * row_stride + item->kv_head * group * job->hd;
        if (item->head >= 0) {  // a decode token: one head, no key transposes
            const long h = item->head;
            job->kernels->attention_head(job->query + offset + h * job->hd, job->key_cache + item->kv_head * job->hd,
                                         job->value_cache + item->kv_head * job->hd, sequence->block_table,
                                         job->block_size, first_visible, kv_stride, job->hd, job->scale, scratch,
                                         job->out + offset + h * job->hd);
            continue;
        }
        job->kernels->attention_block(job->query + offset, row_stride, item->rows, group, job->hd,
                                      job->key_cache + item->kv_head * job->hd, job->value_cache + item->kv_head * job->hd,
                                      kv_stride, sequence->block_table, job->block_size, first_visible, job->scale,
                                      job->out + offset, scratch);
    }
}

void floe_attention(floe_pool *pool, const float *query, const float *key_cache, const float *value_cache,
                    const floe_attention_sequence *sequences, long sequence_count, long block_size,
                    long heads, long kv_heads, long hd, float scale, float *out) {
    long item_count = 0, work = 0, max_context = 0;
    const long group = heads / kv_heads;
    for (long s = 0; s < sequence_count; s++) {
        item_count += sequences[s].token_count == 1 ? heads : (sequences[s].token_count + QUERY_BLOCK - 1) / QUERY_BLOCK * kv_heads;
        work += sequences[s].token_count * sequences[s].context_length;
        if (sequences[s].context_length > max_context) max_context = sequences[s].context_length;
    }
    // Later blocks see more positions, so they go first: the atomic counter then ends with
    // cheap items and the threads finish together.
    attention_item *items = malloc(sizeof(attention_item) * (size_t)(item_count > 0 ? item_count : 1));
    long n = 0;
    for (long s = 0; s < sequence_count; s++) {
        for (long b = (sequences[s].token_count + QUERY_BLOCK - 1) / QUERY_BLOCK - 1; b >= 0; b--) {
            long first = b * QUERY_BLOCK, rows = sequences[s].token_count - first < QUERY_BLOCK ? sequences[s].token_count - first : QUERY_BLOCK;
            for (long g = 0; g < kv_heads; g++) {
                if (rows == 1 && sequences[s].token_count == 1) {
                    for (long h = 0; h < group; h++) items[n++] = (attention_item){s, sequences[s].first_token, 1, g, h};
                } else {
                    items[n++] = (attention_item){s, sequences[s].first_token + first, rows, g, -1};
                }
            }
        }
    }
    attention_job job = {floe_selected_kernels(), query, key_cache, value_cache, sequences, items, item_count,
                         block_size, heads, kv_heads, hd, max_context, scale, out, 0};
    if (work * heads * hd < 32768 || item_count == 1) attention_task(&job, 0, 1);
    else floe_pool_run(pool, attention_task, &job);
    free(items);
}

// MARK: RoPE

typedef struct {
    float *x;
    const int32_t *positions;
    const float *frequencies;
    long n, heads, hd;
    int interleaved;
} rope_job;

/// Angles are f32 products (as Hugging Face computes them); cos and sin are taken in double
/// and rounded, which is what FloeCPU's reference does too.
static void rope_task(void *context, int index, int count) {
    const rope_job *job = context;
    long begin = job->n * index / count, end = job->n * (index + 1) / count, half = job->hd / 2;
    float *cosines = malloc(sizeof(float) * (size_t)half * 2), *sines = cosines + half;
    for (long t = begin; t < end; t++) {
        for (long i = 0; i < half; i++) {
            float angle = (float)job->positions[t] * job->frequencies[i];
            cosines[i] = (float)cos((double)angle);
            sines[i] = (float)sin((double)angle);
        }
        for (long h = 0; h < job->heads; h++) {
            float *head = job->x + (t * job->heads + h) * job->hd;
            for (long i = 0; i < half; i++) {
                long a = job->interleaved ? 2 * i : i, b = job->interleaved ? 2 * i + 1 : i + half;
                float x0 = head[a], x1 = head[b];
                head[a] = x0 * cosines[i] - x1 * sines[i];
                head[b] = x0 * sines[i] + x1 * cosines[i];
            }
        }
    }
    free(cosines);
}

void floe_rope(floe_pool *pool, float *x, const int32_t *positions, const float *inverse_frequencies,
               long n, long heads, long hd, int interleaved) {
    rope_job job = {x, positions, inverse_frequencies, n, heads, hd, interleaved};
    if (n * heads * hd < 32768) rope_task(&job, 0, 1);
    else floe_pool_run(pool, rope_task, &job);
}
