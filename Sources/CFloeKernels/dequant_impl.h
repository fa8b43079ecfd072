// Block decoding, included by each variant file. FLOE_VARIANT > 0 uses AVX2 (256-bit)
// intrinsics — decoding is not the bottleneck of either linear path, so the AVX-512 variant
// shares this code — and 0 is plain C. Every formula rounds exactly as FloeTensor's
// dequantizeRow does (multiply, then add/subtract; no FMA), so the output is bit-identical.
#include "simd.h"

static float f16_to_f32_scalar(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff, bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000 | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {  // subnormal: value = mantissa · 2^-24, exact in f32
        float value = (float)mantissa * 5.9604644775390625e-8f;
        memcpy(&bits, &value, 4);
        bits |= sign;
    }
    float result;
    memcpy(&result, &bits, 4);
    return result;
}

FLOE_INLINE float load_half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
#if FLOE_VARIANT > 0
    return _cvtsh_ss(h);
#else
    return f16_to_f32_scalar(h);
#endif
}

/// The 6-bit scale and min of sub-block j of a q4_K/q5_K `scales[12]` field.
FLOE_INLINE void scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

#if FLOE_VARIANT > 0
// 32 bytes → 32 floats. `scale_lo` applies to the first 16 outputs, `scale_hi` to the rest;
// `offset` is added (q4_1/q5_1 min) or subtracted (K-quant min) after the product.
FLOE_INLINE __m256 cvt_u8(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)); }
FLOE_INLINE __m256 cvt_i8(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }

FLOE_INLINE void put32_i8(float *y, __m256i q, __m256 s0, __m256 s1) {
    __m128i a = _mm256_castsi256_si128(q), b = _mm256_extracti128_si256(q, 1);
    _mm256_storeu_ps(y, _mm256_mul_ps(cvt_i8(a), s0));
    _mm256_storeu_ps(y + 8, _mm256_mul_ps(cvt_i8(_mm_srli_si128(a, 8)), s0));
    _mm256_storeu_ps(y + 16, _mm256_mul_ps(cvt_i8(b), s1));
    _mm256_storeu_ps(y + 24, _mm256_mul_ps(cvt_i8(_mm_srli_si128(b, 8)), s1));
}

FLOE_INLINE void put32_u8_add(float *y, __m256i q, __m256 s, __m256 m) {
    __m128i a = _mm256_castsi256_si128(q), b = _mm256_extracti128_si256(q, 1);
    _mm256_storeu_ps(y, _mm256_add_ps(_mm256_mul_ps(cvt_u8(a), s), m));
    _mm256_storeu_ps(y + 8, _mm256_add_ps(_mm256_mul_ps(cvt_u8(_mm_srli_si128(a, 8)), s), m));
    _mm256_storeu_ps(y + 16, _mm256_add_ps(_mm256_mul_ps(cvt_u8(b), s), m));
    _mm256_storeu_ps(y + 24, _mm256_add_ps(_mm256_mul_ps(cvt_u8(_mm_srli_si128(b, 8)), s), m));
}

FLOE_INLINE void put32_u8_sub(float *y, __m256i q, __m256 s, __m256 m) {
    __m128i a = _mm256_castsi256_si128(q), b = _mm256_extracti128_si256(q, 1);
    _mm256_storeu_ps(y, _mm256_sub_ps(_mm256_mul_ps(s, cvt_u8(a)), m));
    _mm256_storeu_ps(y + 8, _mm256_sub_ps(_mm256_mul_ps(s, cvt_u8(_mm_srli_si128(a, 8))), m));
    _mm256_storeu_ps(y + 16, _mm256_sub_ps(_mm256_mul_ps(s, cvt_u8(b)), m));
    _mm256_storeu_ps(y + 24, _mm256_sub_ps(_mm256_mul_ps(s, cvt_u8(_mm_srli_si128(b, 8))), m));
}

/// The 32 nibbles of a q4/q5 block: low nibbles are elements 0..15, high ones 16..31.
FLOE_INLINE __m256i nibbles32(const uint8_t *qs) {
    __m128i b = _mm_loadu_si128((const __m128i *)qs), m = _mm_set1_epi8(0x0F);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
}

/// 0x10 in byte e where bit e of the 32-bit `qh` is set (the 5th bit of q5 elements).
FLOE_INLINE __m256i high_bits32(const uint8_t *qh) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits),
        _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL, 0x0101010101010101LL, 0));
    __m256i select = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

