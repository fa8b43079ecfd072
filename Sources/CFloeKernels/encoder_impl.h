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

/// One head of one sequence of `length` tokens: query, key and value rows `stride` floats apart.
/// The keys are first transposed into `scratch` ([hd][padded length]) so the scores of one query
/// are FMAs across positions, without a horizontal sum per position; `scratch` also holds the
/// scores. Writes `length` rows of `hd` to `out`, `out_stride` apart.
static void encoder_attention_head(const float *q, const float *k, const float *v, long stride, long length, long hd,
                                   float scale, float *out, long out_stride, float *scratch) {
    const long padded = (length + VW - 1) / VW * VW;
    float *kt = scratch, *scores = scratch + hd * padded;
    for (long j = 0; j < length; j++)
        for (long c = 0; c < hd; c++) kt[c * padded + j] = k[j * stride + c];
    for (long c = 0; c < hd; c++)
        for (long j = length; j < padded; j++) kt[c * padded + j] = 0;
    const vf sv = vset1(scale);
    for (long i = 0; i < length; i++) {
        const float *qi = q + i * stride;
        // Scores, four position chunks at a time: four independent FMA chains hide the FMA
        // latency that one chain over hd would wait on.
        float mx = -INFINITY;
        long j0 = 0;
        for (; j0 + 4 * VW <= padded; j0 += 4 * VW) {
            vf a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
            for (long c = 0; c < hd; c++) {
                const vf qc = vset1(qi[c]);
                const float *kc = kt + c * padded + j0;
                a0 = vfma(qc, vload(kc), a0);
                a1 = vfma(qc, vload(kc + VW), a1);
                a2 = vfma(qc, vload(kc + 2 * VW), a2);
                a3 = vfma(qc, vload(kc + 3 * VW), a3);
            }
            vstore(scores + j0, vmul(a0, sv));
            vstore(scores + j0 + VW, vmul(a1, sv));
            vstore(scores + j0 + 2 * VW, vmul(a2, sv));
            vstore(scores + j0 + 3 * VW, vmul(a3, sv));
        }
        for (; j0 < padded; j0 += VW) {
            vf acc = vzero();
            for (long c = 0; c < hd; c++) acc = vfma(vset1(qi[c]), vload(kt + c * padded + j0), acc);
            vstore(scores + j0, vmul(acc, sv));
        }
        for (long j = 0; j < length; j++) mx = fmaxf(mx, scores[j]);
        // Softmax weights (padding positions get 0).
        const vf mv = vset1(mx);
        vf sum = vzero();
        long j = 0;
        for (; j + VW <= length; j += VW) {
            vf e = vexp(vsub(vload(scores + j), mv));
            vstore(scores + j, e);
            sum = vadd(sum, e);
        }
        float total = vsum(sum);
        for (; j < length; j++) {
            scores[j] = expf(scores[j] - mx);
            total += scores[j];
        }
        const float inv = 1.0f / total;
        // out_i = Σ_j p_j · v_j, VW dimensions at a time, four positions per step in separate
        // accumulators (again to break the FMA dependency chain).
        float *oi = out + i * out_stride;
        for (long c = 0; c < hd; c += VW) {
            const long w = hd - c < VW ? hd - c : VW;
            vf a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
            const float *vc = v + c;
            for (j = 0; j + 4 <= length; j += 4) {
                a0 = vfma(vset1(scores[j]), vload_n(vc + j * stride, w), a0);
                a1 = vfma(vset1(scores[j + 1]), vload_n(vc + (j + 1) * stride, w), a1);
                a2 = vfma(vset1(scores[j + 2]), vload_n(vc + (j + 2) * stride, w), a2);
                a3 = vfma(vset1(scores[j + 3]), vload_n(vc + (j + 3) * stride, w), a3);
            }
            for (; j < length; j++) a0 = vfma(vset1(scores[j]), vload_n(vc + j * stride, w), a0);
            vstore_n(oi + c, vmul(vadd(vadd(a0, a1), vadd(a2, a3)), vset1(inv)), w);
        }
    }
}

const floe_encoder_kernels FLOE_ENCODER_KERNELS_NAME = {
    .layer_norm = layer_norm_rows,
    .gelu = gelu_range,
    .attention_head = encoder_attention_head,
};
