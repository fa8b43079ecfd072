#if canImport(Glibc)
import Glibc
#endif
import FloeTensor
import Testing
@testable import FloeCPU

@Suite struct ElementwiseTests {
    /// Small sizes run on the calling thread, large ones through the pool; odd sizes leave tails.
    static let sizes: [(rows: Int, cols: Int)] = [(1, 7), (3, 576), (70, 897)]

    @Test(arguments: [1, 2])
    func rmsNormMatches(threads: Int) {
        let backend = CPUBackend(threads: threads)
        var rng = SeededRandom(seed: 21)
        for (rows, cols) in Self.sizes {
            let x = TestData.tensor([rows, cols], &rng, range: -4...4), w = TestData.tensor([cols], &rng)
            let fast = Tensor(zeros: [rows, cols]), oracle = Tensor(zeros: [rows, cols])
            backend.rmsNorm(x, weight: w, epsilon: 1e-5, into: fast)
            ReferenceOps.rmsNorm(x, weight: w, epsilon: 1e-5, into: oracle)
            #expect(relativeError(fast.floats, oracle.floats) < 1e-5)
        }
    }

    @Test(arguments: [1, 2])
    func siluMulAddSoftmaxMatch(threads: Int) {
        let backend = CPUBackend(threads: threads)
        var rng = SeededRandom(seed: 22)
        for (rows, cols) in Self.sizes {
            let a = TestData.tensor([rows, cols], &rng, range: -20...20), b = TestData.tensor([rows, cols], &rng)
            let fast = Tensor(zeros: [rows, cols]), oracle = Tensor(zeros: [rows, cols])
            backend.siluMul(gate: a, up: b, into: fast)
            ReferenceOps.siluMul(gate: a, up: b, into: oracle)
            #expect(relativeError(fast.floats, oracle.floats) < 1e-6, "siluMul \(rows)x\(cols)")

            backend.softmax(a, into: fast)
            ReferenceOps.softmax(a, into: oracle)
            #expect(relativeError(fast.floats, oracle.floats) < 1e-6, "softmax \(rows)x\(cols)")

            // add with out aliasing its first operand.
            let sum = Tensor(a.floats, shape: [rows, cols])
            backend.add(sum, b, into: sum)
            ReferenceOps.add(a, b, into: oracle)
            #expect(sum.floats == oracle.floats, "add \(rows)x\(cols)")
        }
    }

    @Test func softmaxOfMaskedRow() {
        let x = Tensor([0, -.infinity, 1, -.infinity, 2, 3, -1, -.infinity, 0.5], shape: [1, 9])
        let fast = Tensor(zeros: [1, 9]), oracle = Tensor(zeros: [1, 9])
        CPUBackend(threads: 1).softmax(x, into: fast)
        ReferenceOps.softmax(x, into: oracle)
        #expect(relativeError(fast.floats, oracle.floats) < 1e-6)
        #expect(fast.floats[1] == 0)
    }

    @Test(arguments: [RoPEStyle.halves, .interleaved], [1, 2])
    func ropeIsBitExact(style: RoPEStyle, threads: Int) {
        var rng = SeededRandom(seed: 23)
        for (n, heads, hd) in [(1, 3, 8), (40, 9, 64), (5, 2, 128)] {
            let x = TestData.tensor([n, heads, hd], &rng)
            let positions = Tensor(int32: (0..<n).map { Int32($0 * 37 % 1000) }, shape: [n])
            let inverse: [Float] = (0..<hd / 2).map { (i: Int) -> Float in Float(exp(-log(10000.0) * Double(2 * i) / Double(hd))) }
            let frequencies = Tensor(inverse, shape: [hd / 2])
            let oracle = Tensor(x.floats, shape: x.shape)
            CPUBackend(threads: threads).rope(x, positions: positions, inverseFrequencies: frequencies, style: style)
            ReferenceOps.rope(oracle, positions: positions, inverseFrequencies: frequencies, style: style)
            #expect(x.floats == oracle.floats)
        }
    }

    @Test func gatherRowsCopies() {
        let x = Tensor((0..<12).map(Float.init), shape: [4, 3]), out = Tensor(zeros: [2, 3])
        CPUBackend(threads: 1).gatherRows(x, indices: [3, 1], into: out)
        #expect(out.floats == [9, 10, 11, 3, 4, 5])
    }
}

@Suite struct WorkerPoolTests {
    /// A pool destroyed right after creation (workers not yet scheduled) must not hang, and
    /// back-to-back small jobs on fresh pools must all complete — both once deadlocked.
    @Test func freshPoolsRunAndStop() {
        var rng = SeededRandom(seed: 41)
        let a = TestData.tensor([300, 200], &rng), b = TestData.tensor([300, 200], &rng)
        for threads in [2, 3, 4] {
            _ = CPUBackend(threads: threads)
            let backend = CPUBackend(threads: threads), out = Tensor(zeros: [300, 200])
            for _ in 0..<50 { backend.add(a, b, into: out) }
            #expect(out.floats == zip(a.floats, b.floats).map { $0 + $1 })
        }
    }

    /// One backend driven from several threads at once stays correct.
    @Test func sharedBackendFromConcurrentCallers() async {
        let backend = CPUBackend(threads: 2)
        await withTaskGroup(of: Bool.self) { group in
            for seed in 0..<4 {
                group.addTask {
                    var rng = SeededRandom(seed: UInt64(100 + seed))
                    let x = TestData.tensor([8, 512], &rng), w = TestData.weight(.q8_0, rows: 300, cols: 512, &rng)
                    let fast = Tensor(zeros: [8, 300]), oracle = Tensor(zeros: [8, 300])
                    for _ in 0..<20 { backend.linear(x, weight: w, bias: nil, into: fast) }
                    ReferenceOps.linear(x, weight: w, bias: nil, into: oracle)
                    return relativeError(fast.floats, oracle.floats) < 2e-5
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    /// More threads than cores still gives the same linear result.
    @Test func oversubscribedLinear() {
        var rng = SeededRandom(seed: 42)
        let x = TestData.tensor([20, 256], &rng), w = TestData.weight(.q4_K, rows: 150, cols: 256, &rng)
        let fast = Tensor(zeros: [20, 150]), oracle = Tensor(zeros: [20, 150])
        CPUBackend(threads: 5).linear(x, weight: w, bias: nil, into: fast)
        ReferenceOps.linear(x, weight: w, bias: nil, into: oracle)
        #expect(relativeError(fast.floats, oracle.floats) < 2e-5)
    }
}
