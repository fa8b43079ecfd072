import Foundation
import FloeTensor
import Testing

@testable import FloeWeights

/// Paths of the committed fixtures and of the fetched (uncommitted) model files.
enum Fixtures {
    /// The repository root, found from this file's path (`<root>/Tests/FloeWeightsTests/…`).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let storiesGGUF = root + "/Tests/Fixtures/stories260K/gguf/stories260K-f32.gguf"
    static let storiesSafetensors = root + "/Tests/Fixtures/stories260K/hf/model.safetensors"
    static let dequantDirectory = root + "/Tests/Fixtures/dequant"

    static let smolLM2Name = "SmolLM2-135M-Instruct.Q4_1.gguf"
    static let qwenName = "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf"

    /// `$FLOE_MODELS_DIR/<name>` or `<repo>/models/<name>`, if the file exists
    /// (`scripts/fetch-model.sh` puts them there; CI runs it).
    static func model(_ name: String) -> String? {
        var directories = [root + "/models"]
        if let custom = ProcessInfo.processInfo.environment["FLOE_MODELS_DIR"] { directories.insert(custom, at: 0) }
        return directories.map { $0 + "/" + name }.first { FileManager.default.fileExists(atPath: $0) }
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// A fresh temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "floe-weights-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` in this directory and returns the file's path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }
}

/// Little-endian field access on a file image, for damaging real files precisely.
extension Array where Element == UInt8 {
    func u64(at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(self[offset + $1]) << (8 * $1) }
    }

    mutating func setU32(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    mutating func setU64(_ value: UInt64, at offset: Int) {
        for i in 0..<8 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    /// The offset of the first occurrence of `pattern`.
    func find(_ pattern: [UInt8]) -> Int? {
        guard pattern.count <= count else { return nil }
        return (0...(count - pattern.count)).first { start in
            self[start..<start + pattern.count].elementsEqual(pattern)
        }
    }
}

/// Writes safetensors files from the test itself, to build sharded checkpoints and to
/// re-encode a real file's header after editing it.
enum SafetensorsWriter {
    struct Entry {
        var name: String
        var dtype: String
        var shape: [Int]
        var data: [UInt8]
    }

    static func encode(_ entries: [Entry], metadata: [String: String] = [:]) -> [UInt8] {
        var offset = 0
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        for entry in entries {
            let shape = entry.shape.map(String.init).joined(separator: ",")
            fields.append(
                "\"\(entry.name)\":{\"dtype\":\"\(entry.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + entry.data.count)]}")
            offset += entry.data.count
        }
        return encode(header: "{" + fields.joined(separator: ",") + "}", data: entries.flatMap(\.data))
    }

    /// A file from a header text and a data section, the header padded to 8 bytes with spaces.
    static func encode(header: String, data: [UInt8]) -> [UInt8] {
        var json = Array(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var file = [UInt8](repeating: 0, count: 8)
        file.setU64(UInt64(json.count), at: 0)
        return file + json + data
    }

    /// The header text and data section of a safetensors file image.
    static func split(_ file: [UInt8]) -> (header: String, data: [UInt8]) {
        let length = Int(file.u64(at: 0))
        return (String(decoding: file[8..<8 + length], as: UTF8.self), Array(file[(8 + length)...]))
    }
}

func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
}

/// Runs `body` and returns the `WeightsError` it throws (failing the test if it throws none).
func weightsError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> WeightsError? {
    do {
        try body()
        Issue.record("expected a WeightsError", sourceLocation: sourceLocation)
    } catch let error as WeightsError {
        return error
    } catch {
        Issue.record("expected a WeightsError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
