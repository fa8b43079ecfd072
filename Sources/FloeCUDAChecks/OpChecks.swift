import FloeCPU
import FloeCUDA
import FloeEngine
import FloeTensor
import Foundation

/// Every CUDA op against the CPU reference (`ReferenceOps`) on fresh random inputs, several
/// shapes including odd sizes. Weights are generated in bf16 so both sides use identical values;
/// KV values are rounded to bf16 on the CPU side because the CUDA cache stores bf16. Device
/// outputs are poisoned with NaN first, so an element a kernel forgets to write fails the check.
public struct OpChecks {
    let gpu: CUDABackend
    var random: CheckRandom
    var report: CheckReport

    public init(gpu: CUDABackend, report: CheckReport, seed: UInt64 = 2026) {
        self.gpu = gpu
        self.report = report
        random = CheckRandom(seed: seed)
    }

    public mutating func run() -> CheckReport {
        for (vocab, d) in [(100, 64), (37, 33), (1000, 576)] { embed(vocab: vocab, d: d) }
        for (n, d) in [(1, 64), (5, 576), (3, 4096), (2, 1001)] { rmsNorm(n: n, d: d) }
        for (n, inF, outF) in [(1, 64, 96), (3, 100, 37), (8, 576, 1536), (9, 576, 192), (64, 896, 4864), (17, 130, 70), (1, 4096, 4096), (2, 576, 192), (2, 14336, 4096)] {
            linear(n: n, in: inF, out: outF, bias: outF % 2 == 0)
        }
        for (n, inF, outF) in [(1, 64, 96), (5, 66, 33), (40, 256, 512)] { linearF32(n: n, in: inF, out: outF) }
        for (n, inF) in [(1, 576), (2, 4096), (5, 64)] { fusedProjections(n: n, in: inF) }
        for (n, inF) in [(5, 64), (70, 576)] { fusedProjections(n: n, in: inF, biases: false) }  // K and V as one batched GEMM
        for (n, inF, withBiases) in [(1, 576, false), (9, 64, true), (64, 4096, false), (130, 576, true)] {
            stackedProjections(n: n, in: inF, biases: withBiases)
        }
        // (tokens, heads, KV heads, head size, biases, style): the GEMV path, the stacked GEMM
        // rotated and stored straight from its output, the Llama-3-8B shape of a decode step.
        for (n, heads, kvHeads, hd, withBiases, style) in [
            (1, 8, 2, 64, true, RoPEStyle.halves), (9, 8, 2, 64, true, .interleaved), (64, 32, 8, 128, false, .halves),
            (130, 14, 2, 64, true, .halves),
        ] {
            projectQKVAndStoreKV(n: n, heads: heads, kvHeads: kvHeads, hd: hd, biases: withBiases, style: style)
        }
        for (n, heads, hd) in [(1, 9, 64), (7, 14, 64), (5, 8, 8), (3, 32, 128)] {
            rope(n: n, heads: heads, hd: hd, style: .halves)
            rope(n: n, heads: heads, hd: hd, style: .interleaved)
        }
        elementwise(count: 1000)
        elementwise(count: 65_537)
        softmax(rows: 3, cols: 1000)
        softmax(rows: 2, cols: 151_936, relative: 1e-3)  // the reference sums 151,936 terms in order
        gather(rows: 10, d: 576, indices: [9, 0, 3, 3])
        argmax(rows: 5, cols: 128_256)
        argmax(rows: 64, cols: 128_256)  // a decode batch's rows, float4 loads
        argmax(rows: 4, cols: 1_001)     // scalar loads
        // Attention: (heads, kvHeads, hd, context lengths, query tokens per sequence)
        attention(heads: 9, kvHeads: 3, hd: 64, contexts: [5, 17, 40], queries: [1, 1, 1])          // decode
        attention(heads: 14, kvHeads: 2, hd: 64, contexts: [100], queries: [100])                   // prefill
        attention(heads: 8, kvHeads: 4, hd: 8, contexts: [33, 70, 9], queries: [10, 1, 9])          // mixed, tiny head
        attention(heads: 32, kvHeads: 8, hd: 128, contexts: [3000], queries: [1])                   // split-K decode
        attention(heads: 32, kvHeads: 8, hd: 128, contexts: [1500, 700, 20, 2048], queries: [1, 3, 20, 2])
        attention(heads: 12, kvHeads: 12, hd: 96, contexts: [130], queries: [130])                  // odd head size, MHA
        attention(heads: 32, kvHeads: 8, hd: 128, contexts: [300, 50, 1001], queries: [80, 1, 1])   // prefill chunk + decodes
        attention(heads: 14, kvHeads: 2, hd: 64, contexts: [70, 64], queries: [70, 64])            // two prefill chunks
        attention(heads: 32, kvHeads: 8, hd: 128, contexts: [1100, 40], queries: [520, 1])         // long flash chunk after cached keys
        attention(heads: 14, kvHeads: 2, hd: 64, contexts: [2100, 300], queries: [64, 300])        // two flash chunks, many key tiles
        attention(heads: 4, kvHeads: 2, hd: 32, contexts: [16, 47, 15], queries: [16, 15, 15])     // flash threshold: 16 vs 15 queries
        attention(heads: 6, kvHeads: 6, hd: 96, contexts: [200, 129], queries: [65, 129])          // flash hd 96, tiles of 1 and 65 rows
        // Decodes that fill the GPU take the flash kernel's grouped mode (a block per sequence and KV
        // head): 40 decodes × 8 KV heads; with a prefill chunk beside them; 2-token sequences with
        // a GQA group of 8 (16 rows a block).
        attention(heads: 32, kvHeads: 8, hd: 128, contexts: (0..<40).map { 1 + $0 * 37 % 300 }, queries: Array(repeating: 1, count: 40))
        // Cache blocks of 12 (not a power of two: the kernels' row lookup divides): short decodes
        // (the flash kernel's grouped mode) with a group of 3, and a prefill chunk.
        attention(heads: 9, kvHeads: 3, hd: 64, contexts: [130, 7, 200], queries: [1, 1, 1], blockSize: 12)
        attention(heads: 14, kvHeads: 2, hd: 64, contexts: [100], queries: [100], blockSize: 12)
        // Qwen2.5-0.5B's GQA group of 7: short decodes (grouped flash rows 7 of 16) and a long one (split paged).
        attention(heads: 14, kvHeads: 2, hd: 64, contexts: [50, 200, 9], queries: [1, 1, 1])
        attention(heads: 14, kvHeads: 2, hd: 64, contexts: [900, 3], queries: [1, 1])
        attention(heads: 32, kvHeads: 8, hd: 128, contexts: [90] + (0..<40).map { 2 + $0 * 53 % 200 }, queries: [70] + Array(repeating: 1, count: 40))
        attention(heads: 16, kvHeads: 2, hd: 64, contexts: (0..<140).map { 2 + $0 * 13 % 100 }, queries: Array(repeating: 2, count: 140))
        // Up to 16 rows a block split each key tile over the warps (flash_decode_paged_*); 24 rows
        // (3 tokens × 8 heads) keep one warp per 16 rows.
        attention(heads: 16, kvHeads: 2, hd: 64, contexts: (0..<140).map { 3 + $0 * 11 % 90 }, queries: Array(repeating: 3, count: 140))
        attention(heads: 12, kvHeads: 4, hd: 96, contexts: (0..<70).map { 1 + $0 * 29 % 400 }, queries: Array(repeating: 1, count: 70))
        attention(heads: 4, kvHeads: 2, hd: 32, contexts: (0..<140).map { $0 % 7 == 0 ? 64 * (1 + $0 % 3) : 1 + $0 * 17 % 150 },
                  queries: Array(repeating: 1, count: 140))                                          // hd 32, contexts of whole tiles
        attention(heads: 32, kvHeads: 8, hd: 128, contexts: (0..<36).map { $0 % 3 == 0 ? 2500 - $0 : 1 + $0 * 7 }, queries: Array(repeating: 1, count: 36))
        attention(heads: 4, kvHeads: 1, hd: 32, contexts: [77, 5], queries: [1, 1])               // hd 32 vector loads
        attention(heads: 8, kvHeads: 2, hd: 256, contexts: [90, 300], queries: [1, 2])            // hd 256 vector loads
        ropeAndStoreKV(heads: 9, kvHeads: 3, hd: 64, n: 5, style: .interleaved)
        ropeAndStoreKV(heads: 14, kvHeads: 2, hd: 64, n: 33, style: .halves)
        ropeAndStoreKV(heads: 8, kvHeads: 4, hd: 8, n: 3, style: .halves)
        encoderOps()
        gemmInputOps()
        deviceSampling()
        return report
    }

