#if canImport(Glibc)
import Glibc
#endif
import CFloeKernels
import FloeTensor

/// The CPU backend: host memory, f32 activations, weights dequantized inside the kernels.
///
/// Ops run synchronously on the calling thread plus `threads - 1` pool workers, so
/// `synchronize()` has nothing to wait for. The backend is `Sendable` because its only state
/// is immutable configuration and the worker pool (itself thread-safe). It is meant to be
/// driven by one engine thread; ops issued concurrently from other threads are still correct
/// but run on their caller's thread alone while the pool is busy.
///
/// Kernels live in CFloeKernels (C, AVX-512 / AVX2 / scalar chosen at run time):
/// - `linear`, 1 token: fused per-format dot products — block integers widened in registers,
///   `d·Σq·x + m·Σx` per block — reading each weight once (decode is memory-bound).
/// - `linear`, 2-4 tokens: weight chunks decoded to an L1 buffer, then FMA'd with every token.
/// - `linear`, 5+ tokens: panels of 32 decoded weight rows × all of K, then a 12×32 register
///   GEMM micro-kernel (AVX-512) over all tokens (prefill; ~93% of FMA peak).
/// - `attention`: query blocks × the heads of one kv head, online softmax over 16-position
///   chunks; single-token (decode) items use a per-head two-pass kernel.
/// Activations stay f32 throughout (no 8-bit activation quantization), so results differ from
/// `ReferenceOps` only by summation order. Reasons and measurements: the comments in
/// CFloeKernels (CFloeKernels.h, pool.c, linear_impl.h, gemv_avx512.c, ops.c).
public final class CPUBackend: Backend {
    public let name = "cpu"
    public let threads: Int
    let pool: WorkerPool

    /// `threads`: how many cores ops use; defaults to the active processor count.
    public init(threads: Int? = nil) {
        self.threads = max(1, threads ?? CPUBackend.activeProcessorCount)
        pool = WorkerPool(threads: self.threads)
    }

