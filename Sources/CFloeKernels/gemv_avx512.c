// Fused single-token matrix-vector kernels (AVX-512) for the formats the target models use.
//
// Why: decode reads every weight once, so it should run at memory speed. The generic gemv
// (decode a chunk to an L1 buffer, then FMA) measured 5.8 GB/s per core on Q4_1 [576x576] —
// compute-bound on the store/reload and per-8 conversions. Here each block's integers are
// widened straight into zmm registers, multiplied with f32 activations, and the block scale is
// applied once per block: Σ d·q·x = d·Σ q·x. Offsets (q4_1/q4_K mins, the −8/−16/−32 biases of
// symmetric formats) use Σx per 32 (or 16) activations, computed once per call:
// Σ (d·q + m)·x = d·Σ q·x + m·Σ x. Activations stay f32, so accuracy matches the reference to
// rounding order — except q4_0/q5_0/q8_0, whose activations are rounded to int16 per 32 (error
// bound below; the model tests' 1e-3 logit tolerance and greedy tokens hold).
//
// Rows are processed four at a time (register blocking over rows): each activation chunk is
// loaded once for four weight rows, the format switch is resolved outside the loops, and the
// symmetric 32-element formats are made signed in the byte domain (q5_0's 5th bit straight
// from the qh mask via a masked byte subtract), so they need no offset term. With four row
// streams interleaved the hardware prefetcher no longer keeps up on a large matrix (a q8_0
// lm_head fell from 27 to 8 GB/s), so the kernel prefetches the row group two groups ahead.
// FloeKernelBench, 2-core Zen 5, best of noisy runs (another build was running), 1 thread,
// cache-hot single layers, before → after:
//   q5_0 [4864x896] 9.4 → 15.2 GB/s, q4_1 [1536x576] 8.7 → 17.3, q8_0 [128x896] 29.8 → 39.4,
//   q4_K [896x4864] 12.3 → 14.5, q6_K [896x4864] 14.7 → ~14.5 (unchanged),
//   q8_0 lm_head [151936x896] (streaming) 27.7 → 40.3.
// Whole decode linears, 1 thread: Qwen2.5-0.5B Q4_K_M 9.1 → 16.2 GB/s, SmolLM2 Q4_1 6.8 → 15.4.
// q6_K then took its 16 d·scale factors as one vector per block (19.6 GB/s), q4_K unpacked its
// scales/mins with 32-bit word ops and vector converts (20.9 GB/s).
// Finally q4_0/q5_0/q8_0 moved to int16 activations + vpmaddwd (see "int16 activations"
// below): q5_0 [4864x896] 15.8 → 19.8 GB/s, q8_0 [128x896] 40.7 → 49.6 GB/s (1 thread);
// Qwen decode linears, 1 thread, 19.4–20.2 → 21.2–22.5 GB/s.
#include "kernels_internal.h"
#include <immintrin.h>
#include <string.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), apply_to = function)

#include "blocks_avx512.h"

/// R rows (R ≤ 4) of a 32-element format at once, so each activation chunk and Σx is loaded
/// once for all of them: y[r] = Σ_b d_rb·Σq·x + Σ_b m_rb·Σx_b.
#ifndef PREFETCH_GROUPS
#define PREFETCH_GROUPS 2
#endif
INLINE void dot_rows_32(const int R, floe_format format, const uint8_t *row, long row_bytes, const float *x,
                        const float *xsum, long blocks, float *out) {
    __m512 acc[4];
    float offset[4] = {0, 0, 0, 0};
    const int bb = floe_block_bytes[format];
    const int offsets = format == FLOE_Q4_1 || format == FLOE_Q5_1;
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    // Interleaving four row streams defeats the hardware prefetcher (a streaming q8_0 lm_head
    // fell from 27 to 8 GB/s), so the next group of rows (4·row_bytes ahead, contiguous) is
    // prefetched in step: 4·bb ≤ 136 bytes per block, covered by three lines.
    const uint8_t *ahead = row + PREFETCH_GROUPS * 4 * row_bytes;
    for (long b = 0; b < blocks; b++, row += bb, x += 32, ahead += 4 * bb) {
        if (R == 4) {
            _mm_prefetch((const char *)ahead, _MM_HINT_T0);
            _mm_prefetch((const char *)ahead + 64, _MM_HINT_T0);
            _mm_prefetch((const char *)ahead + 128, _MM_HINT_T0);
        }
        const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++) {
            const uint8_t *p = row + r * row_bytes;
            __m512 lo, hi;
            block_weights(format, p, &lo, &hi);
            const __m512 s = _mm512_fmadd_ps(hi, x1, _mm512_mul_ps(lo, x0));
            acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(half(p)), s, acc[r]);
            if (offsets) offset[r] += half(p + 2) * xsum[b];
        }
    }
    for (int r = 0; r < R; r++) out[r] = _mm512_reduce_add_ps(acc[r]) + offset[r];
}

