// Fused single-token matrix-vector kernels for the AVX2 variant: the same scheme as
// gemv_avx512.c (integers widened in registers, d·Σq·x per block, offsets through Σx) on
// 256-bit vectors. Included by variant_avx2.c after dequant_impl.h, whose nibble and
// high-bit helpers it shares. Measured on SmolLM2 Q4_1 decode (2 threads): the buffer gemv
// reached 11.8 GB/s; see the report for this kernel's number.
// The 32-element formats run four rows at a time (gemv1_rows_32: activations loaded once for
// four rows, next row group prefetched). FloeKernelBench qwen at level 1, 1 thread, Zen 5,
// before → after: q5_0 [4864x896] 6.4 → 8.4 GB/s (cache-hot), q8_0 lm_head 23.1 → 26.0,
// whole Qwen decode linears 9.1 → 10.8 GB/s. Per row the arithmetic is unchanged.

/// Σ q·x for 32 unsigned bytes q and 32 floats x, as 8 lanes to be summed later.
FLOE_INLINE __m256 dot32_u8(__m256i q, const float *x) {
    __m128i a = _mm256_castsi256_si128(q), b = _mm256_extracti128_si256(q, 1);
    __m256 s0 = _mm256_mul_ps(cvt_u8(a), _mm256_loadu_ps(x));
    __m256 s1 = _mm256_mul_ps(cvt_u8(_mm_srli_si128(a, 8)), _mm256_loadu_ps(x + 8));
    s0 = _mm256_fmadd_ps(cvt_u8(b), _mm256_loadu_ps(x + 16), s0);
    s1 = _mm256_fmadd_ps(cvt_u8(_mm_srli_si128(b, 8)), _mm256_loadu_ps(x + 24), s1);
    return _mm256_add_ps(s0, s1);
}

/// dot32_u8 with the 32 activations already loaded (shared by several rows).
FLOE_INLINE __m256 dot32_u8x(__m256i q, __m256 x0, __m256 x1, __m256 x2, __m256 x3) {
    __m128i a = _mm256_castsi256_si128(q), b = _mm256_extracti128_si256(q, 1);
    __m256 s0 = _mm256_mul_ps(cvt_u8(a), x0);
    __m256 s1 = _mm256_mul_ps(cvt_u8(_mm_srli_si128(a, 8)), x1);
    s0 = _mm256_fmadd_ps(cvt_u8(b), x2, s0);
    s1 = _mm256_fmadd_ps(cvt_u8(_mm_srli_si128(b, 8)), x3, s1);
    return _mm256_add_ps(s0, s1);
}

/// Σ q·x over 16 signed bytes with the activations loaded.
FLOE_INLINE __m256 dot16_i8x(__m128i q, __m256 x0, __m256 x1) {
    return _mm256_fmadd_ps(cvt_i8(_mm_srli_si128(q, 8)), x1, _mm256_mul_ps(cvt_i8(q), x0));
}

