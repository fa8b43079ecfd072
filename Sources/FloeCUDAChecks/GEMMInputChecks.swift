import FloeCPU
import FloeCUDA
import FloeTensor

/// GEMM inputs written by their producers (CUDABackend+GEMMInput) and the 16-bit gated MLP
/// (`gatedFeedForward`), against `ReferenceOps`. A norm followed by a GEMM must hand it its
/// 16-bit copy (no conversion pass: `gemmInputConversions` unchanged) with the right values; a
/// copy made stale by anything in between (a kernel, a host write or an earlier GEMM writing
/// into the norm's output) must not be read, nor may a GEMM of another tensor read it. Outputs
/// are poisoned with NaN first.
extension OpChecks {
    mutating func gemmInputOps() {
        // Gated MLP: the GEMV path (3 rows: composed ops), the 16-bit cuBLASLt path at 70 and
        // 300 rows, and odd sizes (odd ff leaves a tail for the 4-wide SiLU kernel).
        for (n, d, ff) in [(3, 64, 96), (70, 130, 347), (300, 576, 1536), (9, 33, 71), (70, 4096, 1024)] { gatedFeedForward(n: n, d: d, ff: ff) }
        // Norm → GEMM through the norm's copy: float4 rows (d % 4 == 0) and scalar rows.
        for (n, d) in [(70, 576), (300, 1001), (3, 576)] {
            normThenLinears(n: n, d: d)
            addNormThenGatedFeedForward(n: n, d: d, ff: 2 * d + 6)
        }
        for (n, d) in [(40, 384), (77, 33)] { layerNormsThenGEMMs(n: n, d: d) }
        staleCopies(n: 70, d: 576)
    }

    func rounded(_ values: [Float]) -> [Float] { values.map { Float(bf16Bits: $0.bf16Bits) } }

    /// What the GPU computes for a gated MLP: x rounded to bf16; gate and up rounded to bf16 too
    /// (the cuBLASLt path's 16-bit GEMM outputs, which the GEMV path's gated kernel rounds the
    /// same way); the activation rounded to bf16 (down's input). `sixteenBit: false` is the
    /// composed f32 path, where cuBLASLt has no 16-bit-output plan.
    func gatedFeedForwardReference(_ x: [Float], n: Int, gate: Tensor, up: Tensor, down: Tensor, sixteenBit: Bool = true) -> [Float] {
        let d = gate.shape.last, ff = gate.shape.rowCount
        let xr = host(rounded(x), [n, d])
        let g = Tensor(zeros: [n, ff]), u = Tensor(zeros: [n, ff]), h = Tensor(zeros: [n, ff])
        ReferenceOps.linear(xr, weight: gate, bias: nil, into: g)
        ReferenceOps.linear(xr, weight: up, bias: nil, into: u)
        let g16 = sixteenBit ? host(rounded(g.floats), [n, ff]) : g, u16 = sixteenBit ? host(rounded(u.floats), [n, ff]) : u
        ReferenceOps.siluMul(gate: g16, up: u16, into: h)
        let out = Tensor(zeros: [n, down.shape.rowCount])
        ReferenceOps.linear(host(rounded(h.floats), [n, ff]), weight: down, bias: nil, into: out)
        return out.floats
    }

    /// The MLP's output difference: the 16-bit path rounds gate, up and the activation, and a
    /// different summation order on the GPU flips a few of those roundings by one bf16 ulp.
    static let gatedFeedForwardTolerance: Float = 5e-4

