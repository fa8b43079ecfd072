import FloeTensor
import Testing
@testable import FloeCPU

/// `Backend.gatedFeedForward`'s default (the CPU's): exactly `gatedLinear` then `linear`, and
/// the reference MLP `(silu(x·gateᵀ) * (x·upᵀ)) · downᵀ`, whatever its scratch held before.
@Suite struct GatedFeedForwardTests {
    /// (rows, d, ff): one row, a few, and odd sizes through the thread pool.
    static let shapes: [(n: Int, d: Int, ff: Int)] = [(1, 64, 96), (5, 33, 71), (40, 128, 352)]

    @Test(arguments: [1, 2], [DType.f32, .bf16, .f16])
    func defaultIsTheComposition(threads: Int, dtype: DType) {
        let backend = CPUBackend(threads: threads)
        var rng = SeededRandom(seed: 77)
        for (n, d, ff) in Self.shapes {
            let x = TestData.tensor([n, d], &rng)
            let gate = TestData.weight(dtype, rows: ff, cols: d, &rng), up = TestData.weight(dtype, rows: ff, cols: d, &rng)
            let down = TestData.weight(dtype, rows: d, cols: ff, &rng)
            // Scratch holding NaN: the op must overwrite what it reads.
            let nan = [Float](repeating: .nan, count: n * ff)
            let scratch = Tensor(nan, shape: [n, ff]), inner = Tensor(nan, shape: [n, ff]), out = Tensor(zeros: [n, d])
            backend.gatedFeedForward(x, gate: gate, up: up, down: down, scratch: scratch, inner: inner, into: out)
            let fused = out.floats

            // The composition in the same buffers (refilled with NaN): the f32 kernels may split
            // their sums by the buffers' alignment, so other buffers could differ in the last bit.
            for tensor in [scratch, inner] {
                let pointer = tensor.address.assumingMemoryBound(to: Float.self)
                for i in 0..<tensor.elementCount { pointer[i] = .nan }
            }
            backend.gatedLinear(x, gate: gate, up: up, scratch: scratch, into: inner)
            backend.linear(inner, weight: down, bias: nil, into: out)
            #expect(fused == out.floats, "\(dtype) n \(n) d \(d) ff \(ff)")

            let g = Tensor(zeros: [n, ff]), u = Tensor(zeros: [n, ff]), oracle = Tensor(zeros: [n, d])
            ReferenceOps.linear(x, weight: gate, bias: nil, into: g)
            ReferenceOps.linear(x, weight: up, bias: nil, into: u)
            ReferenceOps.siluMul(gate: g, up: u, into: g)
            ReferenceOps.linear(g, weight: down, bias: nil, into: oracle)
            #expect(relativeError(out.floats, oracle.floats) < 1e-4, "\(dtype) n \(n) d \(d) ff \(ff) vs the reference")
        }
    }
}