    // MARK: Helpers

    func host(_ values: [Float], _ shape: Shape) -> Tensor { Tensor(values, shape: shape) }

    /// A host bf16 tensor of random values (weights), and its values as floats.
    mutating func bf16Weights(_ shape: Shape, scale: Float = 0.05) -> (Tensor, [Float]) {
        let values = random.normals(shape.elementCount).map { Float(bf16Bits: ($0 * scale).bf16Bits) }
        return (bf16Cache(values, shape), values)
    }

    /// A device f32 tensor holding `values`.
    func device(_ values: [Float], _ shape: Shape) -> Tensor {
        let tensor = gpu.allocate(shape, dtype: .f32)
        gpu.write(values, into: tensor)
        return tensor
    }

    /// A device f32 output filled with NaN.
    func poisoned(_ shape: Shape) -> Tensor { device([Float](repeating: .nan, count: shape.elementCount), shape) }

    mutating func compare(_ group: String, _ name: String, _ actual: [Float], _ expected: [Float], relative: Float) {
        let difference = Difference(actual, expected)
        report.record(group, name, passed: difference.within(relative: relative), difference.summary)
    }

    // MARK: Ops

    mutating func embed(vocab: Int, d: Int) {
        let (table, _) = bf16Weights([vocab, d])
        let tokens = (0..<7).map { _ in Int32(random.below(vocab)) }
        let expected = Tensor(zeros: [tokens.count, d])
        ReferenceOps.embed(tokens: Tensor(int32: tokens, shape: [tokens.count]), table: table, into: expected)
        let tokensDevice = gpu.allocate([tokens.count], dtype: .i32)
        gpu.write(tokens, into: tokensDevice)
        let out = poisoned([tokens.count, d])
        gpu.embed(tokens: tokensDevice, table: gpu.upload(table), into: out)
        compare("ops", "embed vocab \(vocab) d \(d)", gpu.readFloats(out), expected.floats, relative: 0)
    }

