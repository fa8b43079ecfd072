import FloeTensor

/// A GGUF file (v2 or v3, little-endian), memory-mapped; its tensors are zero-copy views.
///
/// Layout: magic `GGUF`, u32 version, u64 tensor count, u64 metadata count, the metadata
/// key/value pairs, the tensor infos (name, dims innermost-first, ggml type, offset), padding to
/// `general.alignment`, then the tensor data. GGUF lists dims innermost-first (`ne0` is the row
/// length); `Shape` is row-major, so shapes here are the reversed dims.
///
/// Tensors are handed out exactly as stored: `llama`-architecture GGUFs keep their Q/K rows
/// permuted for interleaved RoPE, and undoing that is the model code's business.
public final class GGUFFile: WeightSource {
    public struct TensorInfo: Sendable {
        public let name: String
        /// Row-major (reversed from the file's innermost-first dims).
        public let shape: Shape
        public let dtype: DType
        /// Absolute byte offset of the tensor's data in the file.
        public let fileOffset: Int
        public let byteCount: Int
    }

    public let path: String
    public let version: UInt32
    /// Every metadata pair; see the typed accessors in `GGUFFile+Metadata.swift`.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let alignment: Int
    /// Tensor infos in file order.
    public let tensorInfos: [TensorInfo]
    /// The whole mapped file; every tensor is a view into it.
    public let storage: Storage
    private let tensorIndex: [String: Int]

    public var tensorNames: [String] { tensorInfos.map(\.name) }

    /// Maps and parses `path`. Throws `WeightsError` for anything that is not a well-formed
    /// GGUF v2/v3 file whose tensors all lie inside it.
    public init(path: String) throws {
        self.path = path
        storage = try MappedFile.map(path)
        var reader = ByteReader(base: UnsafeRawPointer(storage.address), count: storage.byteCount, path: path)

        let magic = try reader.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else {  // "GGUF" read as a little-endian u32
            throw WeightsError(.badMagic(found: Self.describeMagic(magic)), path: path)
        }
        version = try reader.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw WeightsError(.unsupportedVersion(version), path: path) }

        // A tensor info takes at least 24 bytes (empty name, rank 0) and a metadata pair at
        // least 13 (empty key, one-byte value), so counts beyond file size / that are corrupt.
        let tensorCount = try reader.readLength("tensor count", elementBytes: 24)
        let metadataCount = try reader.readLength("metadata count", elementBytes: 13)

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        keys.reserveCapacity(metadataCount)
        for index in 0..<metadataCount {
            let key = try reader.readString("key of metadata pair \(index)")
            let type = try reader.readValueType(what: key)
            let value = try reader.readValue(type, what: key)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw WeightsError(.badHeader(reason: "duplicate metadata key"), path: path, key: key)
            }
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys
        alignment = try Self.alignment(metadata, path: path)

        var infos: [(name: String, dims: [Int], dtype: DType, offset: UInt64)] = []
        infos.reserveCapacity(tensorCount)
        for index in 0..<tensorCount {
            let name = try reader.readString("name of tensor info \(index)")
            let rank = try reader.read(UInt32.self, "rank of tensor '\(name)'")
            guard rank <= 4 else {  // GGML_MAX_DIMS
                throw WeightsError(.badHeader(reason: "rank \(rank) exceeds 4"), path: path, tensor: name)
            }
            var dims: [Int] = []
            for _ in 0..<rank {
                let dim = try reader.read(UInt64.self, "dims of tensor '\(name)'")
                guard let value = Int(exactly: dim), value <= Int(Int32.max) * 1024 else {
                    throw WeightsError(.implausibleSize(what: "dimension", value: dim), path: path, tensor: name)
                }
                dims.append(value)
            }
            let typeID = try reader.read(UInt32.self, "type of tensor '\(name)'")
            guard let dtype = Self.dtype(ggmlType: typeID) else {
                throw WeightsError(.unknownDType("ggml type id \(typeID)"), path: path, tensor: name)
            }
            let offset = try reader.read(UInt64.self, "offset of tensor '\(name)'")
            infos.append((name, dims.reversed(), dtype, offset))
        }

        // Tensor data starts at the next multiple of the alignment after the infos.
        let headerEnd = reader.position
        let dataStart = (headerEnd + alignment - 1) / alignment * alignment
        let dataAvailable = UInt64(max(storage.byteCount - dataStart, 0))

