/// A tensor is a value: a storage handle, a shape, an element type and a byte offset.
/// It is always contiguous (row-major); views are made by offsetting into the same storage.
public struct Tensor: Sendable {
    public let storage: Storage
    public let shape: Shape
    public let dtype: DType
    public let byteOffset: Int

    public init(storage: Storage, shape: Shape, dtype: DType, byteOffset: Int = 0) {
        let bytes = dtype.byteCount(elements: shape.elementCount)
        precondition(bytes != nil, "shape \(shape) is not whole \(dtype) blocks")
        precondition(byteOffset >= 0 && byteOffset + bytes! <= storage.byteCount, "tensor exceeds its storage")
        self.storage = storage
        self.shape = shape
        self.dtype = dtype
        self.byteOffset = byteOffset
    }

    /// A new zero-filled host tensor.
    public init(zeros shape: Shape, dtype: DType = .f32) {
        let bytes = dtype.byteCount(elements: shape.elementCount)
        precondition(bytes != nil, "shape \(shape) is not whole \(dtype) blocks")
        self.init(storage: .allocateHost(byteCount: bytes!), shape: shape, dtype: dtype)
    }

    /// A host f32 tensor holding `values`.
    public init(_ values: [Float], shape: Shape) {
        precondition(values.count == shape.elementCount, "\(values.count) values for shape \(shape)")
        self.init(zeros: shape, dtype: .f32)
        values.withUnsafeBytes { address.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// A host i32 tensor holding `values`.
    public init(int32 values: [Int32], shape: Shape) {
        precondition(values.count == shape.elementCount, "\(values.count) values for shape \(shape)")
        self.init(zeros: shape, dtype: .i32)
        values.withUnsafeBytes { address.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    public var byteCount: Int { dtype.byteCount(elements: shape.elementCount)! }
    public var elementCount: Int { shape.elementCount }
    public var location: DeviceLocation { storage.location }

    /// The first byte of this tensor (a device address for device tensors).
    public var address: UnsafeMutableRawPointer { storage.address + byteOffset }

    /// Bytes of one row (the last dimension).
    public var rowBytes: Int { dtype.byteCount(elements: shape.last)! }

    /// Items `range` along the first dimension, sharing this tensor's storage.
    public func slice(_ range: Range<Int>) -> Tensor {
        precondition(shape.rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "slice \(range) of \(shape)")
        let itemBytes = shape[0] == 0 ? 0 : byteCount / shape[0]
        var dims = shape.dimensions
        dims[0] = range.count
        return Tensor(storage: storage, shape: Shape(dims), dtype: dtype, byteOffset: byteOffset + range.lowerBound * itemBytes)
    }

    /// The same bytes seen with another shape of the same element count.
    public func reshaped(_ newShape: Shape) -> Tensor {
        precondition(newShape.elementCount == shape.elementCount, "cannot reshape \(shape) to \(newShape)")
        return Tensor(storage: storage, shape: newShape, dtype: dtype, byteOffset: byteOffset)
    }

    /// Typed access to host memory.
    public func pointer<T>(as type: T.Type) -> UnsafeMutablePointer<T> {
        precondition(location == .host, "host access to a device tensor")
        return address.assumingMemoryBound(to: type)
    }

    /// The values of a host f32 tensor.
    public var floats: [Float] {
        precondition(dtype == .f32, "floats of a \(dtype) tensor")
        return Array(UnsafeBufferPointer(start: pointer(as: Float.self), count: elementCount))
    }
}