static void dequantize_blocks(floe_format format, const uint8_t *x, float *y, long blocks) {
    const int bb = floe_block_bytes[format];
    switch (format) {
    case FLOE_F32:
        memcpy(y, x, (size_t)blocks * 4);
        return;
    case FLOE_F16: {
        long i = 0;
        for (; i + 8 <= blocks; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + 2 * i))));
        for (; i < blocks; i++) y[i] = load_half(x + 2 * i);
        return;
    }
    case FLOE_BF16: {
        long i = 0;
        for (; i + 8 <= blocks; i += 8) {
            __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(x + 2 * i)));
            _mm256_storeu_ps(y + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
        }
        for (; i < blocks; i++) {
            uint32_t bits = (uint32_t)(x[2 * i] | (x[2 * i + 1] << 8)) << 16;
            memcpy(y + i, &bits, 4);
        }
        return;
    }
    default: break;
    }
    for (long b = 0; b < blocks; b++, x += bb) {
        switch (format) {
        case FLOE_Q4_0: {
            __m256 d = _mm256_set1_ps(load_half(x));
            put32_i8(y, _mm256_sub_epi8(nibbles32(x + 2), _mm256_set1_epi8(8)), d, d);
            y += 32;
            break;
        }
        case FLOE_Q4_1:
            put32_u8_add(y, nibbles32(x + 4), _mm256_set1_ps(load_half(x)), _mm256_set1_ps(load_half(x + 2)));
            y += 32;
            break;
        case FLOE_Q5_0: {
            __m256 d = _mm256_set1_ps(load_half(x));
            __m256i q = _mm256_or_si256(nibbles32(x + 6), high_bits32(x + 2));
            put32_i8(y, _mm256_sub_epi8(q, _mm256_set1_epi8(16)), d, d);
            y += 32;
            break;
        }
        case FLOE_Q5_1:
            put32_u8_add(y, _mm256_or_si256(nibbles32(x + 8), high_bits32(x + 4)),
                         _mm256_set1_ps(load_half(x)), _mm256_set1_ps(load_half(x + 2)));
            y += 32;
            break;
        case FLOE_Q8_0: {
            __m256 d = _mm256_set1_ps(load_half(x));
            put32_i8(y, _mm256_loadu_si256((const __m256i *)(x + 2)), d, d);
            y += 32;
            break;
        }
        case FLOE_Q4_K:
        case FLOE_Q5_K: {
            const int five = format == FLOE_Q5_K;
            float d = load_half(x), dmin = load_half(x + 2);
            const uint8_t *scales = x + 4, *qh = x + 16, *qs = x + (five ? 48 : 16);
            __m256i high = five ? _mm256_loadu_si256((const __m256i *)qh) : _mm256_setzero_si256();
            const __m256i low4 = _mm256_set1_epi8(0x0F), sixteen = _mm256_set1_epi8(0x10);
            for (int pair = 0; pair < 4; pair++) {
                uint8_t sc1, m1, sc2, m2;
                scale_min_k4(2 * pair, scales, &sc1, &m1);
                scale_min_k4(2 * pair + 1, scales, &sc2, &m2);
                __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * pair));
                __m256i lo = _mm256_and_si256(q, low4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
                if (five) {
                    __m256i u1 = _mm256_set1_epi8((char)(1 << (2 * pair))), u2 = _mm256_set1_epi8((char)(2 << (2 * pair)));
                    lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(high, u1), u1), sixteen));
                    hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(high, u2), u2), sixteen));
                }
                put32_u8_sub(y, lo, _mm256_set1_ps(d * (float)sc1), _mm256_set1_ps(dmin * (float)m1));
                put32_u8_sub(y + 32, hi, _mm256_set1_ps(d * (float)sc2), _mm256_set1_ps(dmin * (float)m2));
                y += 64;
            }
            break;
        }
        case FLOE_Q6_K: {
            float d = load_half(x + 208);
            const uint8_t *ql = x, *qh = x + 128;
            const int8_t *sc = (const int8_t *)(x + 192);
            const __m256i low4 = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(0x30), bias = _mm256_set1_epi8(32);
            for (int half = 0; half < 2; half++) {
                __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
                __m256i h = _mm256_loadu_si256((const __m256i *)qh);
                __m256i q[4] = {
                    _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_and_si256(_mm256_slli_epi16(h, 4), two)),
                    _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_and_si256(_mm256_slli_epi16(h, 2), two)),
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4), _mm256_and_si256(h, two)),
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4), _mm256_and_si256(_mm256_srli_epi16(h, 2), two)),
                };
                for (int part = 0; part < 4; part++) {
                    put32_i8(y + 32 * part, _mm256_sub_epi8(q[part], bias),
                             _mm256_set1_ps(d * (float)sc[2 * part]), _mm256_set1_ps(d * (float)sc[2 * part + 1]));
                }
                y += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
            break;
        }
        default: break;
        }
    }
}