/// Rows [o0, o1) of a 32-element format, four at a time.
INLINE void gemv_32(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x,
                    const float *sums, const float *bias, float *y, long o0, long o1) {
    long o = o0;
    float v[4];
    for (; o + 4 <= o1; o += 4) {
        dot_rows_32(4, format, weight + o * row_bytes, row_bytes, x, sums, k / 32, v);
        for (int r = 0; r < 4; r++) y[o + r] = v[r] + (bias ? bias[o + r] : 0.0f);
    }
    for (; o < o1; o++) {
        dot_rows_32(1, format, weight + o * row_bytes, row_bytes, x, sums, k / 32, v);
        y[o] = v[0] + (bias ? bias[o] : 0.0f);
    }
}

// MARK: int16 activations (q4_0, q5_0, q8_0)
//
// For the symmetric formats the activations are rounded once per call to int16 with one scale
// per 32 (dx = max|x|/32767), so a block's Σq·x is an exact integer: vpmaddwd sums pairs of
// int16 products (|q| ≤ 128, |x16| ≤ 32767: |pair| < 2^23, exact in int32 and in the f32 it is
// converted to). The only new error is the rounding of x: |Δx| ≤ dx/2 = max|x_block|/65534,
// i.e. ≤ 1.5e-5 of the block's largest activation — far inside the 1e-3 logit tolerance of the
// model tests (8-bit activations would be 128× coarser). It replaces two widenings, two
// conversions and a multiply per block with one widening, one vpmaddwd and one conversion.

enum { I16_MAX_K = 16384 };

/// x16 = round(x/dx) per 32 activations, dx = max|x|/32767 (0 for an all-zero block).
static void quantize_x16(const float *x, long k, int16_t *x16, float *dx) {
    const __m512 sign = _mm512_set1_ps(-0.0f);
    for (long b = 0; b < k / 32; b++) {
        const __m512 a = _mm512_loadu_ps(x + 32 * b), c = _mm512_loadu_ps(x + 32 * b + 16);
        const float m = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_andnot_ps(sign, a), _mm512_andnot_ps(sign, c)));
        const float inv = m > 0 ? 32767.0f / m : 0.0f;
        dx[b] = m / 32767.0f;
        const __m512 s = _mm512_set1_ps(inv);
        __m512i ia = _mm512_cvtps_epi32(_mm512_mul_ps(a, s)), ic = _mm512_cvtps_epi32(_mm512_mul_ps(c, s));
        _mm256_storeu_si256((__m256i *)(x16 + 32 * b), _mm512_cvtsepi32_epi16(ia));
        _mm256_storeu_si256((__m256i *)(x16 + 32 * b + 16), _mm512_cvtsepi32_epi16(ic));
    }
}

/// The 32 weights of a q4_0/q5_0/q8_0 block as signed int16 (elements 0..31 in order).
INLINE __m512i block_i16(floe_format format, const uint8_t *row) {
    if (format == FLOE_Q8_0) return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(row + 2)));
    const __m128i m4 = _mm_set1_epi8(0x0F);
    __m128i v = _mm_loadu_si128((const __m128i *)(row + (format == FLOE_Q4_0 ? 2 : 6)));
    __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), m4), _mm_and_si128(v, m4));
    if (format == FLOE_Q4_0) {
        q = _mm256_sub_epi8(q, _mm256_set1_epi8(8));
    } else {  // q5_0: 5th bit clear means nibble − 16
        uint32_t qh;
        memcpy(&qh, row + 2, 4);
        q = _mm256_mask_sub_epi8(q, (__mmask32)~qh, q, _mm256_set1_epi8(16));
    }
    return _mm512_cvtepi8_epi16(q);
}

