// The two linear-layer paths, included by each variant file after dequant_impl.h.
//
// Design (measured on a 2-core Zen 5; numbers in Sources/FloeKernelBench and the FloeCPU
// report): activations stay f32 — quantizing them to 8 bits as llama.cpp does would break the
// 1e-3 relative logit tolerance the model tests demand.
// - gemv (decode, n ≤ GEMV_MAX_N): decode KCHUNK weights of a row into an L1 buffer with the
//   SIMD decoders, then FMA them against every token row. The weights are read once per call.
// - gemm (prefill): decode a panel of NR weight rows × KC columns once, transpose it to
//   [KC][NR], and run an MR×NR register-blocked micro-kernel over all tokens, so decoding
//   cost is amortised over n tokens and the FMA units stay busy.

#define GEMV_CHUNK 512
#define NR (2 * VW)
#if FLOE_VARIANT == 2
#define MR 12
#elif FLOE_VARIANT == 1
#define MR 6
#else
#define MR 4
#endif

static void linear_gemv(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x, long ldx,
                        long n, const float *bias, float *y, long ldy, long o0, long o1) {
    _Alignas(64) float buffer[GEMV_CHUNK];
    const long bs = floe_block_size[format], bb = floe_block_bytes[format];
    for (long o = o0; o < o1; o++) {
        const uint8_t *row = weight + o * row_bytes;
        for (long t0 = 0; t0 < n; t0 += 4) {
            const long tn = n - t0 < 4 ? n - t0 : 4;
            vf acc[4][2];
            for (int t = 0; t < 4; t++) acc[t][0] = acc[t][1] = vzero();
            for (long k0 = 0; k0 < k; k0 += GEMV_CHUNK) {
                const long len = k - k0 < GEMV_CHUNK ? k - k0 : GEMV_CHUNK;
                const float *w;
                if (format == FLOE_F32) {
                    w = (const float *)row + k0;
                } else {
                    dequantize_blocks(format, row + (k0 / bs) * bb, buffer, len / bs);
                    w = buffer;
                }
                const float *xt = x + t0 * ldx + k0;
                long i = 0;
                for (; i + 2 * VW <= len; i += 2 * VW) {
                    vf w0 = vload(w + i), w1 = vload(w + i + VW);
                    for (int t = 0; t < 4; t++) {
                        if (t < tn) {
                            acc[t][0] = vfma(w0, vload(xt + t * ldx + i), acc[t][0]);
                            acc[t][1] = vfma(w1, vload(xt + t * ldx + i + VW), acc[t][1]);
                        }
                    }
                }
                for (; i < len; i += VW) {  // only for f32/f16/bf16 rows of odd length
                    long m = len - i < VW ? len - i : VW;
                    vf w0 = vload_n(w + i, m);
                    for (int t = 0; t < tn; t++) acc[t][0] = vfma(w0, vload_n(xt + t * ldx + i, m), acc[t][0]);
                }
            }
            for (int t = 0; t < tn; t++) y[(t0 + t) * ldy + o] = vsum(vadd(acc[t][0], acc[t][1])) + (bias ? bias[o] : 0.0f);
        }
    }
}

/// C[0..mr, 0..cols) (+)= A[0..mr, 0..kc) · B[0..kc, 0..NR); mr is a compile-time constant at
/// every call site, so the accumulators live in registers.
FLOE_INLINE void micro_kernel(const int mr, long kc, const float *a, long lda, const float *b, float *c, long ldc,
                              int accumulate, long cols, const float *bias) {
    // Loops over i are fully unrolled (mr is a constant here) so c0/c1 stay in registers;
    // without the pragmas clang kept them on the stack and ran at half speed.
    vf c0[MR], c1[MR];
    _Pragma("clang loop unroll(full)")
    for (int i = 0; i < mr; i++) c0[i] = c1[i] = vzero();
    for (long kk = 0; kk < kc; kk++) {
        vf b0 = vload(b + kk * NR), b1 = vload(b + kk * NR + VW);
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < mr; i++) {
            vf ai = vset1(a[i * lda + kk]);
            c0[i] = vfma(ai, b0, c0[i]);
            c1[i] = vfma(ai, b1, c1[i]);
        }
    }
    const long n0 = cols < VW ? cols : VW, n1 = cols - VW;
    vf bias0 = vzero(), bias1 = vzero();
    if (bias) {
        bias0 = vload_n(bias, n0);
        if (n1 > 0) bias1 = vload_n(bias + VW, n1);
    }
    _Pragma("clang loop unroll(full)")
    for (int i = 0; i < mr; i++) {
        float *ci = c + i * ldc;
        if (accumulate) {
            bias0 = vload_n(ci, n0);
            if (n1 > 0) bias1 = vload_n(ci + VW, n1);
        }
        if (n0 == VW) vstore(ci, vadd(c0[i], bias0)); else vstore_n(ci, vadd(c0[i], bias0), n0);
        if (n1 >= VW) vstore(ci + VW, vadd(c1[i], bias1)); else if (n1 > 0) vstore_n(ci + VW, vadd(c1[i], bias1), n1);
    }
}

static void micro_kernel_any(int mr, long kc, const float *a, long lda, const float *b, float *c, long ldc,
                             int accumulate, long cols, const float *bias) {
    switch (mr) {
#define CASE(m) case m: micro_kernel(m, kc, a, lda, b, c, ldc, accumulate, cols, bias); break;
    CASE(1) CASE(2) CASE(3) CASE(4)
#if MR > 4
    CASE(5) CASE(6)
#endif
#if MR > 6
    CASE(7) CASE(8) CASE(9) CASE(10) CASE(11) CASE(12)
#endif
#undef CASE
    default: break;
    }
}

