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

static void linear_gemm(floe_format format, const uint8_t *weight, long row_bytes, long k, const float *x, long ldx,
                        long n, const float *bias, float *y, long ldy, long o0, long o1) {
    // The whole K extent of a panel is packed, so each C tile is written exactly once: with
    // K split in chunks, re-reading C tiles that no longer fit in cache (a 49152-wide lm_head
    // output is 100 MB for 512 tokens) cost more than the FMAs.
    // Rows are decoded 256 columns at a time into an L1-sized tile, then transposed into the
    // panel with sequential stores (scattering each decoded row straight into the panel, one
    // cache line per element, cost twice as much).
    enum { TILE = 256 };
    float *packed = floe_thread_scratch((size_t)(k * NR + NR * TILE));
    float *tile = packed + k * NR;
    const long bs = floe_block_size[format], bb = floe_block_bytes[format];
    for (long p = o0; p < o1; p += NR) {
        const long cols = o1 - p < NR ? o1 - p : NR;
        for (long k0 = 0; k0 < k; k0 += TILE) {
            const long kc = k - k0 < TILE ? k - k0 : TILE;
            for (long c = 0; c < NR; c++) {
                float *t = tile + c * TILE;
                if (c >= cols) memset(t, 0, sizeof(float) * (size_t)kc);
                else if (format == FLOE_F32) memcpy(t, weight + (p + c) * row_bytes + k0 * 4, sizeof(float) * (size_t)kc);
                else dequantize_blocks(format, weight + (p + c) * row_bytes + (k0 / bs) * bb, t, kc / bs);
            }
            for (long kk = 0; kk < kc; kk++) {
                float *dst = packed + (k0 + kk) * NR;
                for (long c = 0; c < NR; c++) dst[c] = tile[c * TILE + kk];
            }
        }
        for (long t = 0; t < n; t += MR) {
            const int mr = n - t < MR ? (int)(n - t) : MR;
            const float *a = x + t * ldx;
            float *c = y + t * ldy + p;
            if (mr == MR) micro_kernel(MR, k, a, ldx, packed, c, ldy, 0, cols, bias ? bias + p : NULL);
            else micro_kernel_any(mr, k, a, ldx, packed, c, ldy, 0, cols, bias ? bias + p : NULL);
        }
    }
}