INLINE void dot_rows_i16(const int R, floe_format format, const uint8_t *row, long row_bytes, const int16_t *x16,
                         const float *dx, long blocks, float *out) {
    __m512 acc[4];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    const int bb = floe_block_bytes[format];
    const uint8_t *ahead = row + PREFETCH_GROUPS * 4 * row_bytes;
    for (long b = 0; b < blocks; b++, row += bb, x16 += 32, ahead += 4 * bb) {
        if (R == 4) {
            _mm_prefetch((const char *)ahead, _MM_HINT_T0);
            _mm_prefetch((const char *)ahead + 64, _MM_HINT_T0);
            _mm_prefetch((const char *)ahead + 128, _MM_HINT_T0);
        }
        const __m512i xv = _mm512_loadu_si512((const void *)x16);
        const float dxb = dx[b];
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++) {
            const uint8_t *p = row + r * row_bytes;
            const __m512 s = _mm512_cvtepi32_ps(_mm512_madd_epi16(block_i16(format, p), xv));
            acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(half(p) * dxb), s, acc[r]);
        }
    }
    for (int r = 0; r < R; r++) out[r] = _mm512_reduce_add_ps(acc[r]);
}

INLINE void gemv_i16(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x,
                     const float *bias, float *y, long o0, long o1) {
    _Alignas(64) int16_t x16[I16_MAX_K];
    float dx[I16_MAX_K / 32];
    quantize_x16(x, k, x16, dx);
    long o = o0;
    float v[4];
    for (; o + 4 <= o1; o += 4) {
        dot_rows_i16(4, format, weight + o * row_bytes, row_bytes, x16, dx, k / 32, v);
        for (int r = 0; r < 4; r++) y[o + r] = v[r] + (bias ? bias[o + r] : 0.0f);
    }
    for (; o < o1; o++) {
        dot_rows_i16(1, format, weight + o * row_bytes, row_bytes, x16, dx, k / 32, v);
        y[o] = v[0] + (bias ? bias[o] : 0.0f);
    }
}

/// q4_K / q5_K: 8 sub-blocks of 32 with 6-bit scales and mins; R rows (R ≤ 4) at once so
/// the activations are loaded once for all of them (see dot_rows_32 for the prefetch).
INLINE void dot_rows_k4(const int R, int five, const uint8_t *row, long row_bytes, const float *x, const float *xsum,
                        long blocks, float *out) {
    __m512 acc[4];
    __m256 offset[4];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps(), offset[r] = _mm256_setzero_ps();
    const long bb = five ? 176 : 144;
    const __m128i m4 = _mm_set1_epi8(0x0F);
    const uint8_t *ahead = row + PREFETCH_GROUPS * 4 * row_bytes;
    for (long b = 0; b < blocks; b++, row += bb, x += 256, xsum += 8, ahead += 4 * bb) {
        // The 12 packed bytes hold eight 6-bit scales and mins; unpacked four at a time in
        // 32-bit words (byte bits 6..7 of q[0..7] become bits 4..5 of the upper four), then
        // converted as vectors: d·scale to memory for broadcasts, dmin·min·Σx accumulated.
        _Alignas(32) float dsc[4][8];
        const __m256 xs = _mm256_loadu_ps(xsum);
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++) {
            const uint8_t *p = row + r * row_bytes;
            __m256 scf, mnf;
            q4k_scales_mins(p, &scf, &mnf);
            _mm256_store_ps(dsc[r], _mm256_mul_ps(_mm256_set1_ps(half(p)), scf));
            offset[r] = _mm256_fnmadd_ps(_mm256_mul_ps(_mm256_set1_ps(half(p + 2)), mnf), xs, offset[r]);
        }
        for (int pair = 0; pair < 4; pair++) {
            if (R == 4)
                for (int l = 0; l < 3 * 64; l += 64) _mm_prefetch((const char *)ahead + 192 * pair + l, _MM_HINT_T0);
            const float *xp = x + 64 * pair;
            const __m512 x0 = _mm512_loadu_ps(xp), x1 = _mm512_loadu_ps(xp + 16), x2 = _mm512_loadu_ps(xp + 32), x3 = _mm512_loadu_ps(xp + 48);
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < R; r++) {
                const uint8_t *p = row + r * row_bytes, *qh = p + 16, *qs = p + (five ? 48 : 16);
                __m128i v0 = _mm_loadu_si128((const __m128i *)(qs + 32 * pair)), v1 = _mm_loadu_si128((const __m128i *)(qs + 32 * pair + 16));
                __m128i a0 = _mm_and_si128(v0, m4), a1 = _mm_and_si128(v1, m4);
                __m128i b0 = _mm_and_si128(_mm_srli_epi16(v0, 4), m4), b1 = _mm_and_si128(_mm_srli_epi16(v1, 4), m4);
                if (five) {
                    const __m128i sixteen = _mm_set1_epi8(16);
                    __m128i h0 = _mm_loadu_si128((const __m128i *)qh), h1 = _mm_loadu_si128((const __m128i *)(qh + 16));
                    __m128i u1 = _mm_set1_epi8((char)(1 << (2 * pair))), u2 = _mm_set1_epi8((char)(2 << (2 * pair)));
                    a0 = _mm_mask_add_epi8(a0, _mm_test_epi8_mask(h0, u1), a0, sixteen);
                    a1 = _mm_mask_add_epi8(a1, _mm_test_epi8_mask(h1, u1), a1, sixteen);
                    b0 = _mm_mask_add_epi8(b0, _mm_test_epi8_mask(h0, u2), b0, sixteen);
                    b1 = _mm_mask_add_epi8(b1, _mm_test_epi8_mask(h1, u2), b1, sixteen);
                }
                __m512 s0 = _mm512_fmadd_ps(widen_u8(a1), x1, _mm512_mul_ps(widen_u8(a0), x0));
                __m512 s1 = _mm512_fmadd_ps(widen_u8(b1), x3, _mm512_mul_ps(widen_u8(b0), x2));
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(dsc[r][2 * pair]), s0, acc[r]);
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(dsc[r][2 * pair + 1]), s1, acc[r]);
            }
        }
    }
    for (int r = 0; r < R; r++) out[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc[r], _mm512_castps256_ps512(offset[r])));
}

