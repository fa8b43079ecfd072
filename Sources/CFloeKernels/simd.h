// A minimal vector vocabulary so that one kernel body (linear_impl.h, ops_impl.h) compiles to
// AVX-512 (VW = 16), AVX2 (VW = 8) or scalar C (VW = 1). Define FLOE_VARIANT before including.
#pragma once
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if FLOE_VARIANT > 0
#include <immintrin.h>
#endif

// Products and sums round one at a time unless a kernel asks for an FMA explicitly, so the
// decoders stay bit-exact with the reference.
#pragma STDC FP_CONTRACT OFF

#define FLOE_INLINE static inline __attribute__((always_inline))

#if FLOE_VARIANT == 2
typedef __m512 vf;
enum { VW = 16 };
#define vzero() _mm512_setzero_ps()
#define vset1(x) _mm512_set1_ps(x)
#define vload(p) _mm512_loadu_ps(p)
#define vstore(p, v) _mm512_storeu_ps(p, v)
#define vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vadd(a, b) _mm512_add_ps(a, b)
#define vsub(a, b) _mm512_sub_ps(a, b)
#define vmul(a, b) _mm512_mul_ps(a, b)
#define vdiv(a, b) _mm512_div_ps(a, b)
#define vmax(a, b) _mm512_max_ps(a, b)
#define vsum(v) _mm512_reduce_add_ps(v)
#define vmaxall(v) _mm512_reduce_max_ps(v)
/// The first min(n, 16) lanes (n ≥ 16 means all of them, as the AVX2 and scalar forms do).
FLOE_INLINE __mmask16 vmask_n(long n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }
FLOE_INLINE vf vload_n(const float *p, long n) { return _mm512_maskz_loadu_ps(vmask_n(n), p); }
FLOE_INLINE void vstore_n(float *p, vf v, long n) { _mm512_mask_storeu_ps(p, vmask_n(n), v); }
/// e^x to about 2 ulp: 2^round(x·log2 e) times a degree-6 polynomial on the remainder.
FLOE_INLINE vf vexp(vf x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(88.7f));
    vf n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    vf r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    vf p = _mm512_set1_ps(1.0f / 720);
    p = vfma(p, r, _mm512_set1_ps(1.0f / 120));
    p = vfma(p, r, _mm512_set1_ps(1.0f / 24));
    p = vfma(p, r, _mm512_set1_ps(1.0f / 6));
    p = vfma(p, r, _mm512_set1_ps(0.5f));
    p = vfma(p, r, _mm512_set1_ps(1.0f));
    p = vfma(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);  // p·2^n, flushing to 0 (or ∞) like expf
}
#elif FLOE_VARIANT == 1
typedef __m256 vf;
enum { VW = 8 };
#define vzero() _mm256_setzero_ps()
#define vset1(x) _mm256_set1_ps(x)
#define vload(p) _mm256_loadu_ps(p)
#define vstore(p, v) _mm256_storeu_ps(p, v)
#define vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vadd(a, b) _mm256_add_ps(a, b)
#define vsub(a, b) _mm256_sub_ps(a, b)
#define vmul(a, b) _mm256_mul_ps(a, b)
#define vdiv(a, b) _mm256_div_ps(a, b)
#define vmax(a, b) _mm256_max_ps(a, b)
FLOE_INLINE float vsum(vf v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
FLOE_INLINE float vmaxall(vf v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
FLOE_INLINE __m256i vmask_n(long n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
FLOE_INLINE vf vload_n(const float *p, long n) { return _mm256_maskload_ps(p, vmask_n(n)); }
FLOE_INLINE void vstore_n(float *p, vf v, long n) { _mm256_maskstore_ps(p, vmask_n(n), v); }
FLOE_INLINE vf vexp(vf x) {
    vf underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_GE_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.7f));
    vf n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    vf r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    vf p = _mm256_set1_ps(1.0f / 720);
    p = vfma(p, r, _mm256_set1_ps(1.0f / 120));
    p = vfma(p, r, _mm256_set1_ps(1.0f / 24));
    p = vfma(p, r, _mm256_set1_ps(1.0f / 6));
    p = vfma(p, r, _mm256_set1_ps(0.5f));
    p = vfma(p, r, _mm256_set1_ps(1.0f));
    p = vfma(p, r, _mm256_set1_ps(1.0f));
    // 2^n split in two factors so n = 128 (x near 88.7) does not overflow the exponent field.
    __m256i e = _mm256_cvtps_epi32(n);
    __m256i e1 = _mm256_srai_epi32(e, 1), e2 = _mm256_sub_epi32(e, e1);
    vf f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e1, _mm256_set1_epi32(127)), 23));
    vf f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e2, _mm256_set1_epi32(127)), 23));
    return _mm256_and_ps(_mm256_mul_ps(_mm256_mul_ps(p, f1), f2), underflow);
}
#else
typedef float vf;
enum { VW = 1 };
#define vzero() 0.0f
#define vset1(x) (x)
#define vload(p) (*(p))
#define vstore(p, v) (*(p) = (v))
#define vfma(a, b, c) ((a) * (b) + (c))
#define vadd(a, b) ((a) + (b))
#define vsub(a, b) ((a) - (b))
#define vmul(a, b) ((a) * (b))
#define vdiv(a, b) ((a) / (b))
#define vmax(a, b) fmaxf(a, b)
#define vsum(v) (v)
#define vmaxall(v) (v)
FLOE_INLINE vf vload_n(const float *p, long n) { return n > 0 ? *p : 0.0f; }
FLOE_INLINE void vstore_n(float *p, vf v, long n) { if (n > 0) *p = v; }
#define vexp(x) expf(x)
#endif

/// y[i] = exp(x[i] − max x) for i < n (y may alias x); returns Σ y. The maximum is taken in
/// vectors: a scalar fmaxf chain (each compare waiting on the last) is slow on long rows.
FLOE_INLINE float exp_minus_max(const float *x, float *y, long n) {
    vf mv = vset1(-INFINITY);
    long i = 0;
    for (; i + VW <= n; i += VW) mv = vmax(mv, vload(x + i));
    float mx = vmaxall(mv);
    for (; i < n; i++) mx = fmaxf(mx, x[i]);
    const vf m = vset1(mx);
    vf sum = vzero();
    for (i = 0; i + VW <= n; i += VW) {
        const vf e = vexp(vsub(vload(x + i), m));
        vstore(y + i, e);
        sum = vadd(sum, e);
    }
    float total = vsum(sum);
    for (; i < n; i++) {
        y[i] = expf(x[i] - mx);
        total += y[i];
    }
    return total;
}
