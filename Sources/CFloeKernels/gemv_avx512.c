// Fused single-token matrix-vector kernels (AVX-512) for the formats the target models use.
//
// Why: decode reads every weight once, so it should run at memory speed. The generic gemv
// (decode a chunk to an L1 buffer, then FMA) measured 5.8 GB/s per core on Q4_1 [576x576] —
// compute-bound on the store/reload and per-8 conversions. Here each block's integers are
// widened straight into zmm registers, multiplied with f32 activations, and the block scale is
// applied once per block: Σ d·q·x = d·Σ q·x. Offsets (q4_1/q4_K mins, the −8/−16/−32 biases of
// symmetric formats) use Σx per 32 (or 16) activations, computed once per call:
// Σ (d·q + m)·x = d·Σ q·x + m·Σ x. Activations stay f32, so accuracy matches the reference to
// rounding order.
#include "kernels_internal.h"
#include <immintrin.h>
#include <string.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), apply_to = function)

#define INLINE static inline __attribute__((always_inline))

INLINE float half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

INLINE __m512 widen_u8(__m128i v) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(v)); }
INLINE __m512 widen_i8(__m128i v) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v)); }

/// Σ q·x over the 32 nibbles of a q4/q5 block (low nibbles = elements 0..15), with optional
/// 5th bits from `qh` (+16 where set).
INLINE __m512 nibble_dot(const uint8_t *qs, const float *x, int five, uint32_t qh) {
    const __m128i m4 = _mm_set1_epi8(0x0F);
    __m128i v = _mm_loadu_si128((const __m128i *)qs);
    __m512i lo = _mm512_cvtepu8_epi32(_mm_and_si128(v, m4)), hi = _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(v, 4), m4));
    if (five) {
        const __m512i sixteen = _mm512_set1_epi32(16);
        lo = _mm512_mask_add_epi32(lo, (__mmask16)(qh & 0xFFFF), lo, sixteen);
        hi = _mm512_mask_add_epi32(hi, (__mmask16)(qh >> 16), hi, sixteen);
    }
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(hi), _mm512_loadu_ps(x + 16), _mm512_mul_ps(_mm512_cvtepi32_ps(lo), _mm512_loadu_ps(x)));
}

/// One row of a 32-element format: Σ_b d_b·Σq·x + Σ_b offset_b·Σx_b.
static float dot_row_32(floe_format format, const uint8_t *row, const float *x, const float *xsum, long blocks) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    float offset = 0;
    const int bb = floe_block_bytes[format];
    for (long b = 0; b < blocks; b++, row += bb, x += 32) {
        __m512 s;
        float d = half(row), m;
        switch (format) {
        case FLOE_Q4_0: s = nibble_dot(row + 2, x, 0, 0); m = -8 * d; break;
        case FLOE_Q4_1: s = nibble_dot(row + 4, x, 0, 0); m = half(row + 2); break;
        case FLOE_Q5_0: { uint32_t qh; memcpy(&qh, row + 2, 4); s = nibble_dot(row + 6, x, 1, qh); m = -16 * d; break; }
        case FLOE_Q5_1: { uint32_t qh; memcpy(&qh, row + 4, 4); s = nibble_dot(row + 8, x, 1, qh); m = half(row + 2); break; }
        default: {  // FLOE_Q8_0
            s = _mm512_fmadd_ps(widen_i8(_mm_loadu_si128((const __m128i *)(row + 18))), _mm512_loadu_ps(x + 16),
                                _mm512_mul_ps(widen_i8(_mm_loadu_si128((const __m128i *)(row + 2))), _mm512_loadu_ps(x)));
            m = 0;
            break;
        }
        }
        // Two accumulators so consecutive blocks' scale FMAs do not wait on each other.
        if (b & 1) acc1 = _mm512_fmadd_ps(_mm512_set1_ps(d), s, acc1);
        else acc0 = _mm512_fmadd_ps(_mm512_set1_ps(d), s, acc0);
        offset += m * xsum[b];
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + offset;
}

