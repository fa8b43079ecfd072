import FloeTensor
import Testing
@testable import FloeCPU

/// The encoder ops of `CPUBackend` (C kernels at every instruction-set level) against
/// `ReferenceOps` on random inputs with odd sizes (vector tails) and ragged sequences.
@Suite struct EncoderOpsTests {
    @Test func layerNormAndGELUMatchAtEveryLevel() {
        var rng = SeededRandom(seed: 81)
        for (rows, cols) in [(1, 7), (5, 384), (90, 401)] {
            let x = TestData.tensor([rows, cols], &rng, range: -6...6)
            let w = TestData.tensor([cols], &rng), b = TestData.tensor([cols], &rng)
            let oracle = Tensor(zeros: [rows, cols])
            ReferenceOps.layerNorm(x, weight: w, bias: b, epsilon: 1e-12, into: oracle)
            let geluOracle = Tensor(zeros: [rows, cols])
            ReferenceOps.gelu(x, into: geluOracle)
            for level in KernelLevel.allCases where level <= KernelLevel.supported {
                let fast = Tensor(zeros: [rows, cols]), geluFast = Tensor(zeros: [rows, cols])
                withKernelLevel(level) {
                    let backend = CPUBackend(threads: 2)
                    backend.layerNorm(x, weight: w, bias: b, epsilon: 1e-12, into: fast)
                    backend.gelu(x, into: geluFast)
                }
                #expect(relativeError(fast.floats, oracle.floats) < 1e-5, "layerNorm \(rows)x\(cols) \(level)")
                #expect(relativeError(geluFast.floats, geluOracle.floats) < 1e-6, "gelu \(rows)x\(cols) \(level)")
            }
        }
    }

    @Test func layerNormMayWriteInPlace() {
        var rng = SeededRandom(seed: 82)
        let x = TestData.tensor([3, 384], &rng), w = TestData.tensor([384], &rng), b = TestData.tensor([384], &rng)
        let oracle = Tensor(zeros: [3, 384])
        ReferenceOps.layerNorm(x, weight: w, bias: b, epsilon: 1e-5, into: oracle)
        CPUBackend(threads: 1).layerNorm(x, weight: w, bias: b, epsilon: 1e-5, into: x)
        #expect(relativeError(x.floats, oracle.floats) < 1e-5)
    }

    /// Ragged lengths (1, a vector tail, one long sequence; every remainder of the kernel's
    /// four-query passes) and head sizes 32 and 64 (MiniLM, BERT-base) and 24 (a masked tail).
    @Test(arguments: [32, 64, 24])
    func attentionMatchesAtEveryLevel(headDim: Int) {
        var rng = SeededRandom(seed: 83 + UInt64(headDim))
        let heads = 3, d = heads * headDim, lengths = [1, 17, 70, 5, 7, 2]
        let n = lengths.reduce(0, +)
        let qkv = TestData.tensor([n, 3 * d], &rng, range: -2...2)
        let oracle = Tensor(zeros: [n, d])
        ReferenceOps.encoderAttention(qkv: qkv, sequenceLengths: lengths, heads: heads, scale: 0.3, into: oracle)
        for level in KernelLevel.allCases where level <= KernelLevel.supported {
            for threads in [1, 2] {
                let fast = Tensor(zeros: [n, d])
                withKernelLevel(level) {
                    CPUBackend(threads: threads).encoderAttention(qkv: qkv, sequenceLengths: lengths, heads: heads, scale: 0.3, into: fast)
                }
                #expect(relativeError(fast.floats, oracle.floats) < 1e-5, "\(level), \(threads) threads")
            }
        }
    }

    /// A sequence attends only to itself: embedding it alone or among others gives the same rows.
    /// Both runs hold the kernel-level lock: a test running beside this one may switch the level
    /// (`withKernelLevel`) between them, and kernels of two levels round differently.
    @Test func attentionDoesNotMixSequences() {
        var rng = SeededRandom(seed: 84)
        let d = 64, lengths = [9, 4]
        let qkv = TestData.tensor([13, 3 * d], &rng)
        let together = Tensor(zeros: [13, d]), alone = Tensor(zeros: [4, d])
        let backend = CPUBackend(threads: 2)
        withKernelLevel(KernelLevel.supported) {
            backend.encoderAttention(qkv: qkv, sequenceLengths: lengths, heads: 2, scale: 0.125, into: together)
            backend.encoderAttention(qkv: qkv.slice(9..<13), sequenceLengths: [4], heads: 2, scale: 0.125, into: alone)
        }
        #expect(Array(together.floats[9 * d..<13 * d]) == alone.floats)
    }

    @Test(arguments: PoolingMode.allCases)
    func poolingAndNormalizeMatch(mode: PoolingMode) {
        var rng = SeededRandom(seed: 85)
        let lengths = [1, 6, 3], d = 19
        let x = TestData.tensor([10, d], &rng, range: -3...3)
        let fast = Tensor(zeros: [3, d]), oracle = Tensor(zeros: [3, d])
        let backend = CPUBackend(threads: 2)
        backend.pool(x, sequenceLengths: lengths, mode: mode, into: fast)
        ReferenceOps.pool(x, sequenceLengths: lengths, mode: mode, into: oracle)
        #expect(relativeError(fast.floats, oracle.floats) < 1e-6)
        backend.l2Normalize(fast, into: fast)
        ReferenceOps.l2Normalize(oracle, into: oracle)
        #expect(relativeError(fast.floats, oracle.floats) < 1e-6)
        for row in 0..<3 {
            let norm = fast.floats[row * d..<(row + 1) * d].reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
    }
}
