import FloeTensor

/// Anything that hands out named weight tensors: one safetensors file, a sharded checkpoint, a
/// GGUF file. Model code asks for weights through the checked `tensor(_:shape:dtypes:)` so a
/// wrong checkpoint fails at load time with the tensor's name, not later with a bad shape.
public protocol WeightSource: AnyObject, Sendable {
    /// The file or directory the weights come from (named in every error).
    var path: String { get }
    /// All tensor names, in file order.
    var tensorNames: [String] { get }
    func contains(_ name: String) -> Bool
    /// The tensor as stored (a zero-copy view); throws `missingTensor` if absent.
    func tensor(_ name: String) throws -> Tensor
    /// The file that holds `name` (a shard of a sharded checkpoint), for error messages.
    func filePath(of name: String) -> String
}

extension WeightSource {
    public func filePath(of name: String) -> String { path }
}

extension WeightSource {
    /// The tensor, checked: throws `missingTensor`, `wrongShape`, or `wrongDType` (when
    /// `dtypes` is given and does not contain the stored type).
    public func tensor(_ name: String, shape: Shape, dtypes: Set<DType>? = nil) throws -> Tensor {
        let tensor = try tensor(name)
        guard tensor.shape == shape else {
            throw WeightsError(.wrongShape(expected: shape, actual: tensor.shape), path: filePath(of: name), tensor: name)
        }
        if let dtypes, !dtypes.contains(tensor.dtype) {
            throw WeightsError(
                .wrongDType(allowed: dtypes.sorted { $0.rawValue < $1.rawValue }, actual: tensor.dtype),
                path: filePath(of: name), tensor: name)
        }
        return tensor
    }

    /// The tensor if present, `nil` if absent (e.g. an optional bias); other errors still throw.
    public func optionalTensor(_ name: String, shape: Shape, dtypes: Set<DType>? = nil) throws -> Tensor? {
        contains(name) ? try tensor(name, shape: shape, dtypes: dtypes) : nil
    }
}

/// A new host f32 tensor holding `tensor`'s values, decoded with the reference `dequantizeRow`
/// (a copy even when `tensor` is already f32, so the result is always writable). Meant for
/// tests and small tensors: it is the oracle, not the fast path.
public func dequantized(_ tensor: Tensor) -> Tensor {
    precondition(tensor.location == .host, "dequantized needs a host tensor")
    let result = Tensor(zeros: tensor.shape, dtype: .f32)
    dequantizeRow(
        tensor.dtype, from: UnsafeRawPointer(tensor.address), into: result.pointer(as: Float.self),
        count: tensor.elementCount)
    return result
}
