// The few-row linear kernel fused with decoding (AVX-512), for 2 ≤ n ≤ ROWS_MAX_N tokens of the
// block formats the test models use (q4_0, q4_1, q5_0, q5_1, q8_0, q4_K, q6_K).
//
// Why: a speculative verification step is a forward over k+1 rows. The buffered few-row path
// (linear_rows_impl.h) decodes each weight row into L1 and reads it back; on this CPU that
// store/reload pass costs ~2× the memory-bound one-token kernel. Here a block's integers are
// widened straight into zmm registers (blocks_avx512.h, as the one-token kernel does), turned
// into f32 weights with one FMA (d·q + m, or d·sc·q − dmin·m for q4_K), and each weight vector
// then feeds the FMAs of up to 12 token rows while it sits in a register. Two weight rows
// share each activation load. Activations stay f32: the only difference to the reference is
// the rounding of d·q + m as one FMA (well inside the linear tests' 2e-5 relative tolerance).
// More than 12 (K formats: 8) rows run in passes that decode again (the weights are then L1/L2-hot).
#include "kernels_internal.h"
#include <immintrin.h>
#include <string.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), apply_to = function)

#include "blocks_avx512.h"

/// Weight rows per pass, and token rows per pass: 2 × 12 accumulators + 2 × 2 weight vectors +
/// 1 activation ≤ 32 zmm registers for the 32-element formats; the K formats hold 2 × 4 weight
/// vectors, so they take 8 tokens.
enum { WROWS = 2, TOKENS = 12, TOKENS_K = 8 };

/// Accumulators: with few of them (R·T ≤ 8) every block's FMAs would form one chain per
/// accumulator, latency-bound (4 cycles each); a second set, fed alternately, halves the chains.
typedef __m512 acc_tile[2][WROWS][TOKENS];
#define SETS(R, T) ((R) * (T) <= 8 ? 2 : 1)

/// acc[set][r][t] += w[r] · x_t[at .. at + 16) for r < R, t < T, on set `half_ % SETS`.
INLINE void apply(const int R, const int T, int half_, const __m512 *w, const float *x, long ldx, long at, acc_tile acc) {
    const int set = half_ % SETS(R, T);
    _Pragma("clang loop unroll(full)")
    for (int t = 0; t < T; t++) {
        const __m512 xv = _mm512_loadu_ps(x + t * ldx + at);
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++) acc[set][r][t] = _mm512_fmadd_ps(w[r], xv, acc[set][r][t]);
    }
}

/// An f16 field broadcast to all lanes. (`_mm512_set1_ps(half(p))` compiled to a vpinsrw that
/// merges into whatever register was free — often an accumulator — which chained every block
/// step behind the previous FMA: 2-3× slower loops.)
INLINE __m512 splat_half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _mm512_cvtph_ps(_mm256_set1_epi16((short)h));
}

INLINE __m256 splat_half8(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _mm256_cvtph_ps(_mm_set1_epi16((short)h));
}

/// Interleaved row streams defeat the hardware prefetcher (a streaming q8_0 lm_head ran at
/// 7 GB/s instead of 45), so each block step also prefetches the same share of the row group
/// PREFETCH_GROUPS groups ahead (rows are contiguous: the group is R·row_bytes bytes long, and
/// R·bytes per block step covers it as the step walks the row).
enum { PREFETCH_GROUPS = 12 };

INLINE void prefetch_ahead(const int R, const uint8_t *row, long row_bytes, long step, long bytes) {
    const uint8_t *ahead = row + PREFETCH_GROUPS * R * row_bytes + step * R * bytes;
    for (long l = 0; l < R * bytes; l += 64) _mm_prefetch((const char *)ahead + l, _MM_HINT_T0);
}

