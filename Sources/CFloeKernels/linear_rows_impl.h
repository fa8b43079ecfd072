// The few-row linear path (2 ≤ n ≤ ROWS_MAX_N tokens, block formats), included by each variant
// file after dequant_impl.h. Speculative verification runs the model over k+1 rows per
// sequence, so this is the path that decides whether drafts are cheap to check. On AVX-512 the
// formats the test models use go to rows_avx512.c first (decoding fused into registers, ~2×
// cheaper again); this buffered form serves AVX2, scalar and the remaining formats.
//
// Why a third path: at n = 1 the fused gemv1 kernels run at memory speed; the old few-token gemv
// decoded every weight chunk once per group of 4 tokens and then streamed the activations with
// one load per FMA, and the GEMM pays ~4× a decode pass to pack transposed panels. Here each
// group of ROWS_R weight rows is decoded once (the SIMD decoders, so weights are bit-exact with
// the reference) into an L1-resident buffer, and every token tile reads it back: an ROWS_R ×
// ROWS_T register block of dot-product accumulators, so one weight vector feeds ROWS_T FMAs and
// one activation vector feeds ROWS_R. A step of n rows then costs one decode pass plus n× the
// FMA work, instead of n/4 decode passes. Activations stay f32 (same accuracy as the GEMM).

#define ROWS_R 4
#if FLOE_VARIANT == 2
#define ROWS_T 6  // 24 zmm accumulators + 4 weights + 1 activation ≤ 32 registers
#elif FLOE_VARIANT == 1
#define ROWS_T 2  // 8 ymm accumulators + 4 weights + 1 activation ≤ 16 registers
#else
#define ROWS_T 4
#endif

/// out[t·ldy + r] = w_r · x_t for r < R, t < T: rows of `w` are `k` floats apart, k a multiple of
/// VW. R and T are compile-time constants at every call site, so the accumulators stay in
/// registers.
FLOE_INLINE void rows_tile(const int R, const int T, long k, const float *w, const float *x, long ldx,
                           float *out, long ldy) {
    vf acc[ROWS_R][ROWS_T];
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < R; r++) {
        _Pragma("clang loop unroll(full)")
        for (int t = 0; t < T; t++) acc[r][t] = vzero();
    }
    for (long i = 0; i < k; i += VW) {
        vf wv[ROWS_R];
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++) wv[r] = vload(w + r * k + i);
        _Pragma("clang loop unroll(full)")
        for (int t = 0; t < T; t++) {
            const vf xv = vload(x + t * ldx + i);
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < R; r++) acc[r][t] = vfma(wv[r], xv, acc[r][t]);
        }
    }
    _Pragma("clang loop unroll(full)")
    for (int t = 0; t < T; t++) {
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++) out[t * ldy + r] = vsum(acc[r][t]);
    }
}

/// rows_tile for a run-time token count 1 ≤ tn ≤ ROWS_T (the last tile of a call).
static void rows_tile_any(const int R, int tn, long k, const float *w, const float *x, long ldx, float *out, long ldy) {
#define TILE(rr, tt) case tt: rows_tile(rr, tt, k, w, x, ldx, out, ldy); return;
#define TILES(rr) switch (tn) { TILE(rr, 1) TILE(rr, 2) TILES_3(rr) default: return; }
#if ROWS_T >= 6
#define TILES_3(rr) TILE(rr, 3) TILE(rr, 4) TILE(rr, 5) TILE(rr, 6)
#elif ROWS_T >= 4
#define TILES_3(rr) TILE(rr, 3) TILE(rr, 4)
#else
#define TILES_3(rr)
#endif
    switch (R) {
    case 1: TILES(1)
    case 2: TILES(2)
    case 3: TILES(3)
    default: TILES(4)
    }
#undef TILES_3
#undef TILES
#undef TILE
}

/// Rows [o0, o1) of a block-format linear layer for n tokens: y[t·ldy + o] = W[o]·x_t + bias[o].
static void linear_rows(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x, long ldx,
                        long n, const float *bias, float *y, long ldy, long o0, long o1) {
#ifdef FLOE_ROWS_FUSED
    if (FLOE_ROWS_FUSED(format, weight, row_bytes, k, x, ldx, n, bias, y, ldy, o0, o1)) return;
#endif
    float *decoded = floe_thread_scratch((size_t)(ROWS_R * k));
    const long blocks = k / floe_block_size[format];
    for (long o = o0; o < o1; o += ROWS_R) {
        const int rn = o1 - o < ROWS_R ? (int)(o1 - o) : ROWS_R;
        for (int r = 0; r < rn; r++) dequantize_blocks(format, weight + (o + r) * row_bytes, decoded + r * k, blocks);
        float *out = y + o;
        for (long t = 0; t < n; t += ROWS_T) {
            const int tn = n - t < ROWS_T ? (int)(n - t) : ROWS_T;
            if (rn == ROWS_R && tn == ROWS_T) rows_tile(ROWS_R, ROWS_T, k, decoded, x + t * ldx, ldx, out + t * ldy, ldy);
            else rows_tile_any(rn, tn, k, decoded, x + t * ldx, ldx, out + t * ldy, ldy);
        }
        if (bias)
            for (long t = 0; t < n; t++)
                for (int r = 0; r < rn; r++) out[t * ldy + r] += bias[o + r];
    }
}
