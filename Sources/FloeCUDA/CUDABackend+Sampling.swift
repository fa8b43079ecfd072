import CFloeCUDA
import FloeTensor

extension CUDABackend: DeviceSampling {
    /// `SamplingKernels`' `sample_rows`, a block per row; the rows' parameters travel as the
    /// kernel's 32-byte `SampleRow` structs.
    public func sampleRows(_ logits: Tensor, rows: [DeviceSamplingRow]) -> [Int] {
        device.bind()
        let count = logits.shape.rowCount
        precondition(logits.dtype == .f32 && rows.count == count, "sampleRows: \(rows.count) parameter rows for logits \(logits.shape)")
        guard count > 0 else { return [] }
        var words: [UInt64] = []
        words.reserveCapacity(4 * count)
        for row in rows {
            words.append(UInt64(row.temperature.bitPattern) | UInt64(row.topP.bitPattern) << 32)
            words.append(UInt64(row.minP.bitPattern) | UInt64(UInt32(bitPattern: Int32(clamping: row.topK))) << 32)
            words.append(row.seed)
            words.append(row.step)
        }
        let parameters = scratchBuffer("sample-rows", bytes: words.count * 8)
        words.withUnsafeBytes { staging.upload($0.baseAddress!, bytes: $0.count, to: parameters.deviceAddress) }
        let tokens = scratchBuffer("sampled-tokens", bytes: count * 4)
        module.launch("sample_rows", grid: (count, 1, 1), block: Self.rowThreads(logits.shape.last),
            KernelArguments().tensor(logits).pointer(parameters.deviceAddress).pointer(tokens.deviceAddress).int(logits.shape.last))
        var result = [Int32](repeating: 0, count: count)
        result.withUnsafeMutableBytes { staging.download(from: tokens.deviceAddress, bytes: $0.count, into: $0.baseAddress!) }
        return result.map(Int.init)
    }
}