    mutating func gatedFeedForward(n: Int, d: Int, ff: Int) {
        let (gate, _) = bf16Weights([ff, d]), (up, _) = bf16Weights([ff, d]), (down, _) = bf16Weights([d, ff], scale: 0.03)
        let x = random.normals(n * d)
        let expected = gatedFeedForwardReference(x, n: n, gate: gate, up: up, down: down)
        let out = poisoned([n, d])
        gpu.gatedFeedForward(device(x, [n, d]), gate: gpu.upload(gate), up: gpu.upload(up), down: gpu.upload(down),
            scratch: poisoned([n, ff]), inner: poisoned([n, ff]), into: out)
        let actual = gpu.readFloats(out), name = "gatedFeedForward n \(n) d \(d) ff \(ff)"
        let difference = Difference(actual, expected)
        if !difference.within(relative: Self.gatedFeedForwardTolerance), n > gpu.gemvMaxTokens,
            Difference(actual, gatedFeedForwardReference(x, n: n, gate: gate, up: up, down: down, sixteenBit: false))
                .within(relative: Self.gatedFeedForwardTolerance)
        {
            report.record("gemm-input", name, passed: false, difference.summary + "; matches the composed f32 path: cuBLASLt had no 16-bit-output plan")
            return
        }
        report.record("gemm-input", name, passed: difference.within(relative: Self.gatedFeedForwardTolerance), difference.summary)
    }

    /// Records whether `body` launched exactly `conversions` f32 → 16-bit passes on the GEMM
    /// path: none when a producer's copy feeds the GEMM, one per GEMM input whose copy was stale.
    /// `body` gets the backend as its argument so that it captures nothing of `self`.
    mutating func expectConversions(_ name: String, _ conversions: Int, rows: Int, _ body: (CUDABackend) -> Void) {
        let gpu = self.gpu
        let before = gpu.gemmInputConversions
        body(gpu)
        let launched = gpu.gemmInputConversions - before
        let gemmPath = rows > gpu.gemvMaxTokens && gpu.weightDType != .f32
        report.record("gemm-input", name, passed: !gemmPath || launched == conversions,
            "\(launched) conversion pass(es), \(gemmPath ? "\(conversions) expected" : "GEMV path")")
    }

    /// rmsNorm then the Q/K/V-style `linears` of its output.
    mutating func normThenLinears(n: Int, d: Int) {
        let x = random.normals(n * d), weight = random.normals(d)
        let normedExpected = Tensor(zeros: [n, d])
        ReferenceOps.rmsNorm(host(x, [n, d]), weight: host(weight, [d]), epsilon: 1e-5, into: normedExpected)
        let shapes = [d, d / 4 + 1, 37]
        let weights = shapes.map { bf16Weights([$0, d]) }
        let normed = poisoned([n, d]), outs = shapes.map { poisoned([n, $0]) }
        let deviceX = device(x, [n, d]), deviceWeight = device(weight, [d]), uploaded = weights.map { gpu.upload($0.0) }
        expectConversions("rmsNorm → linears n \(n) d \(d) read the norm's copy", 0, rows: n) { gpu in
            gpu.rmsNorm(deviceX, weight: deviceWeight, epsilon: 1e-5, into: normed)
            gpu.linears(normed, weights: uploaded, biases: shapes.map { _ in nil }, into: outs)
        }
        compare("gemm-input", "rmsNorm → linears n \(n) d \(d) norm output", gpu.readFloats(normed), normedExpected.floats, relative: 1e-6)
        let input = host(rounded(normedExpected.floats), [n, d])
        for (index, out) in outs.enumerated() {
            let expected = Tensor(zeros: [n, shapes[index]])
            ReferenceOps.linear(input, weight: weights[index].0, bias: nil, into: expected)
            // The reference rounds its own f32 norm to bf16: where the GPU's norm differs in the last
            // f32 bit next to a rounding boundary, an input lands one bf16 step away.
            compare("gemm-input", "rmsNorm → linears n \(n) d \(d) matrix \(index)", gpu.readFloats(out), expected.floats, relative: 2e-4)
        }
    }

