import CFloeCUDA
import FloeTensor

extension CUDABackend: DeviceSampling {
    /// `SamplingKernels`' `adjust_logits` (only when some row has adjustments), then
    /// `sample_rows`, a block per row; the rows' parameters travel as the kernel's 32-byte
    /// `SampleRow` structs.
    public func sampleRows(_ logits: Tensor, rows: [DeviceSamplingRow]) -> [Int] {
        device.bind()
        let count = logits.shape.rowCount
        precondition(logits.dtype == .f32 && rows.count == count, "sampleRows: \(rows.count) parameter rows for logits \(logits.shape)")
        guard count > 0 else { return [] }
        adjustLogits(logits, rows: rows)
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

    /// Applies every row's `LogitAdjustment`s to `logits` in place with `adjust_logits`, in one
    /// upload of 32-bit words: the rows' first-entry offsets (rows + 1), their three penalties,
    /// then the entries (token, output count, flags, bias). Nothing runs when no row has any.
    private func adjustLogits(_ logits: Tensor, rows: [DeviceSamplingRow]) {
        let entryCount = rows.reduce(0) { $0 + $1.adjustments.count }
        guard entryCount > 0 else { return }
        var words: [UInt32] = []
        words.reserveCapacity(4 * rows.count + 1 + 4 * entryCount)
        var offset = 0
        for row in rows {
            words.append(UInt32(offset))
            offset += row.adjustments.count
        }
        words.append(UInt32(offset))
        for row in rows {
            words.append(row.repetitionPenalty.bitPattern)
            words.append(row.frequencyPenalty.bitPattern)
            words.append(row.presencePenalty.bitPattern)
        }
        let cols = logits.shape.last
        for row in rows {
            for entry in row.adjustments {
                // Out-of-vocabulary ids become -1, which the kernel skips (and Int32 cannot overflow).
                let token = (0..<cols).contains(entry.token) ? Int32(entry.token) : -1
                let flags = (entry.inPrompt ? 1 : 0) | (entry.masked ? 2 : 0) | (entry.bias != nil ? 4 : 0)
                words.append(UInt32(bitPattern: token))
                words.append(UInt32(bitPattern: Int32(clamping: entry.outputCount)))
                words.append(UInt32(flags))
                words.append((entry.bias ?? 0).bitPattern)
            }
        }
        let buffer = scratchBuffer("logit-adjustments", bytes: words.count * 4)
        words.withUnsafeBytes { staging.upload($0.baseAddress!, bytes: $0.count, to: buffer.deviceAddress) }
        let longest = rows.map(\.adjustments.count).max()!
        module.launch("adjust_logits", grid: (rows.count, 1, 1), block: Self.rowThreads(min(longest, 256)),
            KernelArguments().tensor(logits).pointer(buffer.deviceAddress).int(rows.count).int(cols))
    }
}
