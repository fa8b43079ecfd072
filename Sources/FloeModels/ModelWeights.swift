import FloeTensor
import FloeWeights

/// What a model builder needs from a checkpoint: tensors by name, checked against the shape the
/// config implies, and this rank's share of them.
public struct ModelWeights: Sendable {
    public let source: any WeightSource
    public let parallel: ParallelContext

    public init(source: any WeightSource, parallel: ParallelContext = ParallelContext()) {
        self.source = source
        self.parallel = parallel
    }

    public func contains(_ name: String) -> Bool { source.contains(name) }

    /// The tensor `name`, which must have `shape`; stored dtype kept (quantized stays quantized).
    public func tensor(_ name: String, shape: Shape) throws -> Tensor {
        try source.tensor(name, shape: shape)
    }

    /// A small tensor (norm weights, biases) as f32, dequantized if stored otherwise.
    public func floatTensor(_ name: String, shape: Shape) throws -> Tensor {
        let tensor = try source.tensor(name, shape: shape)
        return tensor.dtype == .f32 ? tensor : dequantized(tensor)
    }

    /// A linear layer `[out, in]` with optional bias `[out]`, sharded for this rank's role.
    public func linear(_ name: String, out: Int, in inputs: Int, bias biasName: String?, role: Linear.Role) throws -> Linear {
        let weight = try tensor(name, shape: [out, inputs])
        let bias = try biasName.map { try floatTensor($0, shape: [out]) }
        switch role {
        case .replicated:
            return Linear(weight: weight, bias: bias, role: role)
        case .columnParallel:
            let rows = try parallel.shard(of: out)
            return Linear(weight: weight.slice(rows), bias: bias?.slice(rows), role: role)
        case .rowParallel:
            let columns = try parallel.shard(of: inputs)
            // Only rank 0 adds the bias, so the all-reduce adds it once.
            return Linear(
                weight: try columnSlice(weight, columns, name: name), bias: parallel.rank == 0 ? bias : nil, role: role)
        }
    }

    /// Copies columns `range` of every row; quantized rows must split on block boundaries.
    private func columnSlice(_ weight: Tensor, _ range: Range<Int>, name: String) throws -> Tensor {
        if range.count == weight.shape[1] { return weight }
        let blockSize = weight.dtype.blockSize
        guard range.lowerBound % blockSize == 0, range.count % blockSize == 0 else {
            throw ModelError.weightMismatch(
                "\(name): columns \(range) do not fall on \(weight.dtype) block boundaries (\(blockSize))")
        }
        let rows = weight.shape[0]
        let out = Tensor(zeros: [rows, range.count], dtype: weight.dtype)
        let start = weight.dtype.byteCount(elements: range.lowerBound)!
        let width = out.rowBytes
        for row in 0..<rows {
            (out.address + row * width).copyMemory(from: weight.address + row * weight.rowBytes + start, byteCount: width)
        }
        return out
    }
}
