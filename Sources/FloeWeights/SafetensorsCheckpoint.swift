import FloeTensor

/// A Hugging Face checkpoint: a directory holding either `model.safetensors` or shards listed by
/// `model.safetensors.index.json` (`{"weight_map": {tensor: shard file}}`), seen as one source.
///
/// Every shard is mapped at open and every name in the weight map is checked to be in the shard
/// it points to, so a broken checkpoint fails at load, naming the shard and tensor.
public final class SafetensorsCheckpoint: WeightSource {
    public static let singleFileName = "model.safetensors"
    public static let indexFileName = "model.safetensors.index.json"

    /// The directory (or the single file it was opened from).
    public let path: String
    /// The mapped files, in the order first referenced.
    public let files: [SafetensorsFile]
    /// Tensor names: the single file's in file order, or the weight map's in index order.
    public let tensorNames: [String]
    private let fileIndex: [String: Int]

    /// Opens a checkpoint directory, or a single `.safetensors` file.
    public init(path: String) throws {
        self.path = path
        guard MappedFile.isDirectory(path) else {
            let file = try SafetensorsFile(path: path)
            files = [file]
            tensorNames = file.tensorNames
            fileIndex = Dictionary(file.tensorNames.map { ($0, 0) }, uniquingKeysWith: { first, _ in first })
            return
        }
        let indexPath = path + "/" + Self.indexFileName
        if !MappedFile.exists(indexPath) {
            let singlePath = path + "/" + Self.singleFileName
            guard MappedFile.exists(singlePath) else {
                throw WeightsError(
                    .cannotOpen(reason: "neither \(Self.singleFileName) nor \(Self.indexFileName) is in the directory"),
                    path: path)
            }
            let file = try SafetensorsFile(path: singlePath)
            files = [file]
            tensorNames = file.tensorNames
            fileIndex = Dictionary(file.tensorNames.map { ($0, 0) }, uniquingKeysWith: { first, _ in first })
            return
        }

        let weightMap = try Self.weightMap(indexPath)
        var files: [SafetensorsFile] = []
        var shardIndex: [String: Int] = [:]
        var fileIndex: [String: Int] = [:]
        for (tensor, shard) in weightMap {
            let position: Int
            if let known = shardIndex[shard] {
                position = known
            } else {
                position = files.count
                shardIndex[shard] = position
                files.append(try SafetensorsFile(path: path + "/" + shard))
            }
            guard files[position].contains(tensor) else {
                throw WeightsError(.missingTensor, path: files[position].path, tensor: tensor)
            }
            guard fileIndex.updateValue(position, forKey: tensor) == nil else {
                throw WeightsError(.badHeader(reason: "tensor listed twice in weight_map"), path: indexPath, tensor: tensor)
            }
        }
        self.files = files
        self.fileIndex = fileIndex
        tensorNames = weightMap.map(\.tensor)
    }

    public func contains(_ name: String) -> Bool { fileIndex[name] != nil }

    public func filePath(of name: String) -> String { file(containing: name)?.path ?? path }

    /// The shard holding `name`.
    public func file(containing name: String) -> SafetensorsFile? { fileIndex[name].map { files[$0] } }

    public func tensor(_ name: String) throws -> Tensor {
        guard let file = file(containing: name) else { throw WeightsError(.missingTensor, path: path, tensor: name) }
        return try file.tensor(name)
    }

    /// The index's `weight_map`, in file order; shard names must stay inside the directory.
    private static func weightMap(_ indexPath: String) throws -> [(tensor: String, shard: String)] {
        let storage = try MappedFile.map(indexPath)
        let json = try JSON.parse(UnsafeRawBufferPointer(start: storage.address, count: storage.byteCount), path: indexPath)
        guard let entries = json["weight_map"]?.object else {
            throw WeightsError(.badHeader(reason: "no 'weight_map' object"), path: indexPath)
        }
        return try entries.map { tensor, value in
            guard let shard = value.string, !shard.isEmpty, !shard.hasPrefix("/"),
                !shard.split(separator: "/").contains("..")
            else {
                throw WeightsError(
                    .badHeader(reason: "weight_map entry must be a file name inside the directory"),
                    path: indexPath, tensor: tensor)
            }
            return (tensor, shard)
        }
    }
}