    mutating func rmsNorm(n: Int, d: Int) {
        let x = random.normals(n * d), residual = random.normals(n * d), weight = random.normals(d)
        let expected = Tensor(zeros: [n, d])
        ReferenceOps.rmsNorm(host(x, [n, d]), weight: host(weight, [d]), epsilon: 1e-5, into: expected)
        let out = poisoned([n, d])
        gpu.rmsNorm(device(x, [n, d]), weight: device(weight, [d]), epsilon: 1e-5, into: out)
        compare("ops", "rmsNorm \(n)×\(d)", gpu.readFloats(out), expected.floats, relative: 1e-6)

        // Fused residual add + norm: both the updated residual and the normed output.
        let sum = zip(x, residual).map { $0 + $1 }
        let fusedExpected = Tensor(zeros: [n, d])
        ReferenceOps.rmsNorm(host(sum, [n, d]), weight: host(weight, [d]), epsilon: 1e-5, into: fusedExpected)
        let stream = device(x, [n, d]), fused = poisoned([n, d])
        gpu.addRMSNorm(residual: stream, delta: device(residual, [n, d]), weight: device(weight, [d]), epsilon: 1e-5, into: fused)
        compare("ops", "addRMSNorm \(n)×\(d) output", gpu.readFloats(fused), fusedExpected.floats, relative: 1e-6)
        compare("ops", "addRMSNorm \(n)×\(d) residual", gpu.readFloats(stream), sum, relative: 0)
    }

    mutating func linear(n: Int, in inFeatures: Int, out outFeatures: Int, bias hasBias: Bool) {
        let (weight, _) = bf16Weights([outFeatures, inFeatures])
        let x = random.normals(n * inFeatures)
        let bias = hasBias ? random.normals(outFeatures) : nil
        // The GPU rounds activations to bf16 (both GEMV and cuBLASLt paths); so does the reference input.
        let xRounded = x.map { Float(bf16Bits: $0.bf16Bits) }
        let expected = Tensor(zeros: [n, outFeatures])
        ReferenceOps.linear(host(xRounded, [n, inFeatures]), weight: weight, bias: bias.map { host($0, [outFeatures]) }, into: expected)
        let out = poisoned([n, outFeatures])
        gpu.linear(device(x, [n, inFeatures]), weight: gpu.upload(weight), bias: bias.map { gpu.upload(host($0, [outFeatures])) }, into: out)
        compare("ops", "linear n \(n) in \(inFeatures) out \(outFeatures)\(hasBias ? " +bias" : "")", gpu.readFloats(out), expected.floats, relative: 1e-5)
    }

