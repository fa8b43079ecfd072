// AVX-512 block decoding shared by the fused one-token kernel (gemv_avx512.c) and the few-row
// kernel (rows_avx512.c): a block's integers widened straight into zmm registers. Include inside
// the AVX-512 target pragma of those files.
#pragma once
#include "kernels_internal.h"
#include <immintrin.h>
#include <string.h>

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

/// The 32 weights of one block of a 32-element format as two f32 vectors (elements 0..15 and
/// 16..31). Symmetric formats are made signed in the byte domain (q4_0: q − 8; q5_0: the 5th
/// bit clear means q − 16), so only q4_1/q5_1 need an offset term.
INLINE void block_weights(floe_format format, const uint8_t *row, __m512 *lo, __m512 *hi) {
    const __m128i m4 = _mm_set1_epi8(0x0F);
    if (format == FLOE_Q8_0) {
        *lo = widen_i8(_mm_loadu_si128((const __m128i *)(row + 2)));
        *hi = widen_i8(_mm_loadu_si128((const __m128i *)(row + 18)));
        return;
    }
    const int qs_at = format == FLOE_Q4_0 ? 2 : format == FLOE_Q4_1 ? 4 : format == FLOE_Q5_0 ? 6 : 8;
    __m128i v = _mm_loadu_si128((const __m128i *)(row + qs_at));
    __m128i a = _mm_and_si128(v, m4), b = _mm_and_si128(_mm_srli_epi16(v, 4), m4);
    if (format == FLOE_Q4_0) {
        const __m128i eight = _mm_set1_epi8(8);
        *lo = widen_i8(_mm_sub_epi8(a, eight));
        *hi = widen_i8(_mm_sub_epi8(b, eight));
    } else if (format == FLOE_Q4_1) {
        *lo = widen_u8(a);
        *hi = widen_u8(b);
    } else {
        uint32_t qh;
        memcpy(&qh, row + (format == FLOE_Q5_0 ? 2 : 4), 4);
        const __m128i sixteen = _mm_set1_epi8(16);
        if (format == FLOE_Q5_0) {  // bit set: q = nibble + 16 − 16; clear: nibble − 16
            a = _mm_mask_sub_epi8(a, (__mmask16)~qh, a, sixteen);
            b = _mm_mask_sub_epi8(b, (__mmask16)(~qh >> 16), b, sixteen);
            *lo = widen_i8(a);
            *hi = widen_i8(b);
        } else {
            a = _mm_mask_add_epi8(a, (__mmask16)qh, a, sixteen);
            b = _mm_mask_add_epi8(b, (__mmask16)(qh >> 16), b, sixteen);
            *lo = widen_u8(a);
            *hi = widen_u8(b);
        }
    }
}

/// A q4_K super-block's eight 6-bit sub-block scales and mins (packed in bytes 4..15 of the
/// block) as two vectors of 8 floats, not yet multiplied by the block's d and dmin.
INLINE void q4k_scales_mins(const uint8_t *block, __m256 *scales, __m256 *mins) {
    uint32_t u0, u1, u2;
    memcpy(&u0, block + 4, 4);
    memcpy(&u1, block + 8, 4);
    memcpy(&u2, block + 12, 4);
    const uint64_t sc = (uint64_t)(u0 & 0x3F3F3F3Fu) | (uint64_t)((u2 & 0x0F0F0F0Fu) | ((u0 >> 2) & 0x30303030u)) << 32;
    const uint64_t mn = (uint64_t)(u1 & 0x3F3F3F3Fu) | (uint64_t)(((u2 >> 4) & 0x0F0F0F0Fu) | ((u1 >> 2) & 0x30303030u)) << 32;
    *scales = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)sc)));
    *mins = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)mn)));
}