/// q4_K / q5_K: 8 sub-blocks of 32 with 6-bit scales and mins.
static float dot_row_k4(int five, const uint8_t *row, const float *x, const float *xsum, long blocks) {
    __m512 acc = _mm512_setzero_ps();
    float offset = 0;
    const long bb = five ? 176 : 144;
    const __m128i m4 = _mm_set1_epi8(0x0F);
    for (long b = 0; b < blocks; b++, row += bb, x += 256, xsum += 8) {
        const float d = half(row), dmin = half(row + 2);
        const uint8_t *q = row + 4, *qh = row + 16, *qs = row + (five ? 48 : 16);
        uint8_t sc[8], mn[8];
        for (int j = 0; j < 4; j++) {
            sc[j] = q[j] & 63;
            mn[j] = q[j + 4] & 63;
            sc[j + 4] = (q[j + 8] & 0xF) | ((q[j] >> 6) << 4);
            mn[j + 4] = (q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4);
        }
        __m128i h0 = five ? _mm_loadu_si128((const __m128i *)qh) : _mm_setzero_si128();
        __m128i h1 = five ? _mm_loadu_si128((const __m128i *)(qh + 16)) : _mm_setzero_si128();
        for (int pair = 0; pair < 4; pair++) {
            __m128i v0 = _mm_loadu_si128((const __m128i *)(qs + 32 * pair)), v1 = _mm_loadu_si128((const __m128i *)(qs + 32 * pair + 16));
            __m512i a0 = _mm512_cvtepu8_epi32(_mm_and_si128(v0, m4)), a1 = _mm512_cvtepu8_epi32(_mm_and_si128(v1, m4));
            __m512i b0 = _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(v0, 4), m4));
            __m512i b1 = _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(v1, 4), m4));
            if (five) {
                const __m512i sixteen = _mm512_set1_epi32(16);
                __m128i u1 = _mm_set1_epi8((char)(1 << (2 * pair))), u2 = _mm_set1_epi8((char)(2 << (2 * pair)));
                a0 = _mm512_mask_add_epi32(a0, _mm_test_epi8_mask(h0, u1), a0, sixteen);
                a1 = _mm512_mask_add_epi32(a1, _mm_test_epi8_mask(h1, u1), a1, sixteen);
                b0 = _mm512_mask_add_epi32(b0, _mm_test_epi8_mask(h0, u2), b0, sixteen);
                b1 = _mm512_mask_add_epi32(b1, _mm_test_epi8_mask(h1, u2), b1, sixteen);
            }
            const float *xp = x + 64 * pair;
            __m512 s0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a1), _mm512_loadu_ps(xp + 16), _mm512_mul_ps(_mm512_cvtepi32_ps(a0), _mm512_loadu_ps(xp)));
            __m512 s1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(b1), _mm512_loadu_ps(xp + 48), _mm512_mul_ps(_mm512_cvtepi32_ps(b0), _mm512_loadu_ps(xp + 32)));
            acc = _mm512_fmadd_ps(_mm512_set1_ps(d * (float)sc[2 * pair]), s0, acc);
            acc = _mm512_fmadd_ps(_mm512_set1_ps(d * (float)sc[2 * pair + 1]), s1, acc);
        }
        for (int j = 0; j < 8; j++) offset -= dmin * (float)mn[j] * xsum[j];
    }
    return _mm512_reduce_add_ps(acc) + offset;
}

/// q6_K: 16 runs of 16 with i8 scales; values are 6-bit minus 32 (applied in the byte domain).
static float dot_row_q6k(const uint8_t *row, const float *x, long blocks) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    const __m128i m4 = _mm_set1_epi8(0x0F), m30 = _mm_set1_epi8(0x30), bias = _mm_set1_epi8(32);
    for (long b = 0; b < blocks; b++, row += 210) {
        const float d = half(row + 208);
        const int8_t *sc = (const int8_t *)(row + 192);
        for (int half_ = 0; half_ < 2; half_++) {
            const uint8_t *ql = row + 64 * half_, *qh = row + 128 + 32 * half_;
            const float *xh = x + 256 * b + 128 * half_;
            for (int r = 0; r < 2; r++) {  // l in [16r, 16r+16)
                __m128i l0 = _mm_loadu_si128((const __m128i *)(ql + 16 * r)), l1 = _mm_loadu_si128((const __m128i *)(ql + 32 + 16 * r));
                __m128i h = _mm_loadu_si128((const __m128i *)(qh + 16 * r));
                __m128i q1 = _mm_or_si128(_mm_and_si128(l0, m4), _mm_and_si128(_mm_slli_epi16(h, 4), m30));
                __m128i q2 = _mm_or_si128(_mm_and_si128(l1, m4), _mm_and_si128(_mm_slli_epi16(h, 2), m30));
                __m128i q3 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(l0, 4), m4), _mm_and_si128(h, m30));
                __m128i q4 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(l1, 4), m4), _mm_and_si128(_mm_srli_epi16(h, 2), m30));
                const int8_t *s = sc + 8 * half_ + r;
                const float *xr = xh + 16 * r;
                acc0 = _mm512_fmadd_ps(_mm512_set1_ps(d * (float)s[0]), _mm512_mul_ps(widen_i8(_mm_sub_epi8(q1, bias)), _mm512_loadu_ps(xr)), acc0);
                acc1 = _mm512_fmadd_ps(_mm512_set1_ps(d * (float)s[2]), _mm512_mul_ps(widen_i8(_mm_sub_epi8(q2, bias)), _mm512_loadu_ps(xr + 32)), acc1);
                acc0 = _mm512_fmadd_ps(_mm512_set1_ps(d * (float)s[4]), _mm512_mul_ps(widen_i8(_mm_sub_epi8(q3, bias)), _mm512_loadu_ps(xr + 64)), acc0);
                acc1 = _mm512_fmadd_ps(_mm512_set1_ps(d * (float)s[6]), _mm512_mul_ps(widen_i8(_mm_sub_epi8(q4, bias)), _mm512_loadu_ps(xr + 96)), acc1);
            }
        }
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

/// y[o] = W[o]·x + bias[o] for o in [o0, o1), one token; `sums` = Σx per 32 activations.
void floe_gemv1_avx512(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x,
                       const float *sums, const float *bias, float *y, long o0, long o1) {
    for (long o = o0; o < o1; o++) {
        const uint8_t *row = weight + o * row_bytes;
        if (o + 2 < o1) _mm_prefetch((const char *)(row + 2 * row_bytes), _MM_HINT_T0);
        float v;
        switch (format) {
        case FLOE_Q4_K: v = dot_row_k4(0, row, x, sums, k / 256); break;
        case FLOE_Q5_K: v = dot_row_k4(1, row, x, sums, k / 256); break;
        case FLOE_Q6_K: v = dot_row_q6k(row, x, k / 256); break;
        default: v = dot_row_32(format, row, x, sums, k / 32); break;
        }
        y[o] = v + (bias ? bias[o] : 0.0f);
    }
}

#pragma clang attribute pop