#else  // plain C

static void dequantize_blocks(floe_format format, const uint8_t *x, float *y, long blocks) {
    const int bb = floe_block_bytes[format];
    for (long b = 0; b < blocks; b++, x += bb) {
        switch (format) {
        case FLOE_F32: memcpy(y, x, 4); y += 1; break;
        case FLOE_F16: *y++ = load_half(x); break;
        case FLOE_BF16: { uint32_t bits = (uint32_t)(x[0] | (x[1] << 8)) << 16; memcpy(y++, &bits, 4); break; }
        case FLOE_Q4_0: case FLOE_Q4_1: case FLOE_Q5_0: case FLOE_Q5_1: {
            const int has_min = format == FLOE_Q4_1 || format == FLOE_Q5_1, five = format == FLOE_Q5_0 || format == FLOE_Q5_1;
            float d = load_half(x), m = has_min ? load_half(x + 2) : 0;
            uint32_t qh = 0;
            if (five) memcpy(&qh, x + (has_min ? 4 : 2), 4);
            const uint8_t *qs = x + 2 + 2 * has_min + 4 * five;
            const int offset = has_min ? 0 : (five ? 16 : 8);
            for (int j = 0; j < 16; j++) {
                int h0 = five ? (int)(((qh >> j) << 4) & 0x10) : 0, h1 = five ? (int)((qh >> (j + 12)) & 0x10) : 0;
                int q0 = ((qs[j] & 0xF) | h0) - offset, q1 = ((qs[j] >> 4) | h1) - offset;
                if (has_min) { y[j] = (float)q0 * d + m; y[j + 16] = (float)q1 * d + m; }
                else { y[j] = (float)q0 * d; y[j + 16] = (float)q1 * d; }
            }
            y += 32;
            break;
        }
        case FLOE_Q8_0: {
            float d = load_half(x);
            for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)x[2 + j] * d;
            y += 32;
            break;
        }
        case FLOE_Q4_K: case FLOE_Q5_K: {
            const int five = format == FLOE_Q5_K;
            float d = load_half(x), dmin = load_half(x + 2);
            const uint8_t *scales = x + 4, *qh = x + 16, *ql = x + (five ? 48 : 16);
            for (int pair = 0; pair < 4; pair++, ql += 32, y += 64) {
                uint8_t sc1, m1, sc2, m2;
                scale_min_k4(2 * pair, scales, &sc1, &m1);
                scale_min_k4(2 * pair + 1, scales, &sc2, &m2);
                float d1 = d * (float)sc1, min1 = dmin * (float)m1, d2 = d * (float)sc2, min2 = dmin * (float)m2;
                for (int l = 0; l < 32; l++) {
                    int h1 = five && (qh[l] & (1 << (2 * pair))) ? 16 : 0, h2 = five && (qh[l] & (2 << (2 * pair))) ? 16 : 0;
                    y[l] = d1 * (float)((ql[l] & 0xF) + h1) - min1;
                    y[l + 32] = d2 * (float)((ql[l] >> 4) + h2) - min2;
                }
            }
            break;
        }
        case FLOE_Q6_K: {
            float d = load_half(x + 208);
            const uint8_t *ql = x, *qh = x + 128;
            const int8_t *sc = (const int8_t *)(x + 192);
            for (int half = 0; half < 2; half++, y += 128, ql += 64, qh += 32, sc += 8) {
                for (int l = 0; l < 32; l++) {
                    int s = l / 16;
                    int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    y[l] = d * (float)sc[s] * (float)q1;
                    y[l + 32] = d * (float)sc[s + 2] * (float)q2;
                    y[l + 64] = d * (float)sc[s + 4] * (float)q3;
                    y[l + 96] = d * (float)sc[s + 6] * (float)q4;
                }
            }
            break;
        }
        default: break;
        }
    }
}
#endif
