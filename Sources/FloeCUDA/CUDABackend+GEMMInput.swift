import CFloeCUDA
import FloeTensor

/// A 16-bit copy of an f32 activation tensor, written by the kernel that produced the tensor,
/// for the cuBLASLt GEMM that reads it next (tensor cores take 16-bit inputs; without the copy
/// that GEMM launches a conversion pass over its input first).
struct GEMMInputCopy {
    /// The f32 tensor copied: its address and element count.
    let source: CUdeviceptr
    let elements: Int
    /// The copy and its type (bf16 or f16, the weights' type).
    let copy: CUdeviceptr
    let dtype: DType
    /// `device.streamWork` right after the producer was enqueued.
    let streamWork: Int

    /// The copy, if it holds the values a GEMM needs: those of the f32 tensor at `source`
    /// (`elements` of them) in `dtype`, with the stream's work count now `streamWork` (anything
    /// enqueued since the producer may have changed the f32 values).
    func copy(of source: CUdeviceptr, elements: Int, dtype: DType, streamWork: Int) -> CUdeviceptr? {
        source == self.source && elements == self.elements && dtype == self.dtype && streamWork == self.streamWork ? copy : nil
    }
}

/// GEMM inputs without conversion passes.
///
/// Producers — `rmsNorm`, `addRMSNorm`, `layerNorm`, `addLayerNorm`, and (through
/// `offerGEMMInput`) any kernel that can write a 16-bit copy of its output — write that copy
/// beside their f32 output when a GEMM is likely to read it next (`gemmInputCopyBuffer`), and
/// offer it. A consumer (`gemmInput`) uses it only if it is for the very tensor (address, element
/// count) and type it needs and nothing at all has been enqueued on the stream since the
/// producer (`CUDADevice.streamWork` unchanged): any kernel, GEMM, host write or fill in between
/// could have changed the f32 values, so the copy is then ignored and the consumer converts as
/// before. A consumer's own launches end the copy's validity too, so a copy is read by at most
/// the one op that follows its producer. Stream order makes the copy buffer safe to reuse: the
/// next producer's write runs after every GEMM that read the previous copy.
///
/// Host-side bookkeeping only, so CUDA-graph capture records producer and consumer together
/// and replays stay consistent.
extension CUDABackend {
    /// Whether a tensor of `rows` rows is likely to be read next by a cuBLASLt GEMM with 16-bit
    /// weights (the GEMM path of `linear`), so its producer should write a 16-bit copy.
    func gemmIsLikely(rows: Int) -> Bool {
        rows > gemvMaxTokens && matmul != nil && (weightDType == .bf16 || weightDType == .f16)
    }

    /// Scratch for a producer's 16-bit (`weightDType`) copy of `tensor`, or nil when no GEMM is
    /// likely to read it (few rows: the GEMV path; f32 weights; no cuBLASLt), in which case the
    /// producer writes no copy. Used by the lead's attention output too:
    ///
    ///     let copy = gemmInputCopyBuffer(for: out)          // before the launch
    ///     module.launch(…, pointer(copy ?? 0) …)             // kernel writes out and, if asked, its copy
    ///     if let copy { offerGEMMInput(of: out, copy: copy, dtype: weightDType) }   // right after it
    func gemmInputCopyBuffer(for tensor: Tensor) -> CUdeviceptr? {
        guard tensor.dtype == .f32, gemmIsLikely(rows: tensor.shape.rowCount) else { return nil }
        return scratchBuffer("gemm-input-copy", bytes: tensor.elementCount * 2).deviceAddress
    }

    /// Records that the kernel just enqueued wrote, at `copy`, `tensor`'s f32 values rounded to
    /// `dtype` (bf16 or f16, round to nearest even as `convert_f32_bf16`/`convert_f32_f16` do),
    /// so the GEMM that reads `tensor` next skips its conversion. Call it right after that
    /// launch, with nothing enqueued in between (the record is stamped with the stream's work
    /// count); the copy must stay untouched until the next op, e.g. scratch from
    /// `gemmInputCopyBuffer`.
    func offerGEMMInput(of tensor: Tensor, copy: CUdeviceptr, dtype: DType) {
        precondition(tensor.dtype == .f32 && (dtype == .bf16 || dtype == .f16), "a GEMM input copy is a 16-bit copy of f32 values")
        gemmInputCopy = GEMMInputCopy(
            source: tensor.deviceAddress, elements: tensor.elementCount, copy: copy, dtype: dtype, streamWork: device.streamWork)
    }

    /// The fresh 16-bit copy of `x` in `dtype` a producer offered, or nil.
    func freshGEMMInput(_ x: Tensor, dtype: DType) -> CUdeviceptr? {
        guard x.dtype == .f32 else { return nil }
        return gemmInputCopy?.copy(of: x.deviceAddress, elements: x.elementCount, dtype: dtype, streamWork: device.streamWork)
    }

    /// The activations as a GEMM reads them: x itself for f32 weights; for 16-bit weights the
    /// producer's fresh copy when there is one, else a copy converted now into scratch (valid
    /// until the next call).
    func gemmInput(_ x: Tensor, weightDType: DType) -> CUdeviceptr {
        guard weightDType != .f32 else { return x.deviceAddress }
        if let copy = freshGEMMInput(x, dtype: weightDType) { return copy }
        let elements = x.elementCount
        let input = scratchBuffer("gemm-input", bytes: elements * 2).deviceAddress
        module.launch(weightDType == .bf16 ? "convert_f32_bf16" : "convert_f32_f16", grid: (elementBlocks(elements), 1, 1), block: 256,
            KernelArguments().tensor(x).pointer(input).int64(elements))
        gemmInputConversions += 1
        return input
    }

    /// The kernel name suffix for a producer writing a copy in `weightDType`.
    var gemmInputCopySuffix: String { weightDType == .bf16 ? "_copy_bf16" : "_copy_f16" }
}