    /// addRMSNorm (the decoder's residual step) then the gated MLP of its output.
    mutating func addNormThenGatedFeedForward(n: Int, d: Int, ff: Int) {
        let residual = random.normals(n * d), delta = random.normals(n * d), weight = random.normals(d)
        let sum = zip(residual, delta).map { $0 + $1 }
        let normedExpected = Tensor(zeros: [n, d])
        ReferenceOps.rmsNorm(host(sum, [n, d]), weight: host(weight, [d]), epsilon: 1e-5, into: normedExpected)
        let (gate, _) = bf16Weights([ff, d]), (up, _) = bf16Weights([ff, d]), (down, _) = bf16Weights([d, ff], scale: 0.03)
        let expected = gatedFeedForwardReference(normedExpected.floats, n: n, gate: gate, up: up, down: down)
        let stream = device(residual, [n, d]), deltaDevice = device(delta, [n, d]), weightDevice = device(weight, [d])
        let gateDevice = gpu.upload(gate), upDevice = gpu.upload(up), downDevice = gpu.upload(down)
        let normed = poisoned([n, d]), scratch = poisoned([n, ff]), inner = poisoned([n, ff]), out = poisoned([n, d])
        expectConversions("addRMSNorm → gatedFeedForward n \(n) d \(d) read the norm's copy", 0, rows: n) { gpu in
            gpu.addRMSNorm(residual: stream, delta: deltaDevice, weight: weightDevice, epsilon: 1e-5, into: normed)
            gpu.gatedFeedForward(normed, gate: gateDevice, up: upDevice, down: downDevice, scratch: scratch, inner: inner, into: out)
        }
        compare("gemm-input", "addRMSNorm → gatedFeedForward n \(n) d \(d) residual", gpu.readFloats(stream), sum, relative: 0)
        compare("gemm-input", "addRMSNorm → gatedFeedForward n \(n) d \(d) ff \(ff)", gpu.readFloats(out), expected, relative: Self.gatedFeedForwardTolerance)
    }

