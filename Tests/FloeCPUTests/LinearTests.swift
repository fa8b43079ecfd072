import FloeTensor
import Synchronization
import Testing
@testable import FloeCPU

/// The weight dtypes the fast linear/embed kernels decode.
let kernelDTypes: [DType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

@Suite struct LinearTests {
    /// (tokens, inputs, outputs): n = 1 and small n take the gemv path, larger n the GEMM path
    /// with partial tiles in both directions.
    static let shapes: [(Int, Int, Int)] = [(1, 256, 1), (1, 512, 37), (3, 768, 70), (4, 256, 33), (5, 256, 35), (13, 512, 65), (29, 256, 96)]

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
            #expect(relativeError(fast.floats, oracle.floats) < 2e-5, "\(dtype) n=\(n) k=\(k) rows=\(rows)")
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
                #expect(relativeError(fast.floats, oracle.floats) < 2e-5, "\(dtype) n=\(n) at \(level)")
            }
        }
    }
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