/// R rows (R ≤ 4) of a 32-element format at once, so each activation chunk is loaded once
/// for all of them (register blocking over rows; the same per-row arithmetic as gemv1_row).
/// The next row group is prefetched in step: interleaved row streams defeat the hardware
/// prefetcher on large matrices.
FLOE_INLINE void gemv1_rows_32(const int R, floe_format format, const uint8_t *row, long row_bytes, const float *x,
                               const float *xsum, long blocks, float *out) {
    __m256 acc0[4], acc1[4];
    float offset[4] = {0, 0, 0, 0};
    for (int r = 0; r < R; r++) acc0[r] = acc1[r] = _mm256_setzero_ps();
    const int bb = floe_block_bytes[format];
    const uint8_t *ahead = row + 2 * 4 * row_bytes;
    for (long b = 0; b < blocks; b++, row += bb, x += 32, ahead += 4 * bb) {
        if (R == 4) {
            _mm_prefetch((const char *)ahead, _MM_HINT_T0);
            _mm_prefetch((const char *)ahead + 64, _MM_HINT_T0);
            _mm_prefetch((const char *)ahead + 128, _MM_HINT_T0);
        }
        const __m256 x0 = _mm256_loadu_ps(x), x1 = _mm256_loadu_ps(x + 8), x2 = _mm256_loadu_ps(x + 16), x3 = _mm256_loadu_ps(x + 24);
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++) {
            const uint8_t *p = row + r * row_bytes;
            const float d = load_half(p);
            __m256 s;
            float m;
            switch (format) {
            case FLOE_Q4_0: s = dot32_u8x(nibbles32(p + 2), x0, x1, x2, x3); m = -8 * d; break;
            case FLOE_Q4_1: s = dot32_u8x(nibbles32(p + 4), x0, x1, x2, x3); m = load_half(p + 2); break;
            case FLOE_Q5_0: s = dot32_u8x(_mm256_or_si256(nibbles32(p + 6), high_bits32(p + 2)), x0, x1, x2, x3); m = -16 * d; break;
            case FLOE_Q5_1: s = dot32_u8x(_mm256_or_si256(nibbles32(p + 8), high_bits32(p + 4)), x0, x1, x2, x3); m = load_half(p + 2); break;
            default:
                s = _mm256_add_ps(dot16_i8x(_mm_loadu_si128((const __m128i *)(p + 2)), x0, x1), dot16_i8x(_mm_loadu_si128((const __m128i *)(p + 18)), x2, x3));
                m = 0;
                break;
            }
            if (b & 1) acc1[r] = _mm256_fmadd_ps(_mm256_set1_ps(d), s, acc1[r]);
            else acc0[r] = _mm256_fmadd_ps(_mm256_set1_ps(d), s, acc0[r]);
            if (format != FLOE_Q8_0) offset[r] += m * xsum[b];
        }
    }
    for (int r = 0; r < R; r++) out[r] = vsum(_mm256_add_ps(acc0[r], acc1[r])) + offset[r];
}

FLOE_INLINE void gemv1_32(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x,
                          const float *sums, const float *bias, float *y, long o0, long o1) {
    long o = o0;
    float v[4];
    for (; o + 4 <= o1; o += 4) {
        gemv1_rows_32(4, format, weight + o * row_bytes, row_bytes, x, sums, k / 32, v);
        for (int r = 0; r < 4; r++) y[o + r] = v[r] + (bias ? bias[o + r] : 0.0f);
    }
    for (; o < o1; o++) {
        gemv1_rows_32(1, format, weight + o * row_bytes, row_bytes, x, sums, k / 32, v);
        y[o] = v[0] + (bias ? bias[o] : 0.0f);
    }
}

/// Σ q·x over 16 signed bytes.
FLOE_INLINE __m256 dot16_i8(__m128i q, const float *x) {
    return _mm256_fmadd_ps(cvt_i8(_mm_srli_si128(q, 8)), _mm256_loadu_ps(x + 8), _mm256_mul_ps(cvt_i8(q), _mm256_loadu_ps(x)));
}