    /// The encoder's producers: layerNorm → biasedLinear, addLayerNorm (in place, as BertModel
    /// calls it) → feedForward and → selfAttention.
    mutating func layerNormsThenGEMMs(n: Int, d: Int) {
        let x = random.normals(n * d).map { $0 * 3 + 5 }, residual = random.normals(n * d)
        let weight = random.normals(d), bias = random.normals(d)
        let normedExpected = Tensor(zeros: [n, d])
        ReferenceOps.layerNorm(host(x, [n, d]), weight: host(weight, [d]), bias: host(bias, [d]), epsilon: 1e-12, into: normedExpected)
        let (projection, _) = bf16Weights([2 * d + 1, d]), projectionBias = random.normals(2 * d + 1)
        let projected = Tensor(zeros: [n, 2 * d + 1])
        ReferenceOps.linear(host(rounded(normedExpected.floats), [n, d]), weight: projection, bias: host(projectionBias, [2 * d + 1]), into: projected)
        let normed = poisoned([n, d]), out = poisoned([n, 2 * d + 1])
        let xDevice = device(x, [n, d]), weightDevice = device(weight, [d]), biasDevice = device(bias, [d])
        let projectionDevice = gpu.upload(projection), projectionBiasDevice = device(projectionBias, [2 * d + 1])
        expectConversions("layerNorm → biasedLinear n \(n) d \(d) read the norm's copy", 0, rows: n) { gpu in
            gpu.layerNorm(xDevice, weight: weightDevice, bias: biasDevice, epsilon: 1e-12, into: normed)
            gpu.biasedLinear(normed, weight: projectionDevice, bias: projectionBiasDevice, into: out)
        }
        compare("gemm-input", "layerNorm → biasedLinear n \(n) d \(d) norm output", gpu.readFloats(normed), normedExpected.floats, relative: 1e-6)
        // The GEMM reads the GPU norm's bf16 copy, the reference its own norm rounded: where the two
        // norms (1e-6 apart) straddle a bf16 rounding boundary they round one step (2⁻⁸) apart, and
        // a few such inputs of 77 × 33 move the product by ~1e-5.
        compare("gemm-input", "layerNorm → biasedLinear n \(n) d \(d)", gpu.readFloats(out), projected.floats, relative: 3e-5)

        // addLayerNorm over the residual stream, then the MLP (reference as feedForward's check).
        let ffn = 4 * d
        let sum = zip(x, residual).map { $0 + $1 }
        let summedExpected = Tensor(zeros: [n, d])
        ReferenceOps.layerNorm(host(sum, [n, d]), weight: host(weight, [d]), bias: host(bias, [d]), epsilon: 1e-12, into: summedExpected)
        let (up, _) = bf16Weights([ffn, d]), (down, _) = bf16Weights([d, ffn], scale: 0.03)
        let upBias = random.normals(ffn), downBias = random.normals(d)
        let activation = Tensor(zeros: [n, ffn]), expected = Tensor(zeros: [n, d])
        ReferenceOps.linear(host(rounded(summedExpected.floats), [n, d]), weight: up, bias: host(upBias, [ffn]), into: activation)
        ReferenceOps.gelu(activation, into: activation)
        ReferenceOps.linear(host(rounded(activation.floats), [n, ffn]), weight: down, bias: host(downBias, [d]), into: expected)
        let stream = device(residual, [n, d]), mlpOut = poisoned([n, d])
        let upDevice = gpu.upload(up), downDevice = gpu.upload(down), upBiasDevice = device(upBias, [ffn]), downBiasDevice = device(downBias, [d])
        let inner = poisoned([n, ffn])
        expectConversions("addLayerNorm → feedForward n \(n) d \(d) read the norm's copy", 0, rows: n) { gpu in
            gpu.addLayerNorm(xDevice, residual: stream, weight: weightDevice, bias: biasDevice, epsilon: 1e-12, into: stream)
            gpu.feedForward(stream, up: upDevice, upBias: upBiasDevice, down: downDevice, downBias: downBiasDevice, inner: inner, into: mlpOut)
        }
        compare("gemm-input", "addLayerNorm → feedForward n \(n) d \(d) norm output", gpu.readFloats(stream), summedExpected.floats, relative: 1e-6)
        // As feedForward's own check: the GPU also rounds the pre-activation to bf16.
        compare("gemm-input", "addLayerNorm → feedForward n \(n) d \(d)", gpu.readFloats(mlpOut), expected.floats, relative: 3e-3)

        // The attention sublayer after a norm: one sequence per 10 rows (and the rest). Widths
        // as real encoders have (its own checks cover odd ones), so cuBLASLt surely has its
        // 16-bit-output plan and the fused path runs.
        guard d % 32 == 0 else { return }
        let heads = 4, hd = d / heads
        let lengths = stride(from: 0, to: n, by: 10).map { min(10, n - $0) }
        let (qkvWeight, _) = bf16Weights([3 * d, d], scale: 1.5 / Float(d).squareRoot())
        let (outputWeight, _) = bf16Weights([d, d], scale: 1 / Float(d).squareRoot())
        let qkvBias = random.normals(3 * d).map { $0 * 0.1 }, outputBias = random.normals(d)
        let qkv = Tensor(zeros: [n, 3 * d]), context = Tensor(zeros: [n, d]), attended = Tensor(zeros: [n, d])
        let scale = 1 / Float(hd).squareRoot()
        ReferenceOps.linear(host(rounded(normedExpected.floats), [n, d]), weight: qkvWeight, bias: host(qkvBias, [3 * d]), into: qkv)
        ReferenceOps.encoderAttention(qkv: host(rounded(qkv.floats), [n, 3 * d]), sequenceLengths: lengths, heads: heads, scale: scale, into: context)
        ReferenceOps.linear(host(rounded(context.floats), [n, d]), weight: outputWeight, bias: host(outputBias, [d]), into: attended)
        let normedAgain = poisoned([n, d]), attentionOut = poisoned([n, d])
        let qkvDevice = gpu.upload(qkvWeight), outputDevice = gpu.upload(outputWeight)
        let qkvBiasDevice = device(qkvBias, [3 * d]), outputBiasDevice = device(outputBias, [d])
        let qkvScratch = poisoned([n, 3 * d]), contextScratch = poisoned([n, d])
        expectConversions("layerNorm → selfAttention n \(n) d \(d) read the norm's copy", 0, rows: n) { gpu in
            gpu.layerNorm(xDevice, weight: weightDevice, bias: biasDevice, epsilon: 1e-12, into: normedAgain)
            gpu.selfAttention(
                normedAgain, qkv: qkvDevice, qkvBias: qkvBiasDevice, output: outputDevice, outputBias: outputBiasDevice,
                sequenceLengths: lengths, heads: heads, scale: scale, qkvScratch: qkvScratch, contextScratch: contextScratch, into: attentionOut)
        }
        compare("gemm-input", "layerNorm → selfAttention n \(n) d \(d) heads \(heads)", gpu.readFloats(attentionOut), attended.floats, relative: 5e-3)
    }

