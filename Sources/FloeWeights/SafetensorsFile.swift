import FloeTensor

/// One `.safetensors` file, memory-mapped; its tensors are zero-copy views.
///
/// Layout: u64 little-endian header length `N`, `N` bytes of JSON
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`), then the
/// data section, to which `data_offsets` are relative. Every entry is validated at open: known
/// dtype, shape × element size == end − begin, inside the data section, no two overlapping.
public final class SafetensorsFile: WeightSource {
    public struct TensorInfo: Sendable {
        public let name: String
        public let shape: Shape
        /// The safetensors dtype string (`F32`, `BF16`, `I64`, …).
        public let dtypeName: String
        /// The Floe type, or `nil` for types Floe cannot hold (`F64`, `U8`, `BOOL`, …): those
        /// entries are listed, and `tensor(_:)` throws `unsupportedDType` for them.
        public let dtype: DType?
        public let fileOffset: Int
        public let byteCount: Int
    }

    public let path: String
    /// The `__metadata__` string map (empty if absent).
    public let metadata: [String: String]
    /// Tensor infos in header order.
    public let tensorInfos: [TensorInfo]
    public let storage: Storage
    private let tensorIndex: [String: Int]

    public var tensorNames: [String] { tensorInfos.map(\.name) }

    /// Headers are at most 100 MB in the reference implementation; anything larger is corrupt.
    static let maximumHeaderBytes = 100_000_000

    public init(path: String) throws {
        self.path = path
        storage = try MappedFile.map(path)
        var reader = ByteReader(base: UnsafeRawPointer(storage.address), count: storage.byteCount, path: path)
        let headerLength = try reader.read(UInt64.self, "header length")
        guard headerLength <= UInt64(Self.maximumHeaderBytes) else {
            throw WeightsError(.implausibleSize(what: "header length", value: headerLength), path: path)
        }
        let headerStart = try reader.skip(Int(headerLength), what: "JSON header of \(headerLength) bytes")
        let dataStart = reader.position
        let dataBytes = storage.byteCount - dataStart
        let header = try JSON.parse(
            UnsafeRawBufferPointer(start: storage.address + headerStart, count: Int(headerLength)), path: path)
        guard let members = header.object else {
            throw WeightsError(.badHeader(reason: "header is not a JSON object"), path: path)
        }

        var metadata: [String: String] = [:]
        var infos: [TensorInfo] = []
        var index: [String: Int] = [:]
        for (name, entry) in members {
            if name == "__metadata__" {
                metadata = try Self.metadata(entry, path: path)
                continue
            }
            let info = try Self.tensorInfo(name, entry, dataStart: dataStart, dataBytes: dataBytes, path: path)
            guard index.updateValue(infos.count, forKey: name) == nil else {
                throw WeightsError(.badHeader(reason: "duplicate tensor name"), path: path, tensor: name)
            }
            infos.append(info)
        }
        try checkDisjoint(infos.map { ($0.name, $0.fileOffset, $0.fileOffset + $0.byteCount) }, path: path)
        self.metadata = metadata
        tensorInfos = infos
        tensorIndex = index
    }

    public func contains(_ name: String) -> Bool { tensorIndex[name] != nil }

    public func info(_ name: String) -> TensorInfo? { tensorIndex[name].map { tensorInfos[$0] } }

    public func tensor(_ name: String) throws -> Tensor {
        guard let info = info(name) else { throw WeightsError(.missingTensor, path: path, tensor: name) }
        guard let dtype = info.dtype else {
            throw WeightsError(.unsupportedDType(info.dtypeName), path: path, tensor: name)
        }
        return Tensor(storage: storage, shape: info.shape, dtype: dtype, byteOffset: info.fileOffset)
    }

    /// Safetensors dtype strings: those Floe holds, and the element size of those it only lists.
    static func dtype(_ name: String) -> (dtype: DType?, elementBytes: Int)? {
        switch name {
        case "F32": (.f32, 4)
        case "F16": (.f16, 2)
        case "BF16": (.bf16, 2)
        case "F8_E4M3": (.f8e4m3, 1)
        case "I8": (.i8, 1)
        case "I16": (.i16, 2)
        case "I32": (.i32, 4)
        case "I64": (.i64, 8)
        case "U8", "BOOL", "F8_E5M2", "F8_E8M0": (nil, 1)
        case "U16": (nil, 2)
        case "U32": (nil, 4)
        case "F64", "U64", "C64": (nil, 8)
        default: nil
        }
    }

    private static func metadata(_ entry: JSON, path: String) throws -> [String: String] {
        guard let members = entry.object else {
            throw WeightsError(.badHeader(reason: "__metadata__ is not an object"), path: path)
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard let string = value.string else {
                throw WeightsError(.badHeader(reason: "__metadata__ value is not a string"), path: path, key: key)
            }
            metadata[key] = string
        }
        return metadata
    }

    private static func tensorInfo(
        _ name: String, _ entry: JSON, dataStart: Int, dataBytes: Int, path: String
    ) throws -> TensorInfo {
        func fail(_ kind: WeightsError.Kind) -> WeightsError { WeightsError(kind, path: path, tensor: name) }
        guard let dtypeName = entry["dtype"]?.string else { throw fail(.badHeader(reason: "missing string 'dtype'")) }
        guard let (dtype, elementBytes) = dtype(dtypeName) else { throw fail(.unknownDType(dtypeName)) }
        guard let shapeValues = entry["shape"]?.array else { throw fail(.badHeader(reason: "missing array 'shape'")) }
        var dims: [Int] = []
        var elements = 1
        for value in shapeValues {
            guard let dim = value.integer, dim >= 0 else {
                throw fail(.badHeader(reason: "shape entries must be non-negative integers"))
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw fail(.implausibleSize(what: "element count of shape \(dims + [dim])", value: UInt64(dim))) }
            dims.append(dim)
            elements = product
        }
        guard let offsets = entry["data_offsets"]?.array, offsets.count == 2,
            let begin = offsets[0].integer, let end = offsets[1].integer, begin >= 0, end >= begin
        else {
            throw fail(.badHeader(reason: "data_offsets must be [begin, end] with 0 <= begin <= end"))
        }
        let (expected, overflow) = elements.multipliedReportingOverflow(by: elementBytes)
        guard !overflow, expected == end - begin else {
            throw fail(.sizeMismatch(shape: dims, dtype: dtypeName, bytes: end - begin))
        }
        guard end <= dataBytes else {
            throw fail(.dataOutOfBounds(begin: UInt64(begin), end: UInt64(end), available: UInt64(max(dataBytes, 0))))
        }
        return TensorInfo(
            name: name, shape: Shape(dims), dtypeName: dtypeName, dtype: dtype,
            fileOffset: dataStart + begin, byteCount: end - begin)
    }
}
