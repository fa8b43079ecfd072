import CFloeCUDA
import Foundation
import FloeTensor

/// `y [n, out] (f32) = x [n, in] (16-bit) · W [out, in] (16-bit)ᵀ` through cuBLASLt, with the
/// algorithm chosen once per shape by cuBLASLt's heuristic.
///
/// cuBLAS is column-major: row-major W [out, in] is the column-major in × out matrix, used
/// transposed; row-major x [n, in] is column-major in × n; row-major y [n, out] is column-major
/// out × n. So D (m = out, n, k = in) = Aᵀ · B.
final class CublasLtMatmul: @unchecked Sendable {
    private struct Plan {
        let description: cublasLtMatmulDesc_t
        let a: cublasLtMatrixLayout_t, b: cublasLtMatrixLayout_t, d: cublasLtMatrixLayout_t
        let algorithm: cublasLtMatmulAlgo_t
    }
    private struct Key: Hashable {
        let rows: Int, inFeatures: Int, outFeatures: Int, dtype: DType
        /// The plan adds a bias vector in the GEMM's epilogue (`multiply(…, bias:)`).
        var biasEpilogue = false
        /// f32, or the inputs' 16-bit type (`multiply(…, outputDType:)`).
        var outputDType = DType.f32
        /// A batch of two products sharing x (`multiplyPair`): the second weight this many
        /// elements after the first (0: a single product).
        var pairWeightStride: Int64 = 0
        /// The second output's distance from the first, in elements.
        var pairOutputStride: Int64 = 0
    }

    private let lt: FloeCublasLt
    private let device: CUDADevice
    private let handle: cublasLtHandle_t
    private let workspace: Storage
    private var plans: [Key: Plan] = [:]
    /// Plans (shape, epilogue, output type) for which cuBLASLt offered no algorithm, or whose
    /// algorithm failed: the fallible `multiply` answers false for them at once.
    private var unavailable: Set<Key> = []

    init(lt: FloeCublasLt, device: CUDADevice, allocator: CUDAAllocator) throws {
        self.lt = lt
        self.device = device
        var handle: cublasLtHandle_t?
        try Self.check(lt.cublasLtCreate(&handle), "cublasLtCreate")
        self.handle = handle!
        workspace = try allocator.allocate(bytes: Self.workspaceBytes)
    }

    static let workspaceBytes = 32 << 20

    func multiply(x: UInt64, weight: UInt64, output: UInt64, rows: Int, inFeatures: Int, outFeatures: Int, dtype: DType) {
        let plan: Plan
        do {
            plan = try self.plan(Key(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, dtype: dtype))
        } catch {
            fatalError("\(error)")
        }
        let status = run(plan, x: x, weight: weight, output: output)
        if status != 0 { fatalError("cublasLtMatmul (\(rows)×\(inFeatures) · \(outFeatures)×\(inFeatures)ᵀ) failed with status \(status)") }
    }

    /// `y = x · Wᵀ (+ bias)` where cuBLASLt may have no algorithm: with a bias (f32 `[out]`) it
    /// is added in the GEMM's epilogue, which saves a pass over the output; y is f32, or with
    /// `outputDType: dtype` the inputs' 16-bit type (rounded once, from the f32 accumulator plus
    /// bias). Returns false, having done nothing, when cuBLASLt has no such algorithm for this
    /// shape; the caller then does it another way.
    func multiply(
        x: UInt64, weight: UInt64, bias: UInt64?, output: UInt64, rows: Int, inFeatures: Int, outFeatures: Int, dtype: DType,
        outputDType: DType = .f32
    ) -> Bool {
        precondition(outputDType == .f32 || outputDType == dtype, "cuBLASLt output must be f32 or the inputs' type")
        let key = Key(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, dtype: dtype, biasEpilogue: bias != nil, outputDType: outputDType)
        return tryRun(key, bias: bias, x: x, weight: weight, output: output)
    }

