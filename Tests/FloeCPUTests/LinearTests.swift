import FloeTensor
import Synchronization
import Testing
@testable import FloeCPU

/// The weight dtypes the fast linear/embed kernels decode.
let kernelDTypes: [DType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

@Suite struct LinearTests {
    /// (tokens, inputs, outputs): n = 1 and small n take the gemv path, larger n the GEMM path
    /// with partial tiles in both directions. (1, 768, 70) splits the one-token kernel's
    /// four-row groups across threads with a remainder.
    static let shapes: [(Int, Int, Int)] = [(1, 256, 1), (1, 512, 37), (1, 768, 70), (3, 768, 70), (4, 256, 33), (5, 256, 35), (13, 512, 65), (29, 256, 96)]

    @Test(arguments: kernelDTypes, [1, 2])
    func linearMatchesReference(dtype: DType, threads: Int) {
        let backend = CPUBackend(threads: threads)
        var rng = SeededRandom(seed: 7)
        for (n, k, rows) in Self.shapes {
            let x = TestData.tensor([n, k], &rng)
            let weight = TestData.weight(dtype, rows: rows, cols: k, &rng)
            let bias = rows % 2 == 1 ? TestData.tensor([rows], &rng) : nil
            let fast = Tensor(zeros: [n, rows]), oracle = Tensor(zeros: [n, rows])
            backend.linear(x, weight: weight, bias: bias, into: fast)
            ReferenceOps.linear(x, weight: weight, bias: bias, into: oracle)
            #expect(withinLinearBound(dtype, n: n, x: x, weight: weight, fast: fast, oracle: oracle), "\(dtype) n=\(n) k=\(k) rows=\(rows)")
        }
    }

    /// Float weights may have any row length, so the vector tails are exercised too.
    @Test(arguments: [DType.f32, .f16, .bf16])
    func oddWidthsMatchReference(dtype: DType) {
        let backend = CPUBackend(threads: 2)
        var rng = SeededRandom(seed: 11)
        for (n, k, rows) in [(1, 17, 3), (2, 1, 5), (7, 45, 19), (16, 100, 50)] {
            let x = TestData.tensor([n, k], &rng)
            let weight = TestData.weight(dtype, rows: rows, cols: k, &rng)
            let fast = Tensor(zeros: [n, rows]), oracle = Tensor(zeros: [n, rows])
            backend.linear(x, weight: weight, bias: nil, into: fast)
            ReferenceOps.linear(x, weight: weight, bias: nil, into: oracle)
            #expect(relativeError(fast.floats, oracle.floats) < 2e-5, "\(dtype) n=\(n) k=\(k) rows=\(rows)")
        }
    }

    /// Decoding must be bit-exact with FloeTensor's dequantizeRow at every kernel level; embed
    /// is the op that exposes the decoder directly.
    @Test(arguments: kernelDTypes)
    func embedIsBitExact(dtype: DType) {
        var rng = SeededRandom(seed: 3)
        let table = TestData.weight(dtype, rows: 10, cols: 512, &rng)
        let tokens = Tensor(int32: [3, 0, 9, 3], shape: [4])
        let oracle = Tensor(zeros: [4, 512])
        ReferenceOps.embed(tokens: tokens, table: table, into: oracle)
        for level in KernelLevel.allCases where level <= KernelLevel.supported {
            let fast = Tensor(zeros: [4, 512])
            withKernelLevel(level) { CPUBackend(threads: 1).embed(tokens: tokens, table: table, into: fast) }
            #expect(fast.floats.map(\.bitPattern) == oracle.floats.map(\.bitPattern), "\(dtype) at \(level)")
        }
    }

    /// Every instruction-set variant of both linear paths against the reference.
    @Test(arguments: kernelDTypes)
    func everyKernelLevelMatches(dtype: DType) {
        var rng = SeededRandom(seed: 5)
        for level in KernelLevel.allCases where level <= KernelLevel.supported {
            for n in [1, 9] {
                let x = TestData.tensor([n, 512], &rng)
                let weight = TestData.weight(dtype, rows: 41, cols: 512, &rng)
                let fast = Tensor(zeros: [n, 41]), oracle = Tensor(zeros: [n, 41])
                withKernelLevel(level) { CPUBackend(threads: 2).linear(x, weight: weight, bias: nil, into: fast) }
                ReferenceOps.linear(x, weight: weight, bias: nil, into: oracle)
                #expect(withinLinearBound(dtype, n: n, x: x, weight: weight, fast: fast, oracle: oracle, level: level), "\(dtype) n=\(n) at \(level)")
            }
        }
    }
}

/// The few-row path (2 ≤ n ≤ ROWS_MAX_N = 20 tokens, block formats: what a speculative
/// verification step runs) at every kernel level: AVX-512 fuses decoding into register-blocked
/// passes of up to 8 tokens × 2 weight rows, AVX2 and scalar decode into a buffer. An odd row
/// count leaves a one-row remainder, n crosses the pass sizes (17 → 6 + 6 + 5), and a bias is
/// added; n = 21 is the GEMM again.
extension LinearTests {
    @Test(arguments: kernelDTypes)
    func fewRowsMatchReferenceAtEveryLevel(dtype: DType) {
        var rng = SeededRandom(seed: 13)
        let k = 512, rows = 37
        let weight = TestData.weight(dtype, rows: rows, cols: k, &rng)
        let bias = TestData.tensor([rows], &rng)
        for level in KernelLevel.allCases where level <= KernelLevel.supported {
            for n in [2, 3, 4, 5, 7, 8, 9, 16, 17, 20, 21] {
                let x = TestData.tensor([n, k], &rng)
                let fast = Tensor(zeros: [n, rows]), oracle = Tensor(zeros: [n, rows])
                withKernelLevel(level) { CPUBackend(threads: 2).linear(x, weight: weight, bias: bias, into: fast) }
                ReferenceOps.linear(x, weight: weight, bias: bias, into: oracle)
                #expect(relativeError(fast.floats, oracle.floats) < 2e-5, "\(dtype) n=\(n) at \(level)")
            }
        }
    }
}

/// The fused AVX-512 one-token kernel rounds the activations to int16 with one scale per 32
/// (dx = max|x_block|/32767) for q4_0/q5_0/q8_0 weights and is otherwise exact in its integer
/// dot products (gemv_avx512.c). Its documented bound: |Δy_o| ≤ Σ_i |w_oi|·dx_block(i)/2, on
/// top of the 2e-5 rounding-order tolerance every other path is held to.
func withinLinearBound(_ dtype: DType, n: Int, x: Tensor, weight: Tensor, fast: Tensor, oracle: Tensor,
                       level: KernelLevel = KernelLevel.current) -> Bool {
    let a = fast.floats, b = oracle.floats
    if relativeError(a, b) < 2e-5 { return true }
    guard n == 1, [DType.q4_0, .q5_0, .q8_0].contains(dtype), level == .avx512 else { return false }
    let rows = weight.shape[0], k = weight.shape[1], xs = x.floats
    var w = [Float](repeating: 0, count: k)
    let scale = max(1, b.map { abs($0) }.max() ?? 0)
    for o in 0..<rows {
        w.withUnsafeMutableBufferPointer {
            dequantizeRow(dtype, from: UnsafeRawPointer(weight.address + o * weight.rowBytes), into: $0.baseAddress!, count: k)
        }
        var bound: Float = 0
        for block in 0..<(k / 32) {
            let xmax = xs[(32 * block)..<(32 * block + 32)].map { abs($0) }.max()!
            var wsum: Float = 0
            for i in (32 * block)..<(32 * block + 32) { wsum += abs(w[i]) }
            bound += wsum * (xmax / 32767) / 2
        }
        if abs(a[o] - b[o]) > bound * 1.01 + 2e-5 * scale { return false }
    }
    return true
}

/// Serialises tests that lower the process-wide kernel level, and restores it.
let kernelLevelLock = Mutex(())

func withKernelLevel(_ level: KernelLevel, _ body: () -> Void) {
    kernelLevelLock.withLock { _ in
        let saved = KernelLevel.current
        KernelLevel.current = level
        body()
        KernelLevel.current = saved
    }
}

/// The blocked GEMM (linear_impl.h) at every kernel level: more outputs than one packed panel
/// group holds (2 MB of decoded panels: 256 rows at k = 2048, 512 at k = 1000, one thread) and
/// more tokens than one token block (≥ 8 row tiles), both with remainders, so every loop of the
/// blocking has a partial last step. k = 2048 has a row stride that is a multiple of 2 KB, which
/// takes the padded-copy path; k = 1000 reads the activations in place.
extension LinearTests {
    @Test(arguments: [DType.f32, .q8_0])
    func blockedGEMMMatchesReferenceAtEveryLevel(dtype: DType) {
        var rng = SeededRandom(seed: 17)
        for (n, k, rows) in [(101, 2048, 300), (103, dtype == .f32 ? 1000 : 1024, 530)] {
            let x = TestData.tensor([n, k], &rng)
            let weight = TestData.weight(dtype, rows: rows, cols: k, &rng)
            let bias = TestData.tensor([rows], &rng)
            let oracle = Tensor(zeros: [n, rows])
            ReferenceOps.linear(x, weight: weight, bias: bias, into: oracle)
            for level in KernelLevel.allCases where level <= KernelLevel.supported {
                for threads in [1, 2] {
                    let fast = Tensor(zeros: [n, rows])
                    withKernelLevel(level) { CPUBackend(threads: threads).linear(x, weight: weight, bias: bias, into: fast) }
                    #expect(relativeError(fast.floats, oracle.floats) < 2e-5, "\(dtype) n=\(n) k=\(k) rows=\(rows) at \(level), \(threads) threads")
                }
            }
        }
    }
}
