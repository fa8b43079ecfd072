import FloeTensor

/// Why a weights file could not be read or a weight could not be handed out.
///
/// Every message names the file (and the tensor or metadata key where there is one), so a
/// failure in a directory of shards or a model with hundreds of tensors points at its cause.
public struct WeightsError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened, measured or mapped (the OS's reason).
        case cannotOpen(reason: String)
        /// The first bytes are not the format's magic.
        case badMagic(found: String)
        /// A GGUF version this reader does not read (v1, > 3, or a big-endian file).
        case unsupportedVersion(UInt32)
        /// The file ends inside the part named.
        case truncated(what: String)
        /// A count or length so large it cannot be real (larger than the file, or absurd).
        case implausibleSize(what: String, value: UInt64)
        /// A header that parses but breaks the format's rules, or JSON that does not parse.
        case badHeader(reason: String)
        /// An element type the format does not define (a ggml type id or safetensors string).
        case unknownDType(String)
        /// A type the format defines but Floe cannot hold (e.g. safetensors F64, U8, BOOL).
        case unsupportedDType(String)
        /// The stored bytes (`nil`: none could fit) do not match `shape` × dtype, e.g. a row
        /// that is not whole quantization blocks.
        case sizeMismatch(shape: [Int], dtype: String, bytes: Int?)
        /// The tensor's bytes lie (partly) outside the file's data section.
        case dataOutOfBounds(begin: UInt64, end: UInt64, available: UInt64)
        /// A GGUF tensor offset that is not a multiple of `general.alignment`.
        case misalignedOffset(offset: UInt64, alignment: Int)
        /// Two tensors claim the same bytes.
        case overlappingData(other: String)
        case missingTensor
        case wrongShape(expected: Shape, actual: Shape)
        case wrongDType(allowed: [DType], actual: DType)
        case missingMetadata
        case wrongMetadataType(expected: String, actual: String)
    }

    public let kind: Kind
    /// The file (or checkpoint directory) concerned.
    public let path: String
    /// The tensor concerned, if any.
    public let tensor: String?
    /// The metadata key concerned, if any.
    public let key: String?

    public init(_ kind: Kind, path: String, tensor: String? = nil, key: String? = nil) {
        self.kind = kind
        self.path = path
        self.tensor = tensor
        self.key = key
    }

    public var description: String {
        var subject = path
        if let tensor { subject += ", tensor '\(tensor)'" }
        if let key { subject += ", metadata '\(key)'" }
        return "\(subject): \(reason)"
    }

    private var reason: String {
        switch kind {
        case .cannotOpen(let reason): "cannot open: \(reason)"
        case .badMagic(let found): "not the expected format (magic \(found))"
        case .unsupportedVersion(let version) where version == 1:
            "GGUF version 1 is not supported (re-convert the model to GGUF v3)"
        case .unsupportedVersion(let version) where (1...3).contains(version.byteSwapped):
            "big-endian GGUF (version \(version.byteSwapped)) is not supported"
        case .unsupportedVersion(let version):
            "unsupported GGUF version \(version) (this reader reads little-endian v2 and v3)"
        case .truncated(let what): "file is truncated: it ends inside \(what)"
        case .implausibleSize(let what, let value): "implausible \(what) \(value)"
        case .badHeader(let reason): "invalid header: \(reason)"
        case .unknownDType(let name): "unknown element type \(name)"
        case .unsupportedDType(let name): "element type \(name) is not supported by Floe"
        case .sizeMismatch(let shape, let dtype, let bytes):
            bytes.map { "\($0) bytes do not hold a \(dtype) tensor of shape \(shape)" }
                ?? "shape \(shape) is not a whole number of \(dtype) blocks per row (or is too large)"
        case .dataOutOfBounds(let begin, let end, let available):
            "tensor data \(begin)..<\(end) lies outside the \(available) bytes of data in the file"
        case .misalignedOffset(let offset, let alignment):
            "tensor data offset \(offset) is not a multiple of the alignment \(alignment)"
        case .overlappingData(let other): "tensor data overlaps tensor '\(other)'"
        case .missingTensor: "no such tensor"
        case .wrongShape(let expected, let actual): "expected shape \(expected), found \(actual)"
        case .wrongDType(let allowed, let actual):
            "element type \(actual.rawValue) is not one of \(allowed.map(\.rawValue).sorted().joined(separator: ", "))"
        case .missingMetadata: "no such metadata key"
        case .wrongMetadataType(let expected, let actual): "expected \(expected), found \(actual)"
        }
    }
}