    /// Two products of the same shape sharing x in one call (a batch of 2: one larger grid
    /// instead of two launches; on an H100 it costs about two calls' host time all the same): `output[b] = x · W_bᵀ` (f32 or the inputs' 16-bit type),
    /// where W_1 starts `weightStride` elements after W_0 and output 1 `outputStride` elements
    /// after output 0 (both > 0). Returns false, having done nothing, when cuBLASLt has no such plan.
    func multiplyPair(
        x: UInt64, firstWeight: UInt64, weightStride: Int64, output: UInt64, outputStride: Int64, rows: Int, inFeatures: Int, outFeatures: Int,
        dtype: DType, outputDType: DType
    ) -> Bool {
        precondition(weightStride > 0 && outputStride > 0 && dtype != .f32 && (outputDType == .f32 || outputDType == dtype),
            "a pair of 16-bit weights and outputs, each second after its first")
        let key = Key(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, dtype: dtype, outputDType: outputDType,
            pairWeightStride: weightStride, pairOutputStride: outputStride)
        return tryRun(key, bias: nil, x: x, weight: firstWeight, output: output)
    }

    /// Runs `key`'s plan, or answers false having queued nothing when cuBLASLt has no algorithm
    /// for it or refuses it (remembered: the caller falls back to another way, for this plan
    /// from now on).
    private func tryRun(_ key: Key, bias: UInt64?, x: UInt64, weight: UInt64, output: UInt64) -> Bool {
        if unavailable.contains(key) { return false }
        let plan: Plan
        do {
            plan = try self.plan(key, bias: bias ?? 0)
        } catch {
            unavailable.insert(key)
            return false
        }
        if var pointer = bias {
            // Layers share a plan per shape; each brings its own bias.
            guard lt.cublasLtMatmulDescSetAttribute(plan.description, Int32(FLOE_CUBLASLT_MATMUL_DESC_BIAS_POINTER), &pointer, 8) == 0 else {
                fatalError("setting the cuBLASLt bias pointer failed")
            }
        }
        let status = run(plan, x: x, weight: weight, output: output)
        if status != 0 {
            // cuBLASLt checks its arguments before it launches anything, so nothing was queued.
            unavailable.insert(key)
            FileHandle.standardError.write(Data(
                "floe: cuBLASLt GEMM (\(key.rows)×\(key.inFeatures) · \(key.outFeatures)×\(key.inFeatures)ᵀ\(key.pairWeightStride > 0 ? ", batch of 2" : "")\(key.biasEpilogue ? ", bias epilogue" : ""), \(key.outputDType) out) failed with status \(status); using another path\n".utf8))
            return false
        }
        return true
    }

    /// D = Aᵀ·B with `plan` on the device's stream (queued, not waited for).
    private func run(_ plan: Plan, x: UInt64, weight: UInt64, output: UInt64) -> cublasStatus_t {
        var alpha: Float = 1, beta: Float = 0
        var algorithm = plan.algorithm
        device.noteStreamWork()
        return StepProfiler.shared.measure("cublasLtMatmul") {
            lt.cublasLtMatmul(
                handle, plan.description, &alpha, UnsafeRawPointer(bitPattern: UInt(weight)), plan.a,
                UnsafeRawPointer(bitPattern: UInt(x)), plan.b, &beta, UnsafeRawPointer(bitPattern: UInt(output)), plan.d,
                UnsafeMutableRawPointer(bitPattern: UInt(output)), plan.d, &algorithm, workspace.address, Self.workspaceBytes,
                device.stream)
        }
    }