    /// `linears` over Q/K/V weights uploaded back to back (`uploadStacked`, as the model keeps
    /// them): one GEMM split into the three outputs (biases added there) for batches above
    /// `gemvMaxTokens`, the GEMV on the adjacent views below.
    mutating func stackedProjections(n: Int, in inFeatures: Int, biases withBiases: Bool) {
        let shapes = [inFeatures, inFeatures / 4, inFeatures / 4]
        let weights = shapes.map { bf16Weights([$0, inFeatures]) }
        let biases = shapes.map { random.normals($0) }
        let x = random.normals(n * inFeatures)
        let xRounded = host(x.map { Float(bf16Bits: $0.bf16Bits) }, [n, inFeatures])
        let outs = shapes.map { poisoned([n, $0]) }
        let stackedBefore = gpu.stackedGEMMCalls
        gpu.linears(device(x, [n, inFeatures]), weights: gpu.uploadStacked(weights.map(\.0)),
            biases: shapes.indices.map { withBiases ? gpu.upload(host(biases[$0], [shapes[$0]])) : nil }, into: outs)
        let label = "stacked linears n \(n) in \(inFeatures)\(withBiases ? " +bias" : "")"
        if n > gpu.gemvMaxTokens {
            report.record("ops", "\(label): one GEMM", passed: gpu.stackedGEMMCalls == stackedBefore + 1,
                "\(gpu.stackedGEMMCalls - stackedBefore) stacked call(s)")
        }
        compareProjections(outs, x: xRounded, weights: weights.map(\.0), biases: withBiases ? biases : nil) { "\(label) matrix \($0)" }
    }

    /// Each of `outs` against the reference linear of (bf16-rounded) `x` with its weight and bias.
    mutating func compareProjections(_ outs: [Tensor], x: Tensor, weights: [Tensor], biases: [[Float]]?, name: (Int) -> String) {
        for (index, out) in outs.enumerated() {
            let width = weights[index].shape.rowCount, expected = Tensor(zeros: [x.shape.rowCount, width])
            ReferenceOps.linear(x, weight: weights[index], bias: biases.map { host($0[index], [width]) }, into: expected)
            compare("ops", name(index), gpu.readFloats(out), expected.floats, relative: 1e-5)
        }
    }

    /// `linears` (Q/K/V in one launch) and `gatedLinear` (gate/up/SiLU) against the reference.
    /// Without biases, K and V (same shape) may run as one batched cuBLASLt call (more than
    /// `gemvMaxTokens` rows), which these cases check; gatedLinear is checked with biases only.
    mutating func fusedProjections(n: Int, in inFeatures: Int, biases withBiases: Bool = true) {
        let shapes = [inFeatures, inFeatures / 4, inFeatures / 4]
        let weights = shapes.map { bf16Weights([$0, inFeatures]) }
        let biases = shapes.map { random.normals($0) }
        let x = random.normals(n * inFeatures)
        let xRounded = host(x.map { Float(bf16Bits: $0.bf16Bits) }, [n, inFeatures])
        var outs = shapes.map { poisoned([n, $0]) }
        var uploaded = weights.map { gpu.upload($0.0) }
        if !withBiases {
            // K and V as the model would keep them for one batched GEMM: each pair in one
            // allocation, the second right after the first.
            let kv = shapes[1], both = poisoned([2 * n * kv])
            outs[1] = Tensor(storage: both.storage, shape: [n, kv], dtype: .f32, byteOffset: both.byteOffset)
            outs[2] = Tensor(storage: both.storage, shape: [n, kv], dtype: .f32, byteOffset: both.byteOffset + n * kv * 4)
            let stacked = gpu.upload(host(weights[1].1 + weights[2].1, [2 * kv, inFeatures]))
            uploaded[1] = Tensor(storage: stacked.storage, shape: [kv, inFeatures], dtype: stacked.dtype, byteOffset: stacked.byteOffset)
            uploaded[2] = Tensor(storage: stacked.storage, shape: [kv, inFeatures], dtype: stacked.dtype, byteOffset: stacked.byteOffset + kv * inFeatures * 2)
        }
        let pairedBefore = gpu.pairedGEMMCalls
        gpu.linears(device(x, [n, inFeatures]), weights: uploaded,
            biases: withBiases ? biases.enumerated().map { gpu.upload(host($1, [shapes[$0]])) } : shapes.map { _ in nil }, into: outs)
        if !withBiases, n > gpu.gemvMaxTokens {
            report.record("ops", "linears n \(n) in \(inFeatures): K and V in one batched GEMM", passed: gpu.pairedGEMMCalls == pairedBefore + 1,
                "\(gpu.pairedGEMMCalls - pairedBefore) batched call(s)")
        }
        compareProjections(outs, x: xRounded, weights: weights.map(\.0), biases: withBiases ? biases : nil) {
            "linears n \(n) in \(inFeatures) matrix \($0)\(withBiases ? "" : " (no bias)")"
        }
        guard withBiases else { return }
        let ff = 3 * inFeatures / 2
        let (gate, _) = bf16Weights([ff, inFeatures]), (up, _) = bf16Weights([ff, inFeatures])
        let gateExpected = Tensor(zeros: [n, ff]), upExpected = Tensor(zeros: [n, ff]), expected = Tensor(zeros: [n, ff])
        ReferenceOps.linear(xRounded, weight: gate, bias: nil, into: gateExpected)
        ReferenceOps.linear(xRounded, weight: up, bias: nil, into: upExpected)
        // The gated GEMV (few rows) rounds gate and up to bf16 before SiLU, as gatedFeedForward's
        // 16-bit cuBLASLt outputs are; a different summation order flips a few of those roundings
        // by one ulp. gatedLinear's own cuBLASLt path keeps them in f32.
        let gemv = n <= gpu.gemvMaxTokens
        func rounded(_ t: Tensor) -> Tensor { gemv ? host(t.floats.map { Float(bf16Bits: $0.bf16Bits) }, t.shape) : t }
        ReferenceOps.siluMul(gate: rounded(gateExpected), up: rounded(upExpected), into: expected)
        let out = poisoned([n, ff])
        gpu.gatedLinear(device(x, [n, inFeatures]), gate: gpu.upload(gate), up: gpu.upload(up), scratch: gpu.allocate([n, ff], dtype: .f32), into: out)
        compare("ops", "gatedLinear n \(n) in \(inFeatures)", gpu.readFloats(out), expected.floats, relative: gemv ? 2e-4 : 1e-5)
    }

