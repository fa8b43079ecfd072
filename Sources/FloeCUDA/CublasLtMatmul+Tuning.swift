import CFloeCUDA
import Foundation

/// Choosing a plan's algorithm by timing, as PyTorch's TunableOp does for GEMMs: cuBLASLt's
/// heuristic ranks its candidates by a model of the card, and for GEMMs of few rows (decode
/// steps, where the weights stream from memory) its first pick can leave much of the memory
/// bandwidth unused — too few output tiles for the SMs, no split over the inner dimension.
/// Plans of at most `tuningMaxRows` rows (`FLOE_CUDA_GEMM_TUNING_MAX_ROWS`) run each candidate
/// on the caller's own operands and keep the fastest. The engine's warm-up makes every
/// decode size's plans before the first request, so serving pays nothing for it; another
/// small shape (a mixed step's) pays a few milliseconds once.
///
/// Not while a graph is being recorded (nothing runs then): such a plan keeps the heuristic's
/// first pick.
extension CublasLtMatmul {
    /// How many of the heuristic's candidates a tuning times.
    static let tuningCandidates = 12
    /// Timed runs of each candidate, after one untimed run.
    static let tuningRuns = 3
    /// Bytes written between timed runs, more than any GPU's L2 cache (50 MiB on an H100): each
    /// run then reads its weights from memory, as a step does (every layer has its own), rather
    /// than from the cache the run before filled.
    static let cacheFlushBytes = 128 << 20
    /// Another candidate replaces the heuristic's first pick only when it is this much faster:
    /// timings a few percent apart are noise, and a plan that changes between runs changes the
    /// results' rounding.
    static let requiredGain = 0.97

    /// The fastest of `candidates` (the heuristic's order) for `plan`, timed on `operands`; the
    /// output is overwritten with garbage, which the caller's own run then replaces. Any
    /// failure to set the timing up keeps the first candidate.
    func fastest(
        of candidates: [cublasLtMatmulAlgo_t], for plan: Plan, key: Key, operands: (x: UInt64, weight: UInt64, output: UInt64)
    ) -> cublasLtMatmulAlgo_t {
        let driver = device.driver
        var start: CUevent?, end: CUevent?
        guard driver.cuEventCreate(&start, 0) == 0, driver.cuEventCreate(&end, 0) == 0 else { return candidates[0] }
        defer {
            _ = driver.cuEventDestroy(start)
            _ = driver.cuEventDestroy(end)
        }
        // Straight from the driver and back right after, so that no cached block outlives the tuning.
        var flush: CUdeviceptr = 0
        let flushes = driver.cuMemAlloc(&flush, Self.cacheFlushBytes) == 0
        defer { if flushes { _ = driver.cuMemFree(flush) } }

        var milliseconds: [Double] = []
        for algorithm in candidates {
            var candidate = plan
            candidate.algorithm = algorithm
            // cuBLASLt checks a plan before launching anything: a refused one queued nothing.
            guard run(candidate, x: operands.x, weight: operands.weight, output: operands.output) == 0 else {
                milliseconds.append(.infinity)
                continue
            }
            var total = 0.0
            for _ in 0..<Self.tuningRuns {
                if flushes {
                    device.noteStreamWork()
                    _ = driver.cuMemsetD32Async(flush, 0, Self.cacheFlushBytes / 4, device.stream)
                }
                var elapsed: Float = 0
                guard driver.cuEventRecord(start, device.stream) == 0,
                    run(candidate, x: operands.x, weight: operands.weight, output: operands.output) == 0,
                    driver.cuEventRecord(end, device.stream) == 0, driver.cuEventSynchronize(end) == 0,
                    driver.cuEventElapsedTime(&elapsed, start, end) == 0
                else { return candidates[0] }
                total += Double(elapsed)
            }
            milliseconds.append(total / Double(Self.tuningRuns))
        }
        var chosen = 0
        for index in milliseconds.indices.dropFirst() where milliseconds[index] < milliseconds[0] * Self.requiredGain
            && milliseconds[index] < milliseconds[chosen]
        {
            chosen = index
        }
        if logsTuning {
            let times = milliseconds.map { $0.isFinite ? String(format: "%.1f", $0 * 1000) : "-" }.joined(separator: " ")
            FileHandle.standardError.write(Data(
                "floe: cuBLASLt tuning \(key.rows)×\(key.inFeatures) · \(key.outFeatures)×\(key.inFeatures)ᵀ\(key.pairWeightStride > 0 ? " ×2" : "")\(key.biasEpilogue ? " +bias" : ""), \(key.outputDType) out: µs [\(times)] → candidate \(chosen)\n".utf8))
        }
        return candidates[chosen]
    }
}