/// Bytes of decoded weight panels packed at once (a group of panels, kept in L2/L3 while every
/// token block passes over it) and bytes of activations per token block (kept in L2 while every
/// panel of the group passes over it), so activations are read from memory once per group
/// instead of once per panel.
#define GEMM_GROUP_BYTES (2L << 20)
#define GEMM_BLOCK_BYTES (256L << 10)

/// Decodes weight rows [p, p + cols) into `panel` as [k][NR] (columns ≥ cols are zero).
/// Rows are decoded 256 columns at a time into an L1-sized tile, then transposed into the
/// panel with sequential stores (scattering each decoded row straight into the panel, one
/// cache line per element, cost twice as much).
static void pack_panel(floe_format format, const uint8_t *weight, long row_bytes, long k, long p, long cols,
                       float *panel, float *tile, long tile_width) {
    const long bs = floe_block_size[format], bb = floe_block_bytes[format];
    for (long k0 = 0; k0 < k; k0 += tile_width) {
        const long kc = k - k0 < tile_width ? k - k0 : tile_width;
        for (long c = 0; c < NR; c++) {
            float *t = tile + c * tile_width;
            if (c >= cols) memset(t, 0, sizeof(float) * (size_t)kc);
            else if (format == FLOE_F32) memcpy(t, weight + (p + c) * row_bytes + k0 * 4, sizeof(float) * (size_t)kc);
            else dequantize_blocks(format, weight + (p + c) * row_bytes + (k0 / bs) * bb, t, kc / bs);
        }
        for (long kk = 0; kk < kc; kk++) {
            float *dst = panel + (k0 + kk) * NR;
            for (long c = 0; c < NR; c++) dst[c] = tile[c * tile_width + kk];
        }
    }
}

static void linear_gemm(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x, long ldx,
                        long n, const float *bias, float *y, long ldy, long o0, long o1) {
    // The whole K extent of a panel is packed, so each C tile is written exactly once: with
    // K split in chunks, re-reading C tiles that no longer fit in cache (a 49152-wide lm_head
    // output is 100 MB for 512 tokens) cost more than the FMAs.
    // Loop order: panel groups ⊃ token blocks ⊃ panels ⊃ MR-row tiles. Each weight is decoded
    // once per call; each activation row is read from memory once per group; a token block's
    // rows stay in L2 across the group's panels, and a panel in L2 across the block's tiles.
    // (Cutting K into L1-sized slices as well measured no faster at MiniLM's shapes.)
    enum { TILE = 256 };
    const long panel_floats = k * NR;
    const long panels = (o1 - o0 + NR - 1) / NR;
    long group = GEMM_GROUP_BYTES / (panel_floats * (long)sizeof(float));
    group = group < 1 ? 1 : group > panels ? panels : group;
    long block = GEMM_BLOCK_BYTES / (k * (long)sizeof(float)) / MR * MR;
    // At least 8 row tiles per block, so that with a long K (Qwen's 4864-wide FFN-down) a
    // decoded panel is still reused over many rows while in L2.
    block = block < 8 * MR ? 8 * MR : block;
    const int pad_rows = (ldx * (long)sizeof(float)) % 2048 == 0;
    float *packed = floe_thread_scratch((size_t)(group * panel_floats + NR * TILE + (pad_rows ? block * (k + 16) : 0)));
    float *tile = packed + group * panel_floats;
    float *rows = tile + NR * TILE;
    for (long g0 = o0; g0 < o1; g0 += group * NR) {
        const long g1 = o1 - g0 < group * NR ? o1 : g0 + group * NR;
        for (long p = g0; p < g1; p += NR)
            pack_panel(format, weight, row_bytes, k, p, g1 - p < NR ? g1 - p : NR, packed + (p - g0) / NR * panel_floats,
                       tile, TILE);
        for (long t0 = 0; t0 < n; t0 += block) {
            const long t1 = n - t0 < block ? n : t0 + block;
            // Where the row stride is a multiple of 2 KB (FFN-down's 1536 floats), the MR rows
            // the micro-kernel reads at once share one or two L1 sets and evict each other (65%
            // of the FMA peak): such blocks are copied to a stride of k + 16 floats (95%).
            // Other strides read x in place (the copy cost up to 7% where few panels share it).
            const float *a_block = x + t0 * ldx;
            long lda = ldx;
            if (pad_rows) {
                lda = k + 16;
                for (long t = t0; t < t1; t++) memcpy(rows + (t - t0) * lda, x + t * ldx, sizeof(float) * (size_t)k);
                a_block = rows;
            }
            for (long p = g0; p < g1; p += NR) {
                const long cols = g1 - p < NR ? g1 - p : NR;
                const float *b = packed + (p - g0) / NR * panel_floats;
                const float *panel_bias = bias ? bias + p : NULL;
                for (long t = t0; t < t1; t += MR) {
                    const int mr = t1 - t < MR ? (int)(t1 - t) : MR;
                    const float *a = a_block + (t - t0) * lda;
                    float *c = y + t * ldy + p;
                    if (mr == MR) micro_kernel(MR, k, a, lda, b, c, ldy, 0, cols, panel_bias);
                    else micro_kernel_any(mr, k, a, lda, b, c, ldy, 0, cols, panel_bias);
                }
            }
        }
    }
}
