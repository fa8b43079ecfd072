import FloeTensor

/// Converts host tensors to what the GPU stores: 16-bit weights (from f32, the other 16-bit
/// format, or any GGUF quantization via the reference dequantizer) and f32 vectors.
enum HostConversion {
    static func convert(_ host: Tensor, to target: DType) -> [UInt8] {
        let rows = host.shape.rank == 0 ? 1 : host.shape.rowCount
        let columns = host.elementCount / max(rows, 1)
        let rowBytes = host.dtype.byteCount(elements: columns)!
        let elementBytes = target == .f32 ? 4 : 2
        var output = [UInt8](repeating: 0, count: host.elementCount * elementBytes)
        var row = [Float](repeating: 0, count: columns)
        output.withUnsafeMutableBytes { out in
            row.withUnsafeMutableBufferPointer { row in
                for r in 0..<rows {
                    dequantizeRow(host.dtype, from: host.address + r * rowBytes, into: row.baseAddress!, count: columns)
                    let destination = out.baseAddress! + r * columns * elementBytes
                    switch target {
                    case .f32:
                        destination.copyMemory(from: row.baseAddress!, byteCount: columns * 4)
                    case .bf16:
                        let halves = destination.assumingMemoryBound(to: UInt16.self)
                        for i in 0..<columns { halves[i] = row[i].bf16Bits }
                    case .f16:
                        let halves = destination.assumingMemoryBound(to: UInt16.self)
                        for i in 0..<columns { halves[i] = row[i].f16Bits }
                    default:
                        preconditionFailure("no conversion to \(target)")
                    }
                }
            }
        }
        return output
    }
}