/// 32-element formats: per block, 32 weights of each row as two f32 vectors d·q (+ m).
INLINE void tile_32(const int R, const int T, floe_format format, const uint8_t *row, long row_bytes, const float *x,
                    long ldx, long k, acc_tile acc) {
    const int bb = floe_block_bytes[format];
    const int offsets = format == FLOE_Q4_1 || format == FLOE_Q5_1;
    for (long b = 0; b < k / 32; b++) {
        prefetch_ahead(R, row, row_bytes, b, bb);
        __m512 lo[WROWS], hi[WROWS];
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++) {
            const uint8_t *p = row + r * row_bytes + b * bb;
            __m512 l, h;
            if (format == FLOE_Q8_0) {  // one 32-byte load (two 16-byte widening loads ran 1.6× slower)
                const __m256i q = _mm256_loadu_si256((const __m256i *)(p + 2));
                l = widen_i8(_mm256_castsi256_si128(q));
                h = widen_i8(_mm256_extracti128_si256(q, 1));
            } else {
                block_weights(format, p, &l, &h);
            }
            const __m512 d = splat_half(p);
            if (offsets) {
                const __m512 m = splat_half(p + 2);
                lo[r] = _mm512_fmadd_ps(l, d, m);
                hi[r] = _mm512_fmadd_ps(h, d, m);
            } else {
                lo[r] = _mm512_mul_ps(l, d);
                hi[r] = _mm512_mul_ps(h, d);
            }
        }
        apply(R, T, 0, lo, x, ldx, 32 * b, acc);
        apply(R, T, 1, hi, x, ldx, 32 * b + 16, acc);
    }
}

/// q4_K: 8 sub-blocks of 32 per 256, weight = d·sc·q − dmin·m with 6-bit sc and m.
INLINE void tile_q4k(const int R, const int T, const uint8_t *row, long row_bytes, const float *x, long ldx, long k,
                     acc_tile acc) {
    const __m128i m4 = _mm_set1_epi8(0x0F);
    for (long b = 0; b < k / 256; b++) {
        _Alignas(32) float dsc[WROWS][8], dmn[WROWS][8];
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++) {
            const uint8_t *p = row + r * row_bytes + b * 144;
            __m256 scf, mnf;
            q4k_scales_mins(p, &scf, &mnf);
            _mm256_store_ps(dsc[r], _mm256_mul_ps(splat_half8(p), scf));
            _mm256_store_ps(dmn[r], _mm256_mul_ps(splat_half8(p + 2), mnf));
        }
        for (int pair = 0; pair < 4; pair++) {  // sub-blocks 2·pair (low nibbles), 2·pair + 1 (high)
            prefetch_ahead(R, row, row_bytes, 4 * b + pair, 144 / 4);
            __m512 w0[WROWS], w1[WROWS], w2[WROWS], w3[WROWS];
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < R; r++) {
                const uint8_t *qs = row + r * row_bytes + b * 144 + 16 + 32 * pair;
                const __m128i v0 = _mm_loadu_si128((const __m128i *)qs), v1 = _mm_loadu_si128((const __m128i *)(qs + 16));
                const __m512 s0 = _mm512_set1_ps(dsc[r][2 * pair]), n0 = _mm512_set1_ps(dmn[r][2 * pair]);
                const __m512 s1 = _mm512_set1_ps(dsc[r][2 * pair + 1]), n1 = _mm512_set1_ps(dmn[r][2 * pair + 1]);
                w0[r] = _mm512_fmsub_ps(widen_u8(_mm_and_si128(v0, m4)), s0, n0);
                w1[r] = _mm512_fmsub_ps(widen_u8(_mm_and_si128(v1, m4)), s0, n0);
                w2[r] = _mm512_fmsub_ps(widen_u8(_mm_and_si128(_mm_srli_epi16(v0, 4), m4)), s1, n1);
                w3[r] = _mm512_fmsub_ps(widen_u8(_mm_and_si128(_mm_srli_epi16(v1, 4), m4)), s1, n1);
            }
            const long at = 256 * b + 64 * pair;
            apply(R, T, 0, w0, x, ldx, at, acc);
            apply(R, T, 1, w1, x, ldx, at + 16, acc);
            apply(R, T, 0, w2, x, ldx, at + 32, acc);
            apply(R, T, 1, w3, x, ldx, at + 48, acc);
        }
    }
}