    /// A norm's copy made stale before the GEMM: the GEMM must read the tensor's new values.
    mutating func staleCopies(n: Int, d: Int) {
        let x = random.normals(n * d), weight = random.normals(d)
        let (projection, _) = bf16Weights([d + 3, d])
        let projectionDevice = gpu.upload(projection), xDevice = device(x, [n, d]), weightDevice = device(weight, [d])
        func expectedLinear(_ input: [Float]) -> [Float] {
            let out = Tensor(zeros: [n, d + 3])
            ReferenceOps.linear(host(rounded(input), [n, d]), weight: projection, bias: nil, into: out)
            return out.floats
        }

        // A kernel writes into the norm's output between the norm and the GEMM.
        let a = random.normals(n * d), b = random.normals(n * d)
        let normed = poisoned([n, d]), out = poisoned([n, d + 3])
        let aDevice = device(a, [n, d]), bDevice = device(b, [n, d])
        expectConversions("stale copy: rmsNorm, add into its output, linear converts", 1, rows: n) { gpu in
            gpu.rmsNorm(xDevice, weight: weightDevice, epsilon: 1e-5, into: normed)
            gpu.add(aDevice, bDevice, into: normed)
            gpu.linear(normed, weight: projectionDevice, bias: nil, into: out)
        }
        compare("gemm-input", "stale copy: rmsNorm, add into its output, linear", gpu.readFloats(out), expectedLinear(zip(a, b).map { $0 + $1 }), relative: 1e-5)

        // A host write into the norm's output.
        let fresh = random.normals(n * d)
        let normed2 = poisoned([n, d]), out2 = poisoned([n, d + 3])
        expectConversions("stale copy: rmsNorm, host write into its output, linear converts", 1, rows: n) { gpu in
            gpu.rmsNorm(xDevice, weight: weightDevice, epsilon: 1e-5, into: normed2)
            gpu.write(fresh, into: normed2)
            gpu.linear(normed2, weight: projectionDevice, bias: nil, into: out2)
        }
        compare("gemm-input", "stale copy: rmsNorm, host write into its output, linear", gpu.readFloats(out2), expectedLinear(fresh), relative: 1e-5)

        // The GEMM reads another tensor of the same shape: the copy is not its input.
        let other = random.normals(n * d)
        let otherDevice = device(other, [n, d]), normed3 = poisoned([n, d]), out3 = poisoned([n, d + 3])
        expectConversions("another tensor: rmsNorm, linear of a different tensor converts", 1, rows: n) { gpu in
            gpu.rmsNorm(xDevice, weight: weightDevice, epsilon: 1e-5, into: normed3)
            gpu.linear(otherDevice, weight: projectionDevice, bias: nil, into: out3)
        }
        compare("gemm-input", "another tensor: rmsNorm, linear of a different tensor", gpu.readFloats(out3), expectedLinear(other), relative: 1e-5)

        // A consumer's own work ends the copy: a second linear of the norm's output after a
        // GEMM that wrote over it (in place, as `selected` is normed in place) must convert.
        let normed4 = poisoned([n, d]), square = gpu.upload(bf16Weights([d, d]).0), out4 = poisoned([n, d + 3])
        expectConversions("consumed copy: rmsNorm, linear into a tensor, linear of that tensor converts", 1, rows: n) { gpu in
            gpu.rmsNorm(xDevice, weight: weightDevice, epsilon: 1e-5, into: normed4)
            gpu.linear(normed4, weight: square, bias: nil, into: normed4)
            gpu.linear(normed4, weight: projectionDevice, bias: nil, into: out4)
        }
        let values4 = gpu.readFloats(normed4)
        compare("gemm-input", "consumed copy: second linear reads the first one's output", gpu.readFloats(out4), expectedLinear(values4), relative: 1e-5)
    }
}