/// q6_K: 16 runs of 16 with i8 scales; values are 6-bit minus 32 (applied in the byte
/// domain). R rows (R ≤ 4) at once, as dot_rows_k4.
INLINE void dot_rows_q6k(const int R, const uint8_t *row, long row_bytes, const float *x, long blocks, float *out) {
    __m512 acc0[4], acc1[4];
    for (int r = 0; r < R; r++) acc0[r] = acc1[r] = _mm512_setzero_ps();
    const __m128i m4 = _mm_set1_epi8(0x0F), m30 = _mm_set1_epi8(0x30), bias = _mm_set1_epi8(32);
    const uint8_t *ahead = row + PREFETCH_GROUPS * 4 * row_bytes;
    for (long b = 0; b < blocks; b++, row += 210, ahead += 4 * 210) {
        // d·scale for the 16 runs of each row, converted as one vector; the per-run
        // broadcasts then come from memory (a load, not a scalar convert + shuffle).
        _Alignas(64) float sd[4][16];
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < R; i++) {
            const uint8_t *p = row + i * row_bytes;
            _mm512_store_ps(sd[i], _mm512_mul_ps(_mm512_set1_ps(half(p + 208)), widen_i8(_mm_loadu_si128((const __m128i *)(p + 192)))));
        }
        for (int half_ = 0; half_ < 2; half_++) {
            const float *xh = x + 256 * b + 128 * half_;
            for (int r = 0; r < 2; r++) {  // l in [16r, 16r+16)
                if (R == 4)
                    for (int l = 0; l < 4 * 64; l += 64) _mm_prefetch((const char *)ahead + 256 * (2 * half_ + r) + l, _MM_HINT_T0);
                const float *xr = xh + 16 * r;
                const __m512 x0 = _mm512_loadu_ps(xr), x1 = _mm512_loadu_ps(xr + 32), x2 = _mm512_loadu_ps(xr + 64), x3 = _mm512_loadu_ps(xr + 96);
                _Pragma("clang loop unroll(full)")
                for (int i = 0; i < R; i++) {
                    const uint8_t *p = row + i * row_bytes;
                    const float *s = sd[i] + 8 * half_ + r;
                    const uint8_t *ql = p + 64 * half_, *qh = p + 128 + 32 * half_;
                    __m128i l0 = _mm_loadu_si128((const __m128i *)(ql + 16 * r)), l1 = _mm_loadu_si128((const __m128i *)(ql + 32 + 16 * r));
                    __m128i h = _mm_loadu_si128((const __m128i *)(qh + 16 * r));
                    __m128i q1 = _mm_or_si128(_mm_and_si128(l0, m4), _mm_and_si128(_mm_slli_epi16(h, 4), m30));
                    __m128i q2 = _mm_or_si128(_mm_and_si128(l1, m4), _mm_and_si128(_mm_slli_epi16(h, 2), m30));
                    __m128i q3 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(l0, 4), m4), _mm_and_si128(h, m30));
                    __m128i q4 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(l1, 4), m4), _mm_and_si128(_mm_srli_epi16(h, 2), m30));
                    acc0[i] = _mm512_fmadd_ps(_mm512_set1_ps(s[0]), _mm512_mul_ps(widen_i8(_mm_sub_epi8(q1, bias)), x0), acc0[i]);
                    acc1[i] = _mm512_fmadd_ps(_mm512_set1_ps(s[2]), _mm512_mul_ps(widen_i8(_mm_sub_epi8(q2, bias)), x1), acc1[i]);
                    acc0[i] = _mm512_fmadd_ps(_mm512_set1_ps(s[4]), _mm512_mul_ps(widen_i8(_mm_sub_epi8(q3, bias)), x2), acc0[i]);
                    acc1[i] = _mm512_fmadd_ps(_mm512_set1_ps(s[6]), _mm512_mul_ps(widen_i8(_mm_sub_epi8(q4, bias)), x3), acc1[i]);
                }
            }
        }
    }
    for (int r = 0; r < R; r++) out[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[r], acc1[r]));
}

