// CFloeKernels' encoder ops (BERT family): LayerNorm, exact GELU and bidirectional attention
// over ragged batches. Same conventions as CFloeKernels.h: f32, row-major, synchronous, work
// split over the pool, AVX-512 / AVX2 / scalar variant chosen at run time.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct floe_pool floe_pool;

/// out = (x − mean) / sqrt(var + eps) · w + b per row of `d` (out may alias x).
void floe_layer_norm(floe_pool *pool, const float *x, const float *w, const float *b, float epsilon, float *out,
                     long rows, long d);
/// out = x · Φ(x) = 0.5 · x · (1 + erf(x / √2)) elementwise (out may alias x); erf is a rational
/// approximation with absolute error below 2e-7.
void floe_gelu(floe_pool *pool, const float *x, float *out, long count);
/// Bidirectional attention within each of `sequence_count` sequences of a ragged batch.
/// qkv is [n, 3 · heads · hd] (query, key, value of a token side by side, each [heads, hd]);
/// out is [n, heads · hd]. Sequence s covers rows [starts[s], starts[s + 1]).
void floe_encoder_attention(floe_pool *pool, const float *qkv, const long *starts, long sequence_count, long heads,
                            long hd, float scale, float *out);

#ifdef __cplusplus
}
#endif