        var tensorInfos: [TensorInfo] = []
        var index: [String: Int] = [:]
        for info in infos {
            func fail(_ kind: WeightsError.Kind) -> WeightsError { WeightsError(kind, path: path, tensor: info.name) }
            guard info.offset % UInt64(alignment) == 0 else {
                throw fail(.misalignedOffset(offset: info.offset, alignment: alignment))
            }
            guard let elements = Self.elementCount(info.dims),
                let bytes = info.dtype.byteCount(elements: elements),
                info.dims.last.map({ $0 % info.dtype.blockSize == 0 }) ?? true
            else {
                throw fail(.sizeMismatch(shape: info.dims, dtype: info.dtype.rawValue, bytes: nil))
            }
            let (end, overflow) = info.offset.addingReportingOverflow(UInt64(bytes))
            guard !overflow, end <= dataAvailable else {
                throw fail(.dataOutOfBounds(begin: info.offset, end: end, available: dataAvailable))
            }
            guard index.updateValue(tensorInfos.count, forKey: info.name) == nil else {
                throw fail(.badHeader(reason: "duplicate tensor name"))
            }
            tensorInfos.append(
                TensorInfo(
                    name: info.name, shape: Shape(info.dims), dtype: info.dtype,
                    fileOffset: dataStart + Int(info.offset), byteCount: bytes))
        }
        try checkDisjoint(
            tensorInfos.map { ($0.name, $0.fileOffset, $0.fileOffset + $0.byteCount) }, path: path)
        self.tensorInfos = tensorInfos
        tensorIndex = index
    }

    public func contains(_ name: String) -> Bool { tensorIndex[name] != nil }

    public func info(_ name: String) -> TensorInfo? { tensorIndex[name].map { tensorInfos[$0] } }

    public func tensor(_ name: String) throws -> Tensor {
        guard let info = info(name) else { throw WeightsError(.missingTensor, path: path, tensor: name) }
        return Tensor(storage: storage, shape: info.shape, dtype: info.dtype, byteOffset: info.fileOffset)
    }

    /// ggml's type ids (`enum ggml_type`); ids ggml retired (4, 5) or Floe cannot hold are nil.
    static func dtype(ggmlType id: UInt32) -> DType? {
        switch id {
        case 0: .f32
        case 1: .f16
        case 2: .q4_0
        case 3: .q4_1
        case 6: .q5_0
        case 7: .q5_1
        case 8: .q8_0
        case 9: .q8_1
        case 10: .q2_K
        case 11: .q3_K
        case 12: .q4_K
        case 13: .q5_K
        case 14: .q6_K
        case 15: .q8_K
        case 24: .i8
        case 25: .i16
        case 26: .i32
        case 27: .i64
        case 30: .bf16
        default: nil
        }
    }

    /// `general.alignment` (default 32): a u32 power of two, as llama.cpp requires.
    private static func alignment(_ metadata: [String: GGUFValue], path: String) throws -> Int {
        guard let value = metadata["general.alignment"] else { return 32 }
        guard case .uint32(let alignment) = value, alignment > 0, alignment & (alignment - 1) == 0 else {
            throw WeightsError(
                .badHeader(reason: "alignment must be a power-of-two uint32, found \(value)"),
                path: path, key: "general.alignment")
        }
        return Int(alignment)
    }

    private static func elementCount(_ dims: [Int]) -> Int? {
        var count = 1
        for dim in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            count = product
        }
        return count
    }

    private static func describeMagic(_ magic: UInt32) -> String {
        let bytes = withUnsafeBytes(of: magic.littleEndian) { Array($0) }
        let printable = bytes.allSatisfy { (0x20...0x7E).contains($0) }
        return printable ? "'" + String(decoding: bytes, as: UTF8.self) + "'" : bytes.map { String($0, radix: 16) }.joined(separator: " ")
    }
}

/// Throws `overlappingData` if any two non-empty byte ranges intersect.
func checkDisjoint(_ ranges: [(name: String, begin: Int, end: Int)], path: String) throws {
    let sorted = ranges.filter { $0.end > $0.begin }.sorted { $0.begin < $1.begin }
    for (previous, next) in zip(sorted, sorted.dropFirst()) where next.begin < previous.end {
        throw WeightsError(.overlappingData(other: previous.name), path: path, tensor: next.name)
    }
}