    static var activeProcessorCount: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }

    // MARK: Memory

    public func allocate(_ shape: Shape, dtype: DType) -> Tensor { Tensor(zeros: shape, dtype: dtype) }

    public func upload(_ host: Tensor) -> Tensor {
        precondition(host.location == .host, "upload of a device tensor")
        return host
    }

    public func readFloats(_ tensor: Tensor) -> [Float] { tensor.floats }

    public func write(_ values: [Float], into tensor: Tensor) {
        precondition(tensor.dtype == .f32 && values.count <= tensor.elementCount, "write of \(values.count) floats into \(tensor.dtype) \(tensor.shape)")
        values.withUnsafeBytes { tensor.address.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    public func write(_ values: [Int32], into tensor: Tensor) {
        precondition(tensor.dtype == .i32 && values.count <= tensor.elementCount, "write of \(values.count) ints into \(tensor.dtype) \(tensor.shape)")
        values.withUnsafeBytes { tensor.address.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    public func synchronize() {}

    // MARK: Ops
    // Each op checks its operands, then hands raw pointers to CFloeKernels. Dtypes the C
    // kernels do not decode (q8_1, q2_K, q3_K, f8e4m3, …) fall back to ReferenceOps.

    public func embed(tokens: Tensor, table: Tensor, into out: Tensor) {
        guard let format = table.dtype.kernelFormat else {
            return ReferenceOps.embed(tokens: tokens, table: table, into: out)
        }
        let ids = ReferenceOps.ints(tokens), y = ReferenceOps.floats(out), d = table.shape.last
        precondition(out.elementCount == tokens.elementCount * d, "embed output shape \(out.shape)")
        for i in 0..<tokens.elementCount {
            let id = Int(ids[i])
            precondition(id >= 0 && id < table.shape.rowCount, "token \(id) outside the table")
            floe_dequantize(format, table.address + id * table.rowBytes, y + i * d, d)
        }
    }

    public func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float, into out: Tensor) {
        let d = x.shape.last
        precondition(weight.elementCount == d && out.elementCount == x.elementCount, "rmsNorm shapes \(x.shape) \(weight.shape) \(out.shape)")
        if weight.dtype == .f32 {
            floe_rms_norm(pool.pointer, ReferenceOps.floats(x), weight.pointer(as: Float.self), epsilon, ReferenceOps.floats(out), x.shape.rowCount, d)
        } else {
            var w = [Float](repeating: 0, count: d)
            w.withUnsafeMutableBufferPointer { ReferenceOps.row(weight, 0, into: $0.baseAddress!) }
            floe_rms_norm(pool.pointer, ReferenceOps.floats(x), w, epsilon, ReferenceOps.floats(out), x.shape.rowCount, d)
        }
    }

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) {
        let k = weight.shape.last, rows = weight.shape.rowCount, n = x.shape.rowCount
        precondition(x.shape.last == k && out.elementCount == n * rows, "linear shapes \(x.shape) \(weight.shape) \(out.shape)")
        precondition(bias == nil || bias!.elementCount == rows, "linear bias \(bias!.shape) for \(rows) outputs")
        guard let format = weight.dtype.kernelFormat else {
            return ReferenceOps.linear(x, weight: weight, bias: bias, into: out)
        }
        floe_linear(
            pool.pointer, format, weight.address, weight.rowBytes, rows, k, ReferenceOps.floats(x), k, n,
            bias.map(ReferenceOps.floats), ReferenceOps.floats(out), rows)
    }

    public func rope(_ x: Tensor, positions: Tensor, inverseFrequencies: Tensor, style: RoPEStyle) {
        let n = positions.elementCount, hd = x.shape.last
        precondition(n > 0 && x.elementCount % (n * hd) == 0 && inverseFrequencies.elementCount >= hd / 2, "rope shapes")
        floe_rope(
            pool.pointer, ReferenceOps.floats(x), ReferenceOps.ints(positions), ReferenceOps.floats(inverseFrequencies),
            n, x.elementCount / (n * hd), hd, style == .interleaved ? 1 : 0)
    }

    public func siluMul(gate: Tensor, up: Tensor, into out: Tensor) {
        precondition(gate.elementCount == out.elementCount && up.elementCount == out.elementCount, "siluMul shapes")
        floe_silu_mul(pool.pointer, ReferenceOps.floats(gate), ReferenceOps.floats(up), ReferenceOps.floats(out), out.elementCount)
    }

    public func add(_ a: Tensor, _ b: Tensor, into out: Tensor) {
        precondition(a.elementCount == out.elementCount && b.elementCount == out.elementCount, "add shapes")
        floe_add(pool.pointer, ReferenceOps.floats(a), ReferenceOps.floats(b), ReferenceOps.floats(out), out.elementCount)
    }

    public func softmax(_ x: Tensor, into out: Tensor) {
        precondition(x.elementCount == out.elementCount, "softmax shapes")
        floe_softmax(pool.pointer, ReferenceOps.floats(x), ReferenceOps.floats(out), x.shape.rowCount, x.shape.last)
    }

    public func gatherRows(_ x: Tensor, indices: [Int], into out: Tensor) {
        ReferenceOps.gatherRows(x, indices: indices, into: out)
    }

    public func storeKV(key: Tensor, value: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata) {
        let rowBytes = keyCache.byteCount / keyCache.shape[0]
        precondition(key.dtype == keyCache.dtype && value.dtype == valueCache.dtype && key.byteCount >= metadata.tokenCount * rowBytes, "storeKV shapes")
        for (i, slot) in metadata.slotMapping.enumerated() {
            let s = Int(slot)
            // Slot -1: a row that only pads a recorded step to its size stores nothing.
            if s < 0 { continue }
            precondition(s < keyCache.shape[0], "slot \(s) outside the cache")
            (keyCache.address + s * rowBytes).copyMemory(from: key.address + i * rowBytes, byteCount: rowBytes)
            (valueCache.address + s * rowBytes).copyMemory(from: value.address + i * rowBytes, byteCount: rowBytes)
        }
    }

    public func attention(
        query: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata,
        scale: Float, into out: Tensor
    ) {
        let heads = query.shape[1], kvHeads = keyCache.shape[1], hd = query.shape.last
        precondition(query.shape.rank == 3 && heads % kvHeads == 0 && keyCache.shape.last == hd && out.elementCount == query.elementCount, "attention shapes")
        // One contiguous copy of the block tables, so every sequence can point into it.
        var tables: [Int32] = []
        var offsets: [Int] = []
        var attending: [AttentionMetadata.Sequence] = []
        for sequence in metadata.sequences {
            if metadata.isPadding(sequence) {
                // A row that only pads a recorded step to its size sees no key: zeros (the
                // kernel would read a position before the context).
                precondition(sequence.queryTokens.upperBound <= query.shape[0], "attention query rows outside the batch")
                (ReferenceOps.floats(out) + sequence.queryTokens.lowerBound * heads * hd).update(repeating: 0, count: heads * hd)
                continue
            }
            precondition(sequence.contextLength >= sequence.queryTokens.count && sequence.blockTable.count * metadata.blockSize >= sequence.contextLength, "attention sequence does not fit its blocks")
            precondition(sequence.queryTokens.upperBound <= query.shape[0], "attention query rows outside the batch")
            offsets.append(tables.count)
            tables += sequence.blockTable
            attending.append(sequence)
        }
        tables.withUnsafeBufferPointer { tableBuffer in
            let sequences = attending.enumerated().map { index, sequence in
                floe_attention_sequence(
                    first_token: sequence.queryTokens.lowerBound, token_count: sequence.queryTokens.count,
                    context_length: sequence.contextLength, block_table: tableBuffer.baseAddress.map { $0 + offsets[index] })
            }
            floe_attention(
                pool.pointer, ReferenceOps.floats(query), ReferenceOps.floats(keyCache), ReferenceOps.floats(valueCache),
                sequences, sequences.count, metadata.blockSize, heads, kvHeads, hd, scale, ReferenceOps.floats(out))
        }
    }
}