    /// f32 weights (`--dtype float32`): no rounding anywhere, so the match is tight.
    mutating func linearF32(n: Int, in inFeatures: Int, out outFeatures: Int) {
        let weight = random.normals(outFeatures * inFeatures), x = random.normals(n * inFeatures), bias = random.normals(outFeatures)
        let expected = Tensor(zeros: [n, outFeatures])
        ReferenceOps.linear(host(x, [n, inFeatures]), weight: host(weight, [outFeatures, inFeatures]), bias: host(bias, [outFeatures]), into: expected)
        let out = poisoned([n, outFeatures])
        let deviceWeight = device(weight, [outFeatures, inFeatures])
        gpu.linear(device(x, [n, inFeatures]), weight: deviceWeight, bias: device(bias, [outFeatures]), into: out)
        compare("ops", "linear f32 n \(n) in \(inFeatures) out \(outFeatures)", gpu.readFloats(out), expected.floats, relative: 1e-5)
    }

    mutating func rope(n: Int, heads: Int, hd: Int, style: RoPEStyle) {
        let x = random.normals(n * heads * hd)
        let positions = (0..<n).map { _ in Int32(random.below(8000)) }
        let frequencies = (0..<hd / 2).map { Float(pow(500_000.0, -2.0 * Double($0) / Double(hd))) }
        let expected = host(x, [n, heads, hd])
        ReferenceOps.rope(expected, positions: Tensor(int32: positions, shape: [n]), inverseFrequencies: host(frequencies, [hd / 2]), style: style)
        let value = device(x, [n, heads, hd]), positionsDevice = gpu.allocate([n], dtype: .i32)
        gpu.write(positions, into: positionsDevice)
        gpu.rope(value, positions: positionsDevice, inverseFrequencies: gpu.upload(host(frequencies, [hd / 2])), style: style)
        compare("ops", "rope \(style) n \(n) heads \(heads) hd \(hd)", gpu.readFloats(value), expected.floats, relative: 1e-6)
    }

    mutating func elementwise(count: Int) {
        let a = random.normals(count), b = random.normals(count)
        let silu = Tensor(zeros: [count]), sum = Tensor(zeros: [count])
        ReferenceOps.siluMul(gate: host(a, [count]), up: host(b, [count]), into: silu)
        ReferenceOps.add(host(a, [count]), host(b, [count]), into: sum)
        let outSilu = poisoned([count]), outSum = poisoned([count])
        gpu.siluMul(gate: device(a, [count]), up: device(b, [count]), into: outSilu)
        gpu.add(device(a, [count]), device(b, [count]), into: outSum)
        compare("ops", "siluMul \(count)", gpu.readFloats(outSilu), silu.floats, relative: 1e-6)
        compare("ops", "add \(count)", gpu.readFloats(outSum), sum.floats, relative: 0)
    }

    mutating func softmax(rows: Int, cols: Int, relative: Float = 1e-5) {
        let x = random.normals(rows * cols).map { $0 * 4 }
        let expected = Tensor(zeros: [rows, cols])
        ReferenceOps.softmax(host(x, [rows, cols]), into: expected)
        let out = poisoned([rows, cols])
        gpu.softmax(device(x, [rows, cols]), into: out)
        compare("ops", "softmax \(rows)×\(cols)", gpu.readFloats(out), expected.floats, relative: relative)
    }

