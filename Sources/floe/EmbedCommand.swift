import ArgumentParser
import FloeRunner
import Foundation

/// `floe embed`: embeds a JSONL file (one JSON string, or an object with "text", per line) with
/// an embedding model folder, writing JSONL (`{"index", "embedding"}` per line) or a float32
/// `.npy` matrix, with a progress bar on stderr.
struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Embed the texts of a JSONL file with an embedding model (JSONL or .npy out).")

    @Option(help: "A sentence-transformers / BertModel folder. [env: FLOE_MODEL]")
    var model: String = ProcessInfo.processInfo.environment["FLOE_MODEL"] ?? "models/all-MiniLM-L6-v2"
    @Option(name: .shortAndLong, help: "Input JSONL: a JSON string or {\"text\": ...} per line.") var input: String
    @Option(name: .shortAndLong, help: "Output file: .npy for a float32 [lines, dim] matrix, anything else for JSONL.") var output: String
    @Option(help: "CPU threads (default: all cores). [env: FLOE_THREADS]") var threads: Int?
    @OptionGroup var deviceOptions: DeviceOptions
    @OptionGroup var instanceOptions: EmbeddingInstanceOptions
    @Option(name: .customLong("max-num-batched-tokens"), help: "Tokens in one forward pass (8192 on the CPU, 32768 on CUDA).")
    var maxBatchTokens: Int?
    @Flag(help: "Cut texts longer than the model's max_seq_length instead of failing.") var truncate = false

    func run() async throws {
        let threadCount = threads ?? ProcessInfo.processInfo.environment["FLOE_THREADS"].flatMap(Int.init)
            ?? ProcessInfo.processInfo.activeProcessorCount
        let texts = try Self.readTexts(input)
        let instances = try instanceOptions.loadInstances(directory: model, device: deviceOptions, threads: threadCount)
        let embeddingModel = instances[0]
        let engine = EmbeddingEngine(
            instances: instances, options: .init(maxBatchTokens: try maxBatchTokens ?? deviceOptions.defaultEmbeddingBatchTokens))
        defer { engine.shutdown() }
        let writer = try EmbeddingWriter(path: output, rows: texts.count, dimension: embeddingModel.dimension)
        var progress = ProgressBar(total: texts.count)
        let chunk = 256
        var tokens = 0
        for start in stride(from: 0, to: texts.count, by: chunk) {
            let range = start..<min(start + chunk, texts.count)
            let result: EmbeddingEngine.Output
            do {
                result = try await engine.embed(texts[range].map { .text($0) }, truncateTo: truncate ? embeddingModel.maxInputTokens : nil)
            } catch EmbeddingEngineError.invalidInput(let index, let error) {
                throw ValidationError("\(input) line \(start + index + 1): \(error)")
            }
            try writer.append(result.embeddings, firstIndex: start)
            tokens += result.promptTokens
            progress.update(done: range.upperBound, tokens: tokens)
        }
        try writer.close()
        progress.finish()
    }

    /// The text of every non-empty line.
    static func readTexts(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read '\(path)'") }
        var texts: [String] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            let value = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
            if let text = value as? String {
                texts.append(text)
            } else if let object = value as? [String: Any], let text = object["text"] as? String {
                texts.append(text)
            } else {
                throw ValidationError("\(path) line \(number + 1): expected a JSON string or an object with a \"text\" string")
            }
        }
        return texts
    }
}

/// Writes embeddings as JSONL or as a NumPy `.npy` (format 1.0, `<f4`, C order).
final class EmbeddingWriter {
    let handle: FileHandle
    let dimension: Int
    let numpy: Bool

    init(path: String, rows: Int, dimension: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("cannot write '\(path)'")
        }
        self.handle = handle
        self.dimension = dimension
        numpy = path.hasSuffix(".npy")
        if numpy { try handle.write(contentsOf: Self.numpyHeader(rows: rows, columns: dimension)) }
    }

    /// The `.npy` 1.0 preamble: magic, version, header length, then a Python dict literal padded
    /// with spaces to a multiple of 64 bytes and ending in a newline.
    static func numpyHeader(rows: Int, columns: Int) -> Data {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(dict.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(dict.utf8))
        return data
    }

    func append(_ embeddings: [Float], firstIndex: Int) throws {
        if numpy {
            var bytes = Data(count: embeddings.count * 4)
            bytes.withUnsafeMutableBytes { raw in
                for (i, value) in embeddings.enumerated() { raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
            }
            try handle.write(contentsOf: bytes)
            return
        }
        var text = ""
        for row in 0..<embeddings.count / dimension {
            let values = embeddings[row * dimension..<(row + 1) * dimension].map { "\($0)" }.joined(separator: ",")
            text += "{\"index\":\(firstIndex + row),\"embedding\":[\(values)]}\n"
        }
        try handle.write(contentsOf: Data(text.utf8))
    }

    func close() throws { try handle.close() }
}

/// A one-line progress bar on stderr (redrawn in place with `\r`).
struct ProgressBar {
    let total: Int
    let start = Date()

    mutating func update(done: Int, tokens: Int) {
        let width = 30, filled = total == 0 ? width : width * done / total
        let seconds = max(Date().timeIntervalSince(start), 1e-9)
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data(
            "\r[\(bar)] \(done)/\(total) texts, \(tokens) tokens, \(Int(Double(tokens) / seconds)) tokens/s".utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}