/// q6_K: 16 runs of 16 per 256 with i8 scales; values are 6-bit minus 32 (in the byte domain).
INLINE void tile_q6k(const int R, const int T, const uint8_t *row, long row_bytes, const float *x, long ldx, long k,
                     acc_tile acc) {
    const __m128i m4 = _mm_set1_epi8(0x0F), m30 = _mm_set1_epi8(0x30), bias = _mm_set1_epi8(32);
    for (long b = 0; b < k / 256; b++) {
        _Alignas(64) float sd[WROWS][16];  // d·scale per run of 16
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++) {
            const uint8_t *p = row + r * row_bytes + b * 210;
            _mm512_store_ps(sd[r], _mm512_mul_ps(splat_half(p + 208), widen_i8(_mm_loadu_si128((const __m128i *)(p + 192)))));
        }
        for (int h = 0; h < 2; h++) {
            for (int part = 0; part < 2; part++) {  // elements l = 16·part .. +16 of each quarter
                prefetch_ahead(R, row, row_bytes, 4 * b + 2 * h + part, 210 / 4);
                __m512 w0[WROWS], w1[WROWS], w2[WROWS], w3[WROWS];
                _Pragma("clang loop unroll(full)")
                for (int r = 0; r < R; r++) {
                    const uint8_t *p = row + r * row_bytes + b * 210;
                    const uint8_t *ql = p + 64 * h, *qh = p + 128 + 32 * h;
                    const float *s = sd[r] + 8 * h + part;
                    const __m128i l0 = _mm_loadu_si128((const __m128i *)(ql + 16 * part)), l1 = _mm_loadu_si128((const __m128i *)(ql + 32 + 16 * part));
                    const __m128i hb = _mm_loadu_si128((const __m128i *)(qh + 16 * part));
                    const __m128i q1 = _mm_or_si128(_mm_and_si128(l0, m4), _mm_and_si128(_mm_slli_epi16(hb, 4), m30));
                    const __m128i q2 = _mm_or_si128(_mm_and_si128(l1, m4), _mm_and_si128(_mm_slli_epi16(hb, 2), m30));
                    const __m128i q3 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(l0, 4), m4), _mm_and_si128(hb, m30));
                    const __m128i q4 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(l1, 4), m4), _mm_and_si128(_mm_srli_epi16(hb, 2), m30));
                    w0[r] = _mm512_mul_ps(_mm512_set1_ps(s[0]), widen_i8(_mm_sub_epi8(q1, bias)));
                    w1[r] = _mm512_mul_ps(_mm512_set1_ps(s[2]), widen_i8(_mm_sub_epi8(q2, bias)));
                    w2[r] = _mm512_mul_ps(_mm512_set1_ps(s[4]), widen_i8(_mm_sub_epi8(q3, bias)));
                    w3[r] = _mm512_mul_ps(_mm512_set1_ps(s[6]), widen_i8(_mm_sub_epi8(q4, bias)));
                }
                const long at = 256 * b + 128 * h + 16 * part;
                apply(R, T, 0, w0, x, ldx, at, acc);
                apply(R, T, 1, w1, x, ldx, at + 32, acc);
                apply(R, T, 0, w2, x, ldx, at + 64, acc);
                apply(R, T, 1, w3, x, ldx, at + 96, acc);
            }
        }
    }
}

/// One pass: rows o .. o+R of the layer against token rows 0 .. T of x, into y (no bias).
INLINE void pass(const int R, const int T, floe_format format, const uint8_t *row, long row_bytes, long k,
                 const float *x, long ldx, float *y, long ldy) {
    acc_tile acc;
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < R; r++) {
        _Pragma("clang loop unroll(full)")
        for (int t = 0; t < T; t++) acc[0][r][t] = acc[1][r][t] = _mm512_setzero_ps();
    }
    switch (format) {
    case FLOE_Q4_0: tile_32(R, T, FLOE_Q4_0, row, row_bytes, x, ldx, k, acc); break;
    case FLOE_Q4_1: tile_32(R, T, FLOE_Q4_1, row, row_bytes, x, ldx, k, acc); break;
    case FLOE_Q5_0: tile_32(R, T, FLOE_Q5_0, row, row_bytes, x, ldx, k, acc); break;
    case FLOE_Q5_1: tile_32(R, T, FLOE_Q5_1, row, row_bytes, x, ldx, k, acc); break;
    case FLOE_Q8_0: tile_32(R, T, FLOE_Q8_0, row, row_bytes, x, ldx, k, acc); break;
    case FLOE_Q4_K: tile_q4k(R, T, row, row_bytes, x, ldx, k, acc); break;
    default: tile_q6k(R, T, row, row_bytes, x, ldx, k, acc); break;
    }
    _Pragma("clang loop unroll(full)")
    for (int t = 0; t < T; t++) {
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++)
            y[t * ldy + r] = _mm512_reduce_add_ps(SETS(R, T) == 2 ? _mm512_add_ps(acc[0][r][t], acc[1][r][t]) : acc[0][r][t]);
    }
}