    mutating func argmax(rows: Int, cols: Int) {
        var x = random.normals(rows * cols)
        x[3 * cols + 17] = 100; x[3 * cols + 9] = 100  // a tie: the lower index wins
        let expected = (0..<rows).map { row in (0..<cols).reduce(0) { x[row * cols + $1] > x[row * cols + $0] ? $1 : $0 } }
        let actual = gpu.argmaxRows(device(x, [rows, cols]))
        report.record("ops", "argmaxRows \(rows)×\(cols)", passed: actual == expected, "\(actual) vs \(expected)")
    }

    mutating func gather(rows: Int, d: Int, indices: [Int]) {
        let x = random.normals(rows * d)
        let expected = Tensor(zeros: [indices.count, d])
        ReferenceOps.gatherRows(host(x, [rows, d]), indices: indices, into: expected)
        let out = poisoned([indices.count, d])
        gpu.gatherRows(device(x, [rows, d]), indices: indices, into: out)
        compare("ops", "gatherRows \(indices)", gpu.readFloats(out), expected.floats, relative: 0)
    }

    /// storeKV then attention for sequences of the given context lengths, each contributing its
    /// last `queries[i]` tokens; block tables are shuffled so paging is really exercised.
    mutating func attention(heads: Int, kvHeads: Int, hd: Int, contexts: [Int], queries: [Int], blockSize: Int = 16) {
        let blocksPer = contexts.map { ($0 + blockSize - 1) / blockSize }
        let blockCount = blocksPer.reduce(0, +) + 3
        var free = Array(0..<blockCount).shuffled(using: &random)
        let width = kvHeads * hd
        let slots = blockCount * blockSize
        // Earlier context (already cached) is written straight into both caches.
        var cacheK = [Float](repeating: 0, count: slots * width), cacheV = cacheK
        var sequences: [AttentionMetadata.Sequence] = []
        var row = 0
        for (context, queryCount) in zip(contexts, queries) {
            let table = (0..<(context + blockSize - 1) / blockSize).map { _ in Int32(free.removeLast()) }
            sequences.append(.init(queryTokens: row..<(row + queryCount), contextLength: context, blockTable: table))
            for position in 0..<(context - queryCount) {
                let slot = Int(table[position / blockSize]) * blockSize + position % blockSize
                for j in 0..<width {
                    cacheK[slot * width + j] = Float(bf16Bits: (random.normal()).bf16Bits)
                    cacheV[slot * width + j] = Float(bf16Bits: (random.normal()).bf16Bits)
                }
            }
            row += queryCount
        }
        let n = row
        let metadata = AttentionMetadata(sequences: sequences, blockSize: blockSize)
        let q = random.normals(n * heads * hd)
        let k = random.normals(n * width).map { Float(bf16Bits: $0.bf16Bits) }
        let v = random.normals(n * width).map { Float(bf16Bits: $0.bf16Bits) }
        let scale = 1 / Float(hd).squareRoot()

        let hostK = host(cacheK, [slots, kvHeads, hd]), hostV = host(cacheV, [slots, kvHeads, hd])
        ReferenceOps.storeKV(key: host(k, [n, kvHeads, hd]), value: host(v, [n, kvHeads, hd]), keyCache: hostK, valueCache: hostV, metadata: metadata)
        let expected = Tensor(zeros: [n, heads, hd])
        ReferenceOps.attention(query: host(q, [n, heads, hd]), keyCache: hostK, valueCache: hostV, metadata: metadata, scale: scale, into: expected)

        let deviceK = gpu.upload(bf16Cache(cacheK, [slots, kvHeads, hd]))
        let deviceV = gpu.upload(bf16Cache(cacheV, [slots, kvHeads, hd]))
        gpu.storeKV(key: device(k, [n, kvHeads, hd]), value: device(v, [n, kvHeads, hd]), keyCache: deviceK, valueCache: deviceV, metadata: metadata)
        let out = poisoned([n, heads, hd])
        gpu.attention(query: device(q, [n, heads, hd]), keyCache: deviceK, valueCache: deviceV, metadata: metadata, scale: scale, into: out)
        let label = "heads \(heads)/\(kvHeads) hd \(hd) " + (contexts.count <= 8 ? "contexts \(contexts) queries \(queries)"
            : "\(contexts.count) sequences, contexts \(contexts.min()!)…\(contexts.max()!), queries \(Set(queries).sorted())")
        compare("ops", "storeKV \(label)", bf16Floats(gpu.readBytes(deviceK)), hostK.floats, relative: 0)
        // Prefill chunks (`usesFlashAttention`) run on tensor cores with bf16 queries and
        // probabilities: bf16 tolerance there, f32 elsewhere.
        let flash = gpu.attentionUsesFlash(queries: queries, contexts: contexts, headDim: hd, kvHeads: kvHeads, heads: heads)
        compare("ops", "attention \(label)\(flash ? " (flash)" : "")", gpu.readFloats(out), expected.floats,
            relative: flash ? 1e-2 : 2e-5)
    }

