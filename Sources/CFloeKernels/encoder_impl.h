// Encoder kernels (LayerNorm, GELU, one attention head of one sequence), included by each
// encoder_* variant file after simd.h. Vector bodies with scalar tails.

#if FLOE_VARIANT == 2
#define vabs(v) _mm512_abs_ps(v)
#elif FLOE_VARIANT == 1
#define vabs(v) _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)))
#else
#define vabs(v) fabsf(v)
#endif

static void layer_norm_rows(const float *x, const float *w, const float *b, float epsilon, float *out, long r0,
                            long r1, long d) {
    for (long r = r0; r < r1; r++) {
        const float *xr = x + r * d;
        float *yr = out + r * d;
        // Two passes (mean, then the mean of squared deviations), as PyTorch's LayerNorm.
        vf s = vzero();
        long i = 0;
        for (; i + VW <= d; i += VW) s = vadd(s, vload(xr + i));
        float sum = vsum(s);
        for (; i < d; i++) sum += xr[i];
        const float mean = sum / (float)d;
        const vf mv = vset1(mean);
        vf q = vzero();
        for (i = 0; i + VW <= d; i += VW) {
            vf c = vsub(vload(xr + i), mv);
            q = vfma(c, c, q);
        }
        float squares = vsum(q);
        for (; i < d; i++) squares += (xr[i] - mean) * (xr[i] - mean);
        const float inv = 1.0f / sqrtf(squares / (float)d + epsilon);
        const vf iv = vset1(inv);
        for (i = 0; i + VW <= d; i += VW)
            vstore(yr + i, vfma(vmul(vsub(vload(xr + i), mv), iv), vload(w + i), vload(b + i)));
        for (; i < d; i++) yr[i] = (xr[i] - mean) * inv * w[i] + b[i];
    }
}

/// 0.5 · x · (1 + erf(x/√2)) = 0.5 · (x + |x| · erf(|x|/√2)), so only erf of a non-negative
/// argument is needed: Abramowitz & Stegun 7.1.26, |error| < 1.5e-7.
FLOE_INLINE vf gelu_vector(vf x) {
    const vf a = vmul(vabs(x), vset1(0.70710678118654752f));
    const vf t = vdiv(vset1(1.0f), vfma(vset1(0.3275911f), a, vset1(1.0f)));
    vf p = vset1(1.061405429f);
    p = vfma(p, t, vset1(-1.453152027f));
    p = vfma(p, t, vset1(1.421413741f));
    p = vfma(p, t, vset1(-0.284496736f));
    p = vfma(p, t, vset1(0.254829592f));
    p = vmul(p, t);
    const vf erf_a = vsub(vset1(1.0f), vmul(p, vexp(vsub(vzero(), vmul(a, a)))));
    return vmul(vset1(0.5f), vfma(vabs(x), erf_a, x));
}

static void gelu_range(const float *x, float *out, long i0, long i1) {
    long i = i0;
    for (; i + VW <= i1; i += VW) vstore(out + i, gelu_vector(vload(x + i)));
    if (i < i1) vstore_n(out + i, gelu_vector(vload_n(x + i, i1 - i)), i1 - i);
}

/// Query rows handled together (ATTENTION_QUERIES in encoder_internal.h): each key and value
/// vector loaded from L1 then feeds QB FMAs instead of one. With one query per pass the score
/// and weighted-sum loops issued a load per FMA and ran at about half the FMA rate.
#define QB ATTENTION_QUERIES
/// Position vectors per score pass (QB × PU accumulators: 16 of AVX-512's 32 registers, 8 of
/// AVX2's 16).
#if FLOE_VARIANT == 2
#define PU 4
#else
#define PU 2
#endif

/// scores[i·padded + j] = scale · q_i · k_j for the qn (≤ QB) query rows at `q` (`stride` apart)
/// and all positions j < padded of the transposed keys kt ([hd][padded]).
FLOE_INLINE void attention_scores(const int qn, const float *q, long stride, const float *kt, long padded, long hd,
                                  float scale, float *scores) {
    const vf sv = vset1(scale);
    long j0 = 0;
    for (; j0 + PU * VW <= padded; j0 += PU * VW) {
        vf acc[QB][PU];
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < qn; i++) {
            _Pragma("clang loop unroll(full)")
            for (int u = 0; u < PU; u++) acc[i][u] = vzero();
        }
        for (long c = 0; c < hd; c++) {
            const float *kc = kt + c * padded + j0;
            vf kv[PU];
            _Pragma("clang loop unroll(full)")
            for (int u = 0; u < PU; u++) kv[u] = vload(kc + u * VW);
            _Pragma("clang loop unroll(full)")
            for (int i = 0; i < qn; i++) {
                const vf qc = vset1(q[i * stride + c]);
                _Pragma("clang loop unroll(full)")
                for (int u = 0; u < PU; u++) acc[i][u] = vfma(qc, kv[u], acc[i][u]);
            }
        }
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < qn; i++) {
            _Pragma("clang loop unroll(full)")
            for (int u = 0; u < PU; u++) vstore(scores + i * padded + j0 + u * VW, vmul(acc[i][u], sv));
        }
    }
    for (; j0 < padded; j0 += VW) {
        vf acc[QB];
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < qn; i++) acc[i] = vzero();
        for (long c = 0; c < hd; c++) {
            const vf kv = vload(kt + c * padded + j0);
            _Pragma("clang loop unroll(full)")
            for (int i = 0; i < qn; i++) acc[i] = vfma(vset1(q[i * stride + c]), kv, acc[i]);
        }
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < qn; i++) vstore(scores + i * padded + j0, vmul(acc[i], sv));
    }
}