    private func plan(_ key: Key, bias: UInt64 = 0) throws -> Plan {
        if let plan = plans[key] { return plan }
        let inputType: Int32 = key.dtype == .f16 ? Int32(FLOE_CUDA_R_16F) : key.dtype == .f32 ? Int32(FLOE_CUDA_R_32F) : Int32(FLOE_CUDA_R_16BF)
        var description: cublasLtMatmulDesc_t?
        try Self.check(lt.cublasLtMatmulDescCreate(&description, Int32(FLOE_CUBLAS_COMPUTE_32F), Int32(FLOE_CUDA_R_32F)), "cublasLtMatmulDescCreate")
        var transposed = Int32(FLOE_CUBLAS_OP_T), plain = Int32(FLOE_CUBLAS_OP_N)
        try Self.check(lt.cublasLtMatmulDescSetAttribute(description, Int32(FLOE_CUBLASLT_MATMUL_DESC_TRANSA), &transposed, 4), "TRANSA")
        try Self.check(lt.cublasLtMatmulDescSetAttribute(description, Int32(FLOE_CUBLASLT_MATMUL_DESC_TRANSB), &plain, 4), "TRANSB")
        if key.biasEpilogue {
            // The bias has D's type (f32), one value per row of column-major D = per output
            // feature. The heuristic reads the pointer's alignment, so it is set before.
            var epilogue = UInt32(FLOE_CUBLASLT_EPILOGUE_BIAS), pointer = bias
            try Self.check(lt.cublasLtMatmulDescSetAttribute(description, Int32(FLOE_CUBLASLT_MATMUL_DESC_EPILOGUE), &epilogue, 4), "EPILOGUE")
            try Self.check(lt.cublasLtMatmulDescSetAttribute(description, Int32(FLOE_CUBLASLT_MATMUL_DESC_BIAS_POINTER), &pointer, 8), "BIAS_POINTER")
            if key.outputDType != .f32 {
                // A 16-bit D would otherwise expect a 16-bit bias.
                var biasType = Int32(FLOE_CUDA_R_32F)
                try Self.check(lt.cublasLtMatmulDescSetAttribute(description, Int32(FLOE_CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE), &biasType, 4), "BIAS_DATA_TYPE")
            }
        }
        var a: cublasLtMatrixLayout_t?, b: cublasLtMatrixLayout_t?, d: cublasLtMatrixLayout_t?
        try Self.check(lt.cublasLtMatrixLayoutCreate(&a, inputType, UInt64(key.inFeatures), UInt64(key.outFeatures), Int64(key.inFeatures)), "layout A")
        try Self.check(lt.cublasLtMatrixLayoutCreate(&b, inputType, UInt64(key.inFeatures), UInt64(key.rows), Int64(key.inFeatures)), "layout B")
        let outputType = key.outputDType == .f32 ? Int32(FLOE_CUDA_R_32F) : inputType
        try Self.check(lt.cublasLtMatrixLayoutCreate(&d, outputType, UInt64(key.outFeatures), UInt64(key.rows), Int64(key.outFeatures)), "layout D")
        if key.pairWeightStride > 0 {
            // Two weights and two outputs at fixed distances, x shared (batch stride 0).
            var count: Int32 = 2
            for (layout, stride) in [(a, key.pairWeightStride), (b, Int64(0)), (d, key.pairOutputStride)] {
                var offset = stride
                try Self.check(lt.cublasLtMatrixLayoutSetAttribute(layout, Int32(FLOE_CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT), &count, 4), "batch count")
                try Self.check(lt.cublasLtMatrixLayoutSetAttribute(layout, Int32(FLOE_CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET), &offset, 8), "batch offset")
            }
        }
        var preference: cublasLtMatmulPreference_t?
        try Self.check(lt.cublasLtMatmulPreferenceCreate(&preference), "cublasLtMatmulPreferenceCreate")
        defer { _ = lt.cublasLtMatmulPreferenceDestroy(preference) }
        var workspaceLimit = UInt64(Self.workspaceBytes)
        try Self.check(lt.cublasLtMatmulPreferenceSetAttribute(preference, Int32(FLOE_CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES), &workspaceLimit, 8), "workspace preference")
        var result = cublasLtMatmulHeuristicResult_t()
        var returned: Int32 = 0
        try Self.check(lt.cublasLtMatmulAlgoGetHeuristic(handle, description, a, b, d, d, preference, 1, &result, &returned), "cublasLtMatmulAlgoGetHeuristic")
        guard returned > 0 else {
            throw CUDAError("cuBLASLt has no algorithm for \(key.rows)×\(key.inFeatures) · \(key.outFeatures)×\(key.inFeatures)ᵀ in \(key.dtype)")
        }
        let plan = Plan(description: description!, a: a!, b: b!, d: d!, algorithm: result.algo)
        plans[key] = plan
        return plan
    }

    private static func check(_ status: cublasStatus_t, _ what: String) throws {
        if status != 0 { throw CUDAError("\(what) failed with cuBLAS status \(status)") }
    }
}
