/// Sampling on the device (`DeviceSampling`): temperature, min-p, top-k and top-p as in vLLM's
/// sampler, then one draw, so only a token id per row goes back to the host.
///
/// Every filter keeps the tokens whose scaled logit s = (logit − max) / temperature is at least
/// a threshold, so the kept set is always {s ≥ τ}: min-p gives τ = log(min_p) (p ≥ min_p · p_max);
/// top-k the k-th largest s; top-p the s of the token whose cumulative probability (in
/// descending order) first reaches top_p. The k-th value and the top-p crossing are found by
/// bisection over the floats' order-preserving bit patterns (32 passes over the row at most),
/// which gives the exact element without sorting 128k logits. The draw is Gumbel-max: the kept
/// token with the largest s − log(−log u) is distributed exactly as softmax(s) over the kept set;
/// u comes from a counter-based hash of (seed, step, token), so a request's tokens depend only on
/// its seed and its own output index, never on the batch.
///
/// Before that, `adjust_logits` applies a row's history-dependent adjustments (min_tokens mask,
/// logit bias, repetition/frequency/presence penalties) to its logits in place, with the
/// host's order and float operations (`RequestSampler.verify`), so a greedy row picks exactly
/// the host's token. The explicitly rounded intrinsics keep NVRTC from fusing the penalty's
/// multiply-add into an FMA, which the host does not do.
enum SamplingKernels {
    static let source = #"""
struct SampleRow { float temperature, top_p, min_p; int top_k; unsigned long long seed, step; };

// Larger float ↔ larger key.
__device__ __forceinline__ unsigned order_key(float f) {
    const unsigned b = __float_as_uint(f);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {  // splitmix64's finalizer
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// A uniform in (0, 1) for token i of draw (seed, step).
__device__ __forceinline__ float unit_uniform(unsigned long long seed, unsigned long long step, int i) {
    const unsigned long long h = mix64(seed ^ mix64(step * 0x100000001b3ull + (unsigned long long)i));
    return ((float)(h >> 40) + 0.5f) * (1.f / 16777216.f);
}

// Σ over tokens with key(s) ≥ threshold of 1 (count) or exp(s) (mass); every thread gets it.
__device__ float kept_total(const float* x, int cols, float m, float inv_t, unsigned threshold, bool mass) {
    float total = 0.f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        const float s = (x[i] - m) * inv_t;
        if (order_key(s) >= threshold) total += mass ? __expf(s) : 1.f;
    }
    return block_sum(total);
}

// The largest key τ in [lo, hi] with kept_total(τ) ≥ target, given kept_total(lo) ≥ target.
__device__ unsigned threshold_key(const float* x, int cols, float m, float inv_t, unsigned lo, unsigned hi, float target, bool mass) {
    while (lo < hi) {
        const unsigned mid = lo + (hi - lo + 1) / 2;
        if (kept_total(x, cols, m, inv_t, mid, mass) >= target) lo = mid; else hi = mid - 1;
    }
    return lo;
}

struct LogitAdjustment { int token, output_count; unsigned flags; float bias; };
enum { ADJUST_IN_PROMPT = 1, ADJUST_MASKED = 2, ADJUST_BIASED = 4 };

// Block per row; threads stride over the row's entries, at most one per token, so no two
// threads touch one logit. `words`: rows + 1 entry offsets, then (repetition, frequency,
// presence) per row, then the entries. Tokens outside [0, cols) are skipped.
extern "C" __global__ void adjust_logits(float* logits, const unsigned* words, int rows, int cols) {
    const int row = blockIdx.x;
    const int* offsets = (const int*)words;
    const float* penalties = (const float*)(words + rows + 1) + 3 * row;
    const LogitAdjustment* entries = (const LogitAdjustment*)(words + 4 * rows + 1);
    const float repetition = penalties[0], frequency = penalties[1], presence = penalties[2];
    float* x = logits + (size_t)row * cols;
    for (int e = offsets[row] + threadIdx.x; e < offsets[row + 1]; e += blockDim.x) {
        const LogitAdjustment a = entries[e];
        if (a.token < 0 || a.token >= cols) continue;
        float v = x[a.token];
        if (a.flags & ADJUST_MASKED) v = -FLOE_INFINITY;
        if (a.flags & ADJUST_BIASED) v = __fadd_rn(v, a.bias);
        if (repetition != 1.f && ((a.flags & ADJUST_IN_PROMPT) || a.output_count > 0))
            v = v > 0.f ? __fdiv_rn(v, repetition) : __fmul_rn(v, repetition);
        if ((frequency != 0.f || presence != 0.f) && a.output_count > 0)
            v = __fsub_rn(v, __fadd_rn(__fmul_rn(frequency, (float)a.output_count), presence));
        x[a.token] = v;
    }
}

// Block per row. temperature 0 is greedy (the first index of the largest logit).
extern "C" __global__ void sample_rows(const float* logits, const SampleRow* rows, int* out, int cols) {
    __shared__ float shared_best;
    __shared__ int shared_index;
    const SampleRow row = rows[blockIdx.x];
    const float* x = logits + (size_t)blockIdx.x * cols;
    float best = -FLOE_INFINITY;
    int index = 0x7fffffff;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) argmax_merge(best, index, x[i], i);
    block_argmax(best, index);
    if (threadIdx.x == 0) { shared_best = best; shared_index = index == 0x7fffffff ? 0 : index; }
    __syncthreads();
    if (row.temperature <= 0.f) {
        if (threadIdx.x == 0) out[blockIdx.x] = shared_index;
        return;
    }
    const float m = shared_best, inv_t = 1.f / row.temperature;
    // Tokens more than e^60 less likely than the best are dropped (as on the host).
    unsigned lo = order_key(row.min_p > 0.f ? fmaxf(-60.f, logf(row.min_p)) : -60.f);
    const unsigned hi = order_key(0.f);
    if (row.top_k > 0 && row.top_k < cols && kept_total(x, cols, m, inv_t, lo, false) > (float)row.top_k)
        lo = threshold_key(x, cols, m, inv_t, lo, hi, (float)row.top_k, false);
    if (row.top_p < 1.f) {
        const float target = row.top_p * kept_total(x, cols, m, inv_t, lo, true);
        lo = threshold_key(x, cols, m, inv_t, lo, hi, target, true);
    }
    best = -FLOE_INFINITY;
    index = 0x7fffffff;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        const float s = (x[i] - m) * inv_t;
        if (order_key(s) >= lo) argmax_merge(best, index, s - logf(-logf(unit_uniform(row.seed, row.step, i))), i);
    }
    block_argmax(best, index);
    if (threadIdx.x == 0) out[blockIdx.x] = index == 0x7fffffff ? shared_index : index;
}
"""#
}
