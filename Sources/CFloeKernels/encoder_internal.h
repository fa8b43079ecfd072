// Internal to CFloeKernels: the per-variant table of encoder kernels (see encoder_impl.h).
#pragma once
#include "CFloeKernels.h"

/// Query rows the attention kernel processes per pass over the keys (encoder_impl.h).
#define ATTENTION_QUERIES 4

typedef struct {
    void (*layer_norm)(const float *x, const float *w, const float *b, float epsilon, float *out, long r0, long r1,
                       long d);
    void (*gelu)(const float *x, float *out, long i0, long i1);
    /// Needs scratch for (hd + ATTENTION_QUERIES) · (length rounded up to 16) floats.
    void (*attention_head)(const float *q, const float *k, const float *v, long stride, long length, long hd,
                           float scale, float *out, long out_stride, float *scratch);
} floe_encoder_kernels;

extern const floe_encoder_kernels floe_encoder_kernels_avx512;
extern const floe_encoder_kernels floe_encoder_kernels_avx2;
extern const floe_encoder_kernels floe_encoder_kernels_scalar;
