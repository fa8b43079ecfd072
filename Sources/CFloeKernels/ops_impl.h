// Row-wise and elementwise ops and the per-head attention kernel, included by each variant
// file. Tails shorter than a vector use masked loads/stores so each op is one code path.

static void rms_norm_rows(const float *x, const float *w, float epsilon, float *out, long r0, long r1, long d) {
    for (long r = r0; r < r1; r++) {
        const float *xr = x + r * d;
        float *yr = out + r * d;
        vf s0 = vzero(), s1 = vzero();
        long i = 0;
        for (; i + 2 * VW <= d; i += 2 * VW) {
            vf a = vload(xr + i), b = vload(xr + i + VW);
            s0 = vfma(a, a, s0);
            s1 = vfma(b, b, s1);
        }
        for (; i < d; i += VW) {
            vf a = vload_n(xr + i, d - i);
            s0 = vfma(a, a, s0);
        }
        const float inv = 1.0f / sqrtf(vsum(vadd(s0, s1)) / (float)d + epsilon);
        const vf scale = vset1(inv);
        for (i = 0; i + VW <= d; i += VW) vstore(yr + i, vmul(vmul(vload(xr + i), scale), vload(w + i)));
        if (i < d) vstore_n(yr + i, vmul(vmul(vload_n(xr + i, d - i), scale), vload_n(w + i, d - i)), d - i);
    }
}

FLOE_INLINE vf silu_mul_vector(vf g, vf u) {
    const vf one = vset1(1.0f);
    return vmul(vdiv(g, vadd(one, vexp(vsub(vzero(), g)))), u);
}

static void silu_mul_range(const float *gate, const float *up, float *out, long i0, long i1) {
    long i = i0;
    for (; i + VW <= i1; i += VW) vstore(out + i, silu_mul_vector(vload(gate + i), vload(up + i)));
    if (i < i1) vstore_n(out + i, silu_mul_vector(vload_n(gate + i, i1 - i), vload_n(up + i, i1 - i)), i1 - i);
}

static void add_range(const float *a, const float *b, float *out, long i0, long i1) {
    long i = i0;
    for (; i + VW <= i1; i += VW) vstore(out + i, vadd(vload(a + i), vload(b + i)));
    if (i < i1) vstore_n(out + i, vadd(vload_n(a + i, i1 - i), vload_n(b + i, i1 - i)), i1 - i);
}

/// Softmax of one row in place (in and out may alias): max, exponentials and their sum, scale.
FLOE_INLINE void softmax_row(const float *xr, float *yr, long cols) {
    const float sum = exp_minus_max(xr, yr, cols);
    long i;
    const vf inv = vset1(1.0f / sum);
    for (i = 0; i + VW <= cols; i += VW) vstore(yr + i, vmul(vload(yr + i), inv));
    for (; i < cols; i++) yr[i] *= 1.0f / sum;
}

static void softmax_rows(const float *x, float *out, long r0, long r1, long cols) {
    for (long r = r0; r < r1; r++) softmax_row(x + r * cols, out + r * cols, cols);
}

FLOE_INLINE float dot_n(const float *a, const float *b, long n) {
    vf s0 = vzero(), s1 = vzero();
    long i = 0;
    for (; i + 2 * VW <= n; i += 2 * VW) {
        s0 = vfma(vload(a + i), vload(b + i), s0);
        s1 = vfma(vload(a + i + VW), vload(b + i + VW), s1);
    }
    for (; i < n; i += VW) s0 = vfma(vload_n(a + i, n - i), vload_n(b + i, n - i), s0);
    return vsum(vadd(s0, s1));
}

/// Two-pass attention for one query head: all scores (in `scores`, room for `visible`), one
/// max, exponentials, then the weighted sum of value rows. Used for single-token (decode)
/// items, where the key transposes of attention_block would be shared by too few vectors.
/// `kv_stride` = kv_heads · hd; the caches point at this head's kv head already.
static void attention_head(const float *q, const float *key_cache, const float *value_cache,
                           const int32_t *block_table, long block_size, long visible, long kv_stride,
                           long hd, float scale, float *scores, float *out) {
    for (long p = 0; p < visible; p++) {
        long slot = (long)block_table[p / block_size] * block_size + p % block_size;
        scores[p] = dot_n(q, key_cache + slot * kv_stride, hd) * scale;
    }
    softmax_row(scores, scores, visible);
    for (long j = 0; j < hd; j += 4 * VW) {  // the output in registers, 4 vectors at a time
        long m = hd - j;
        vf a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
        for (long p = 0; p < visible; p++) {
            long slot = (long)block_table[p / block_size] * block_size + p % block_size;
            const float *v = value_cache + slot * kv_stride + j;
            vf w = vset1(scores[p]);
            if (m >= 4 * VW) {
                a0 = vfma(w, vload(v), a0);
                a1 = vfma(w, vload(v + VW), a1);
                a2 = vfma(w, vload(v + 2 * VW), a2);
                a3 = vfma(w, vload(v + 3 * VW), a3);
            } else {
                a0 = vfma(w, vload_n(v, m), a0);
                if (m > VW) a1 = vfma(w, vload_n(v + VW, m - VW), a1);
                if (m > 2 * VW) a2 = vfma(w, vload_n(v + 2 * VW, m - 2 * VW), a2);
                if (m > 3 * VW) a3 = vfma(w, vload_n(v + 3 * VW, m - 3 * VW), a3);
            }
        }
        vf parts[4] = {a0, a1, a2, a3};
        for (int u = 0; u < 4 && m > u * VW; u++) {
            long count = m - u * VW;
            if (count >= VW) vstore(out + j + u * VW, parts[u]); else vstore_n(out + j + u * VW, parts[u], count);
        }
    }
}

