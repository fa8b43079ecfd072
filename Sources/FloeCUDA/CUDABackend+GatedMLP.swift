import CFloeCUDA
import FloeTensor

extension CUDABackend {
    /// Llama's MLP. With 16-bit weights on cuBLASLt (more than `gemvMaxTokens` rows) the
    /// activation stays in 16 bits, as in PyTorch's bf16 model: the gate and up GEMMs read x's
    /// 16-bit copy (the norm's, or one conversion) and write 16-bit outputs (both halves of
    /// `inner` when they run as one batched call, else the first halves of `inner` and `scratch`), `silu_mul_bf16`/`_f16` writes the down GEMM's input over the gate
    /// output, and the down GEMM writes f32 `out`. Against `gatedLinear` + `linear` that saves
    /// the f32 gate/up/activation round trips and the conversion before down. Few rows (the
    /// GEMV path), f32 weights, no cuBLASLt or no 16-bit-output plan take the composed ops.
    public func gatedFeedForward(_ x: Tensor, gate: Tensor, up: Tensor, down: Tensor, scratch: Tensor, inner: Tensor, into out: Tensor) {
        let n = x.shape.rowCount, d = x.shape.last, ff = gate.shape.rowCount
        func composed() {
            gatedLinear(x, gate: gate, up: up, scratch: scratch, into: inner)
            linear(inner, weight: down, bias: nil, into: out)
        }
        guard n > gemvMaxTokens, let matmul, gate.dtype == up.dtype, gate.dtype == down.dtype, gate.dtype == .bf16 || gate.dtype == .f16
        else { return composed() }
        device.bind()
        precondition(gate.shape.last == d && up.shape.rowCount == ff && up.shape.last == d && down.shape.last == ff
            && out.elementCount == n * down.shape.rowCount && inner.dtype == .f32 && scratch.dtype == .f32
            && inner.elementCount >= n * ff && scratch.elementCount >= n * ff,
            "gatedFeedForward shapes \(x.shape) \(gate.shape) \(up.shape) \(down.shape) \(scratch.shape) \(inner.shape) \(out.shape)")
        let dtype = gate.dtype
        let input = gemmInput(x, weightDType: dtype)
        var gate16 = inner.deviceAddress, up16 = scratch.deviceAddress
        // Gate and up in one batched call when cuBLASLt takes the pair (the weights at a fixed
        // distance: one grid, 2-3 % faster at batch 64 on an H100); else two calls.
        // They share a shape, hence a plan: if the first has one, so does the second (a failure
        // of the second anyway falls back, recomputing everything).
        // The pair's outputs fill `inner` (n · ff f32 = two n · ff 16-bit halves).
        let (first, second) = gate.deviceAddress < up.deviceAddress ? (gate, up) : (up, gate)
        let pair = inner.deviceAddress
        if tuning.pairedGEMMs, matmul.multiplyPair(x: input, firstWeight: first.deviceAddress, weightStride: Int64(second.deviceAddress - first.deviceAddress) / 2,
            output: pair, outputStride: Int64(n * ff), rows: n, inFeatures: d, outFeatures: ff, dtype: dtype, outputDType: dtype)
        {
            (gate16, up16) = first.deviceAddress == gate.deviceAddress ? (pair, pair + UInt64(n * ff * 2)) : (pair + UInt64(n * ff * 2), pair)
            pairedGEMMCalls += 1
        } else {
            guard matmul.multiply(x: input, weight: gate.deviceAddress, bias: nil, output: gate16, rows: n, inFeatures: d, outFeatures: ff,
                    dtype: dtype, outputDType: dtype),
                matmul.multiply(x: input, weight: up.deviceAddress, bias: nil, output: up16, rows: n, inFeatures: d, outFeatures: ff,
                    dtype: dtype, outputDType: dtype)
            else { return composed() }
        }
        let count = n * ff
        let vectorized = gate16 % 8 == 0 && up16 % 8 == 0
        module.launch(dtype == .bf16 ? "silu_mul_bf16" : "silu_mul_f16", grid: (elementBlocks(vectorized ? (count + 3) / 4 : count), 1, 1), block: 256,
            KernelArguments().pointer(gate16).pointer(up16).pointer(gate16).int64(count).int(vectorized ? 1 : 0))
        matmul.multiply(x: gate16, weight: down.deviceAddress, output: out.deviceAddress, rows: n, inFeatures: ff,
            outFeatures: down.shape.rowCount, dtype: dtype)
    }
}