/// y[o] = W[o]·x + bias[o] for o in [o0, o1), one token; `sums` = Σx per 32 activations.
void floe_gemv1_avx512(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x,
                       const float *sums, const float *bias, float *y, long o0, long o1) {
    switch (format) {
#ifndef FLOE_F32_GEMV1
    case FLOE_Q4_0: if (k <= I16_MAX_K) { gemv_i16(FLOE_Q4_0, weight, row_bytes, k, x, bias, y, o0, o1); return; } break;
    case FLOE_Q5_0: if (k <= I16_MAX_K) { gemv_i16(FLOE_Q5_0, weight, row_bytes, k, x, bias, y, o0, o1); return; } break;
    case FLOE_Q8_0: if (k <= I16_MAX_K) { gemv_i16(FLOE_Q8_0, weight, row_bytes, k, x, bias, y, o0, o1); return; } break;
#endif
    default: break;
    }
    switch (format) {
    case FLOE_Q4_0: gemv_32(FLOE_Q4_0, weight, row_bytes, k, x, sums, bias, y, o0, o1); return;
    case FLOE_Q4_1: gemv_32(FLOE_Q4_1, weight, row_bytes, k, x, sums, bias, y, o0, o1); return;
    case FLOE_Q5_0: gemv_32(FLOE_Q5_0, weight, row_bytes, k, x, sums, bias, y, o0, o1); return;
    case FLOE_Q5_1: gemv_32(FLOE_Q5_1, weight, row_bytes, k, x, sums, bias, y, o0, o1); return;
    case FLOE_Q8_0: gemv_32(FLOE_Q8_0, weight, row_bytes, k, x, sums, bias, y, o0, o1); return;
    default: break;
    }
    long o = o0;
    float v[4];
#define K_ROWS(R)                                                                                  \
    switch (format) {                                                                              \
    case FLOE_Q4_K: dot_rows_k4(R, 0, weight + o * row_bytes, row_bytes, x, sums, k / 256, v); break; \
    case FLOE_Q5_K: dot_rows_k4(R, 1, weight + o * row_bytes, row_bytes, x, sums, k / 256, v); break; \
    default: dot_rows_q6k(R, weight + o * row_bytes, row_bytes, x, k / 256, v); break;             \
    }                                                                                              \
    for (int r = 0; r < R; r++) y[o + r] = v[r] + (bias ? bias[o + r] : 0.0f);
    for (; o + 4 <= o1; o += 4) { K_ROWS(4) }
    for (; o < o1; o++) { K_ROWS(1) }
#undef K_ROWS
}

#pragma clang attribute pop