/// Attention for a block of query vectors — `rows` consecutive tokens × `group` heads that
/// share one kv head — with an online softmax over chunks of VW positions.
///
/// Why this shape: scoring one position at a time needs a horizontal reduction per dot
/// product, which cost more than the FMAs (87 GFLOP/s for SmolLM2 prefill). Here each chunk of
/// VW key rows is transposed once into `kt` [hd][VW], and every query vector of the block
/// scores the whole chunk with hd broadcast-FMAs, one score per lane; the transpose is shared
/// by rows·group vectors.
///
/// `first_visible`: positions the block's first token sees (its position + 1); token r sees
/// first_visible + r. `scratch` holds hd·VW + rows·group·(hd + 2) + VW floats.
static void attention_block(const float *query, long row_stride, long rows, long group, long hd,
                            const float *key_cache, const float *value_cache, long kv_stride,
                            const int32_t *block_table, long block_size, long first_visible, float scale,
                            float *out, float *scratch) {
    const long vectors = rows * group;
    float *kt = scratch, *acc = kt + hd * VW, *maxima = acc + vectors * hd, *sums = maxima + vectors, *weights = sums + vectors;
    const float *values[VW];
    for (long v = 0; v < vectors; v++) {
        maxima[v] = -INFINITY;
        sums[v] = 0;
        for (long j = 0; j < hd; j++) acc[v * hd + j] = 0;
    }
    const long last_visible = first_visible + rows - 1;
    for (long p0 = 0; p0 < last_visible; p0 += VW) {
        const long count = last_visible - p0 < VW ? last_visible - p0 : VW;
        for (long i = 0; i < VW; i++) {
            if (i < count) {
                long p = p0 + i, slot = (long)block_table[p / block_size] * block_size + p % block_size;
                const float *k = key_cache + slot * kv_stride;
                for (long j = 0; j < hd; j++) kt[j * VW + i] = k[j];
                values[i] = value_cache + slot * kv_stride;
            } else {
                for (long j = 0; j < hd; j++) kt[j * VW + i] = 0;
                values[i] = NULL;
            }
        }
        for (long r = 0; r < rows; r++) {
            const long visible = first_visible + r;
            if (p0 >= visible) continue;
            const long valid = visible - p0 < count ? visible - p0 : count;
            for (long h = 0; h < group; h++) {
                const long v = r * group + h;
                const float *q = query + r * row_stride + h * hd;
                // Eight independent chains: a single chain of hd dependent FMAs was latency-bound.
                vf s0 = vzero(), s1 = vzero(), s2 = vzero(), s3 = vzero(), s4 = vzero(), s5 = vzero(), s6 = vzero(), s7 = vzero();
                long j = 0;
                for (; j + 8 <= hd; j += 8) {
                    const float *kj = kt + j * VW;
                    s0 = vfma(vset1(q[j]), vload(kj), s0);
                    s1 = vfma(vset1(q[j + 1]), vload(kj + VW), s1);
                    s2 = vfma(vset1(q[j + 2]), vload(kj + 2 * VW), s2);
                    s3 = vfma(vset1(q[j + 3]), vload(kj + 3 * VW), s3);
                    s4 = vfma(vset1(q[j + 4]), vload(kj + 4 * VW), s4);
                    s5 = vfma(vset1(q[j + 5]), vload(kj + 5 * VW), s5);
                    s6 = vfma(vset1(q[j + 6]), vload(kj + 6 * VW), s6);
                    s7 = vfma(vset1(q[j + 7]), vload(kj + 7 * VW), s7);
                }
                for (; j < hd; j++) s0 = vfma(vset1(q[j]), vload(kt + j * VW), s0);
                s0 = vadd(vadd(vadd(s0, s4), vadd(s1, s5)), vadd(vadd(s2, s6), vadd(s3, s7)));
                vf scores = vmul(s0, vset1(scale));
                if (valid < VW) {  // positions past this token's own (causal mask)
                    vstore(weights, scores);
                    for (long i = valid; i < VW; i++) weights[i] = -INFINITY;
                    scores = vload(weights);
                }
                // Vector reductions: scalar loops over the lanes were latency chains that cost
                // as much as the FMAs.
                const float chunk_max = vmaxall(scores);
                const float new_max = maxima[v] > chunk_max ? maxima[v] : chunk_max;
                // The running max rarely moves after the first chunks; skip the exp then.
                const float correction = new_max == maxima[v] ? 1.0f : expf(maxima[v] - new_max);
                vf e = vexp(vsub(scores, vset1(new_max)));
                vstore(weights, e);
                const float chunk_sum = vsum(e);
                sums[v] = sums[v] * correction + chunk_sum;
                maxima[v] = new_max;
                float *o = acc + v * hd;
                const vf c = vset1(correction);
                // Up to 4 output vectors in registers, with even and odd positions in separate
                // accumulators: 8 independent FMA chains instead of one per output vector.
                for (j = 0; j < hd; j += 4 * VW) {
                    const long m = hd - j;
                    vf a0 = vmul(vload_n(o + j, m), c), a1 = vzero(), a2 = vzero(), a3 = vzero();
                    if (m > VW) a1 = vmul(vload_n(o + j + VW, m - VW), c);
                    if (m > 2 * VW) a2 = vmul(vload_n(o + j + 2 * VW, m - 2 * VW), c);
                    if (m > 3 * VW) a3 = vmul(vload_n(o + j + 3 * VW, m - 3 * VW), c);
                    vf b0 = vzero(), b1 = vzero(), b2 = vzero(), b3 = vzero();
                    long i = 0;
                    if (m >= 4 * VW) {
                        for (; i + 2 <= valid; i += 2) {
                            const float *x0 = values[i] + j, *x1 = values[i + 1] + j;
                            const vf w0 = vset1(weights[i]), w1 = vset1(weights[i + 1]);
                            a0 = vfma(w0, vload(x0), a0);
                            a1 = vfma(w0, vload(x0 + VW), a1);
                            a2 = vfma(w0, vload(x0 + 2 * VW), a2);
                            a3 = vfma(w0, vload(x0 + 3 * VW), a3);
                            b0 = vfma(w1, vload(x1), b0);
                            b1 = vfma(w1, vload(x1 + VW), b1);
                            b2 = vfma(w1, vload(x1 + 2 * VW), b2);
                            b3 = vfma(w1, vload(x1 + 3 * VW), b3);
                        }
                    }
                    for (; i < valid; i++) {
                        const float *x0 = values[i] + j;
                        const vf w0 = vset1(weights[i]);
                        a0 = vfma(w0, vload_n(x0, m), a0);
                        if (m > VW) a1 = vfma(w0, vload_n(x0 + VW, m - VW), a1);
                        if (m > 2 * VW) a2 = vfma(w0, vload_n(x0 + 2 * VW, m - 2 * VW), a2);
                        if (m > 3 * VW) a3 = vfma(w0, vload_n(x0 + 3 * VW, m - 3 * VW), a3);
                    }
                    vf parts[4] = {vadd(a0, b0), vadd(a1, b1), vadd(a2, b2), vadd(a3, b3)};
                    for (int u = 0; u < 4 && m > u * VW; u++) {
                        long n = m - u * VW;
                        if (n >= VW) vstore(o + j + u * VW, parts[u]); else vstore_n(o + j + u * VW, parts[u], n);
                    }
                }
            }
        }
    }
    for (long r = 0; r < rows; r++) {
        for (long h = 0; h < group; h++) {
            const long v = r * group + h;
            const float inverse = 1.0f / sums[v];
            float *y = out + r * row_stride + h * hd;
            for (long j = 0; j < hd; j++) y[j] = acc[v * hd + j] * inverse;
        }
    }
}

const floe_kernels FLOE_KERNELS_NAME = {
    .dequantize = dequantize_blocks,
    .gemv = linear_gemv,
    .gemm = linear_gemm,
    .rows = linear_rows,
    .rms_norm = rms_norm_rows,
    .silu_mul = silu_mul_range,
    .add = add_range,
    .softmax = softmax_rows,
    .attention_block = attention_block,
    .attention_head = attention_head,
    .vector_width = VW,
    .gemm_panel = NR,
#ifdef FLOE_GEMV1
    .gemv1 = FLOE_GEMV1,
#endif
};
