import CFloeKernels
import FloeTensor

/// Owns a CFloeKernels thread pool (persistent workers that spin briefly, then park on a
/// futex; see pool.c for why this beats DispatchQueue.concurrentPerform for decode).
///
/// `@unchecked Sendable`: the pool pointer is immutable and `floe_pool_run` may be called from
/// any thread; a call that finds the pool busy with another thread's op runs single-threaded.
final class WorkerPool: @unchecked Sendable {
    let pointer: OpaquePointer
    let threads: Int

    init(threads: Int) {
        self.threads = threads
        pointer = floe_pool_create(Int32(threads))
    }

    deinit { floe_pool_destroy(pointer) }
}

extension DType {
    /// The CFloeKernels format of this dtype, if the C kernels handle it.
    var kernelFormat: floe_format? {
        switch self {
        case .f32: FLOE_F32
        case .f16: FLOE_F16
        case .bf16: FLOE_BF16
        case .q4_0: FLOE_Q4_0
        case .q4_1: FLOE_Q4_1
        case .q5_0: FLOE_Q5_0
        case .q5_1: FLOE_Q5_1
        case .q8_0: FLOE_Q8_0
        case .q4_K: FLOE_Q4_K
        case .q5_K: FLOE_Q5_K
        case .q6_K: FLOE_Q6_K
        default: nil
        }
    }
}