    /// The fused RoPE + KV write against the reference's rope, rope, storeKV.
    mutating func ropeAndStoreKV(heads: Int, kvHeads: Int, hd: Int, n: Int, style: RoPEStyle) {
        let blockSize = 16, blocks = (n + blockSize - 1) / blockSize + 1
        let table = (0..<blocks).map { Int32($0) }.shuffled(using: &random)
        let metadata = AttentionMetadata(sequences: [.init(queryTokens: 0..<n, contextLength: n, blockTable: table)], blockSize: blockSize)
        let q = random.normals(n * heads * hd), k = random.normals(n * kvHeads * hd), v = random.normals(n * kvHeads * hd)
        let positions = (0..<n).map { Int32($0 + 100) }
        let frequencies = (0..<hd / 2).map { Float(pow(10_000.0, -2.0 * Double($0) / Double(hd))) }
        let slots = blocks * blockSize
        let hostQ = host(q, [n, heads, hd]), hostK = host(k, [n, kvHeads, hd])
        let hostKC = Tensor(zeros: [slots, kvHeads, hd]), hostVC = Tensor(zeros: [slots, kvHeads, hd])
        let positionsHost = Tensor(int32: positions, shape: [n]), frequenciesHost = host(frequencies, [hd / 2])
        ReferenceOps.rope(hostQ, positions: positionsHost, inverseFrequencies: frequenciesHost, style: style)
        ReferenceOps.rope(hostK, positions: positionsHost, inverseFrequencies: frequenciesHost, style: style)
        ReferenceOps.storeKV(key: hostK, value: host(v, [n, kvHeads, hd]), keyCache: hostKC, valueCache: hostVC, metadata: metadata)
        let deviceQ = device(q, [n, heads, hd]), deviceK = device(k, [n, kvHeads, hd])
        let positionsDevice = gpu.allocate([n], dtype: .i32)
        gpu.write(positions, into: positionsDevice)
        let keyCache = gpu.allocate([slots, kvHeads, hd], dtype: .bf16), valueCache = gpu.allocate([slots, kvHeads, hd], dtype: .bf16)
        gpu.ropeAndStoreKV(query: deviceQ, key: deviceK, value: device(v, [n, kvHeads, hd]), positions: positionsDevice,
            inverseFrequencies: gpu.upload(frequenciesHost), style: style, keyCache: keyCache, valueCache: valueCache, metadata: metadata)
        let label = "ropeAndStoreKV \(style) heads \(heads)/\(kvHeads) hd \(hd) n \(n)"
        compare("ops", label + " query", gpu.readFloats(deviceQ), hostQ.floats, relative: 1e-6)
        compare("ops", label + " key cache", bf16Floats(gpu.readBytes(keyCache)), hostKC.floats, relative: 4e-3)
        compare("ops", label + " value cache", bf16Floats(gpu.readBytes(valueCache)), hostVC.floats, relative: 4e-3)
    }