/// out_i[c, c + 2·VW) = inv_i · Σ_j p_ij · v_j[c, c + 2·VW) for the qn query rows: two value
/// vectors loaded per position feed 2·qn FMAs. `w0`/`w1` are the dimensions the two vectors
/// cover (VW unless at the end of an odd head size; the loads are then masked).
FLOE_INLINE void attention_values(const int qn, const int full, const float *p, long padded, const float *v,
                                  long stride, long length, const float *inv, long w0, long w1, float *out,
                                  long out_stride) {
    vf acc[QB][2];
    _Pragma("clang loop unroll(full)")
    for (int i = 0; i < qn; i++) acc[i][0] = acc[i][1] = vzero();
    for (long j = 0; j < length; j++) {
        const float *vj = v + j * stride;
        const vf v0 = full ? vload(vj) : vload_n(vj, w0), v1 = full ? vload(vj + VW) : vload_n(vj + VW, w1);
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < qn; i++) {
            const vf pij = vset1(p[i * padded + j]);
            acc[i][0] = vfma(pij, v0, acc[i][0]);
            acc[i][1] = vfma(pij, v1, acc[i][1]);
        }
    }
    _Pragma("clang loop unroll(full)")
    for (int i = 0; i < qn; i++) {
        const vf scale = vset1(inv[i]);
        if (full) {
            vstore(out + i * out_stride, vmul(acc[i][0], scale));
            vstore(out + i * out_stride + VW, vmul(acc[i][1], scale));
        } else {
            vstore_n(out + i * out_stride, vmul(acc[i][0], scale), w0);
            vstore_n(out + i * out_stride + VW, vmul(acc[i][1], scale), w1);
        }
    }
}

/// Softmax weights of one score row in place (padding positions are never read) and 1 / Σ.
static float softmax_row(float *scores, long length) { return 1.0f / exp_minus_max(scores, scores, length); }

/// The qn (≤ QB) query rows from `i`: scores, softmax, weighted values.
FLOE_INLINE void attention_queries(const int qn, const float *q, const float *v, long stride, long length,
                                   long padded, long hd, float scale, const float *kt, float *scores, float *out,
                                   long out_stride) {
    attention_scores(qn, q, stride, kt, padded, hd, scale, scores);
    float inv[QB];
    for (int i = 0; i < qn; i++) inv[i] = softmax_row(scores + i * padded, length);
    for (long c = 0; c < hd; c += 2 * VW) {
        const long w0 = hd - c < VW ? hd - c : VW, rest = hd - c - VW, w1 = rest < 0 ? 0 : rest < VW ? rest : VW;
        if (c + 2 * VW <= hd) attention_values(qn, 1, scores, padded, v + c, stride, length, inv, VW, VW, out + c, out_stride);
        else attention_values(qn, 0, scores, padded, v + c, stride, length, inv, w0, w1, out + c, out_stride);
    }
}

/// One head of one sequence of `length` tokens: query, key and value rows `stride` floats apart.
/// The keys are first transposed into `scratch` ([hd][padded length]) so the scores of one query
/// are FMAs across positions, without a horizontal sum per position; `scratch` also holds the
/// scores of QB queries. Writes `length` rows of `hd` to `out`, `out_stride` apart.
static void encoder_attention_head(const float *q, const float *k, const float *v, long stride, long length, long hd,
                                   float scale, float *out, long out_stride, float *scratch) {
    const long padded = (length + VW - 1) / VW * VW;
    float *kt = scratch, *scores = scratch + hd * padded;
    // Element by element, in store order: vectorized, clang turned this into scatters, which
    // cost ~15% of the kernel at 50 tokens.
    for (long c = 0; c < hd; c++) {
        _Pragma("clang loop vectorize(disable)")
        for (long j = 0; j < length; j++) kt[c * padded + j] = k[j * stride + c];
        for (long j = length; j < padded; j++) kt[c * padded + j] = 0;
    }
    long i = 0;
    for (; i + QB <= length; i += QB)
        attention_queries(QB, q + i * stride, v, stride, length, padded, hd, scale, kt, scores, out + i * out_stride, out_stride);
    switch (length - i) {
#define CASE(m) case m: attention_queries(m, q + i * stride, v, stride, length, padded, hd, scale, kt, scores, out + i * out_stride, out_stride); break;
    CASE(1) CASE(2) CASE(3)
#undef CASE
    default: break;
    }
}

const floe_encoder_kernels FLOE_ENCODER_KERNELS_NAME = {
    .layer_norm = layer_norm_rows,
    .gelu = gelu_range,
    .attention_head = encoder_attention_head,
};