static float gemv1_row(floe_format format, const uint8_t *row, const float *x, const float *xsum, long k) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float offset = 0;
    const int bb = floe_block_bytes[format];
    switch (format) {
    case FLOE_Q4_0: case FLOE_Q4_1: case FLOE_Q5_0: case FLOE_Q5_1: case FLOE_Q8_0:
        for (long b = 0; b < k / 32; b++, row += bb, x += 32) {
            const float d = load_half(row);
            __m256 s;
            float m;
            switch (format) {
            case FLOE_Q4_0: s = dot32_u8(nibbles32(row + 2), x); m = -8 * d; break;
            case FLOE_Q4_1: s = dot32_u8(nibbles32(row + 4), x); m = load_half(row + 2); break;
            case FLOE_Q5_0: s = dot32_u8(_mm256_or_si256(nibbles32(row + 6), high_bits32(row + 2)), x); m = -16 * d; break;
            case FLOE_Q5_1: s = dot32_u8(_mm256_or_si256(nibbles32(row + 8), high_bits32(row + 4)), x); m = load_half(row + 2); break;
            default:
                s = _mm256_add_ps(dot16_i8(_mm_loadu_si128((const __m128i *)(row + 2)), x), dot16_i8(_mm_loadu_si128((const __m128i *)(row + 18)), x + 16));
                m = 0;
                break;
            }
            if (b & 1) acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d), s, acc1);
            else acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d), s, acc0);
            offset += m * xsum[b];
        }
        break;
    case FLOE_Q4_K: case FLOE_Q5_K: {
        const int five = format == FLOE_Q5_K;
        const __m256i low4 = _mm256_set1_epi8(0x0F), sixteen = _mm256_set1_epi8(0x10);
        for (long b = 0; b < k / 256; b++, row += bb, x += 256, xsum += 8) {
            const float d = load_half(row), dmin = load_half(row + 2);
            const uint8_t *scales = row + 4, *qs = row + (five ? 48 : 16);
            __m256i high = five ? _mm256_loadu_si256((const __m256i *)(row + 16)) : _mm256_setzero_si256();
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
                acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc1), dot32_u8(lo, x + 64 * pair), acc0);
                acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc2), dot32_u8(hi, x + 64 * pair + 32), acc1);
                offset -= dmin * (float)m1 * xsum[2 * pair] + dmin * (float)m2 * xsum[2 * pair + 1];
            }
        }
        break;
    }
    default: {  // FLOE_Q6_K
        const __m128i m4 = _mm_set1_epi8(0x0F), m30 = _mm_set1_epi8(0x30), bias = _mm_set1_epi8(32);
        for (long b = 0; b < k / 256; b++, row += bb) {
            const float d = load_half(row + 208);
            const int8_t *sc = (const int8_t *)(row + 192);
            for (int half = 0; half < 2; half++) {
                const uint8_t *ql = row + 64 * half, *qh = row + 128 + 32 * half;
                const float *xh = x + 256 * b + 128 * half;
                for (int r = 0; r < 2; r++) {
                    __m128i l0 = _mm_loadu_si128((const __m128i *)(ql + 16 * r)), l1 = _mm_loadu_si128((const __m128i *)(ql + 32 + 16 * r));
                    __m128i h = _mm_loadu_si128((const __m128i *)(qh + 16 * r));
                    __m128i q1 = _mm_or_si128(_mm_and_si128(l0, m4), _mm_and_si128(_mm_slli_epi16(h, 4), m30));
                    __m128i q2 = _mm_or_si128(_mm_and_si128(l1, m4), _mm_and_si128(_mm_slli_epi16(h, 2), m30));
                    __m128i q3 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(l0, 4), m4), _mm_and_si128(h, m30));
                    __m128i q4 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(l1, 4), m4), _mm_and_si128(_mm_srli_epi16(h, 2), m30));
                    const int8_t *s = sc + 8 * half + r;
                    const float *xr = xh + 16 * r;
                    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)s[0]), dot16_i8(_mm_sub_epi8(q1, bias), xr), acc0);
                    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)s[2]), dot16_i8(_mm_sub_epi8(q2, bias), xr + 32), acc1);
                    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)s[4]), dot16_i8(_mm_sub_epi8(q3, bias), xr + 64), acc0);
                    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)s[6]), dot16_i8(_mm_sub_epi8(q4, bias), xr + 96), acc1);
                }
            }
        }
        break;
    }
    }
    return vsum(_mm256_add_ps(acc0, acc1)) + offset;
}

static void gemv1_avx2(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x,
                       const float *sums, const float *bias, float *y, long o0, long o1) {
    switch (format) {
    case FLOE_Q4_0: gemv1_32(FLOE_Q4_0, weight, row_bytes, k, x, sums, bias, y, o0, o1); return;
    case FLOE_Q4_1: gemv1_32(FLOE_Q4_1, weight, row_bytes, k, x, sums, bias, y, o0, o1); return;
    case FLOE_Q5_0: gemv1_32(FLOE_Q5_0, weight, row_bytes, k, x, sums, bias, y, o0, o1); return;
    case FLOE_Q5_1: gemv1_32(FLOE_Q5_1, weight, row_bytes, k, x, sums, bias, y, o0, o1); return;
    case FLOE_Q8_0: gemv1_32(FLOE_Q8_0, weight, row_bytes, k, x, sums, bias, y, o0, o1); return;
    default: break;
    }
    for (long o = o0; o < o1; o++) {
        const uint8_t *row = weight + o * row_bytes;
        if (o + 2 < o1) _mm_prefetch((const char *)(row + 2 * row_bytes), _MM_HINT_T0);
        y[o] = gemv1_row(format, row, x, sums, k) + (bias ? bias[o] : 0.0f);
    }
}