    /// Q/K/V projections, RoPE and the cache write as one op (`projectQKVAndStoreKV`: with more
    /// than `gemvMaxTokens` rows one stacked GEMM whose output `rope_store_kv` reads) against the
    /// reference's linears, rope, rope, storeKV. With more than one row, the last row pads the
    /// batch as a recorded step's padding does (slot -1): its outputs are written, the cache not.
    mutating func projectQKVAndStoreKV(n: Int, heads: Int, kvHeads: Int, hd: Int, biases withBiases: Bool, style: RoPEStyle) {
        let d = heads * hd, widths = [heads * hd, kvHeads * hd, kvHeads * hd]
        let weights = widths.map { bf16Weights([$0, d]) }
        let biases = widths.map { random.normals($0) }
        let x = random.normals(n * d)
        let blockSize = 16, blocks = (n + blockSize - 1) / blockSize + 1, slots = blocks * blockSize
        let table = (0..<blocks).map { Int32($0) }.shuffled(using: &random)
        var metadata = AttentionMetadata(sequences: [.init(queryTokens: 0..<n, contextLength: n, blockTable: table)], blockSize: blockSize)
        if n > 1 {
            var slotMapping = metadata.slotMapping
            slotMapping[n - 1] = -1
            metadata = AttentionMetadata(sequences: metadata.sequences, slotMapping: slotMapping, blockSize: blockSize)
        }
        let positions = (0..<n).map { Int32($0 * 7 + 3) }
        let frequencies = (0..<hd / 2).map { Float(pow(500_000.0, -2.0 * Double($0) / Double(hd))) }
        let positionsHost = Tensor(int32: positions, shape: [n]), frequenciesHost = host(frequencies, [hd / 2])

        let xRounded = host(x.map { Float(bf16Bits: $0.bf16Bits) }, [n, d])
        let expected = widths.map { Tensor(zeros: [n, $0]) }
        for index in 0..<3 {
            ReferenceOps.linear(xRounded, weight: weights[index].0, bias: withBiases ? host(biases[index], [widths[index]]) : nil,
                into: expected[index])
        }
        let hostQ = expected[0].reshaped([n, heads, hd]), hostK = expected[1].reshaped([n, kvHeads, hd])
        let hostKC = Tensor(zeros: [slots, kvHeads, hd]), hostVC = Tensor(zeros: [slots, kvHeads, hd])
        ReferenceOps.rope(hostQ, positions: positionsHost, inverseFrequencies: frequenciesHost, style: style)
        ReferenceOps.rope(hostK, positions: positionsHost, inverseFrequencies: frequenciesHost, style: style)
        ReferenceOps.storeKV(key: hostK, value: expected[2].reshaped([n, kvHeads, hd]), keyCache: hostKC, valueCache: hostVC,
            metadata: metadata)

        let outs = [poisoned([n, heads, hd]), poisoned([n, kvHeads, hd]), poisoned([n, kvHeads, hd])]
        let positionsDevice = gpu.allocate([n], dtype: .i32)
        gpu.write(positions, into: positionsDevice)
        let keyCache = gpu.allocate([slots, kvHeads, hd], dtype: .bf16), valueCache = gpu.allocate([slots, kvHeads, hd], dtype: .bf16)
        let stackedBefore = gpu.stackedGEMMCalls
        gpu.projectQKVAndStoreKV(device(x, [n, d]), weights: gpu.uploadStacked(weights.map(\.0)),
            biases: widths.indices.map { withBiases ? gpu.upload(host(biases[$0], [widths[$0]])) : nil },
            query: outs[0], key: outs[1], value: outs[2], positions: positionsDevice, inverseFrequencies: gpu.upload(frequenciesHost),
            style: style, keyCache: keyCache, valueCache: valueCache, metadata: metadata)
        let label = "projectQKVAndStoreKV \(style) n \(n) heads \(heads)/\(kvHeads) hd \(hd)\(withBiases ? " +bias" : "")"
        if n > gpu.gemvMaxTokens {
            report.record("ops", "\(label): one GEMM", passed: gpu.stackedGEMMCalls == stackedBefore + 1,
                "\(gpu.stackedGEMMCalls - stackedBefore) stacked call(s)")
        }
        compare("ops", label + " query", gpu.readFloats(outs[0]), hostQ.floats, relative: 1e-5)
        compare("ops", label + " key", gpu.readFloats(outs[1]), hostK.floats, relative: 1e-5)
        compare("ops", label + " value", gpu.readFloats(outs[2]), expected[2].floats, relative: 1e-5)
        compare("ops", label + " key cache", bf16Floats(gpu.readBytes(keyCache)), hostKC.floats, relative: 4e-3)
        compare("ops", label + " value cache", bf16Floats(gpu.readBytes(valueCache)), hostVC.floats, relative: 4e-3)
    }

    /// A host bf16 tensor of `values` (rounded to bf16).
    func bf16Cache(_ values: [Float], _ shape: Shape) -> Tensor {
        let tensor = Tensor(zeros: shape, dtype: .bf16)
        let pointer = tensor.address.assumingMemoryBound(to: UInt16.self)
        for i in 0..<values.count { pointer[i] = values[i].bf16Bits }
        return tensor
    }

    func bf16Floats(_ bytes: [UInt8]) -> [Float] {
        bytes.withUnsafeBytes { raw in (0..<bytes.count / 2).map { Float(bf16Bits: raw.load(fromByteOffset: 2 * $0, as: UInt16.self)) } }
    }
}

/// Reproducible inputs for every run: the engine's seeded generator, with Box–Muller normals.
struct CheckRandom: RandomNumberGenerator {
    var generator: SeededGenerator
    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func normal() -> Float {
        let u = max(uniform(), 1e-300), v = uniform()
        return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
    }
    mutating func normals(_ count: Int) -> [Float] { (0..<count).map { _ in normal() } }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