/// `pass` for one format with run-time row and token counts (1 ≤ rn ≤ WROWS, 1 ≤ tn ≤ TOKENS),
/// so that every instance has constant R and T and keeps its accumulators in registers.
INLINE void pass_any(floe_format format, int rn, int tn, const uint8_t *row, long row_bytes, long k, const float *x,
                     long ldx, float *y, long ldy) {
#define CASE(r, t) case t: pass(r, t, format, row, row_bytes, k, x, ldx, y, ldy); return;
#define K_CASES(r) switch (tn) { CASE(r, 1) CASE(r, 2) CASE(r, 3) CASE(r, 4) CASE(r, 5) CASE(r, 6) CASE(r, 7) default: pass(r, TOKENS_K, format, row, row_bytes, k, x, ldx, y, ldy); return; }
#define TOKEN_CASES(r) switch (tn) { CASE(r, 1) CASE(r, 2) CASE(r, 3) CASE(r, 4) CASE(r, 5) CASE(r, 6) CASE(r, 7) CASE(r, 8) CASE(r, 9) CASE(r, 10) CASE(r, 11) default: pass(r, TOKENS, format, row, row_bytes, k, x, ldx, y, ldy); return; }
    if (format == FLOE_Q4_K || format == FLOE_Q6_K) {
        if (rn == WROWS) K_CASES(WROWS)
        else K_CASES(1)
    }
    if (rn == WROWS) TOKEN_CASES(WROWS)
    else TOKEN_CASES(1)
#undef TOKEN_CASES
#undef K_CASES
#undef CASE
}

/// Rows [o0, o1) of one format for n tokens.
INLINE void rows_format(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x, long ldx,
                        long n, float *y, long ldy, long o0, long o1) {
    for (long o = o0; o < o1; o += WROWS) {
        const int rn = o1 - o < WROWS ? (int)(o1 - o) : WROWS;
        // Passes of balanced size (17 rows: 9 + 8, not 12 + 5): each costs a decode.
        const long most = format == FLOE_Q4_K || format == FLOE_Q6_K ? TOKENS_K : TOKENS;
        const long passes = (n + most - 1) / most, size = (n + passes - 1) / passes;
        for (long t = 0; t < n; t += size) {
            const int tn = n - t < size ? (int)(n - t) : (int)size;
            pass_any(format, rn, tn, weight + o * row_bytes, row_bytes, k, x + t * ldx, ldx, y + t * ldy + o, ldy);
        }
    }
}

int floe_rows_avx512(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x, long ldx,
                     long n, const float *bias, float *y, long ldy, long o0, long o1) {
    switch (format) {
#define CASE(f) case f: rows_format(f, weight, row_bytes, k, x, ldx, n, y, ldy, o0, o1); break;
    CASE(FLOE_Q4_0) CASE(FLOE_Q4_1) CASE(FLOE_Q5_0) CASE(FLOE_Q5_1) CASE(FLOE_Q8_0) CASE(FLOE_Q4_K) CASE(FLOE_Q6_K)
#undef CASE
    default: return 0;
    }
    if (bias)
        for (long t = 0; t < n; t++)
            for (long o = o0; o < o1; o++) y[t * ldy + o] += bias[o];
    return 1;
}

#pragma clang attribute pop
