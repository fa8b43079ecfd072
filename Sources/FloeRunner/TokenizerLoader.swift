import FloeTokenizers
import FloeWeights
import Foundation

/// Loads only the tokenizer of a model, without touching its weights: for `floe tokenize`,
/// benchmarks and tests. GGUF files are opened for their metadata (tensor data is mapped, not
/// read); directories need `tokenizer.json` (and use `tokenizer_config.json` when present).
public enum TokenizerLoader {
    /// - Parameter path: a `.gguf` file, a Hugging Face model directory, or a `tokenizer.json`.
    public static func load(path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoaderError.notFound(path)
        }
        let url = URL(fileURLWithPath: path)
        if isDirectory.boolValue {
            let json = url.appendingPathComponent("tokenizer.json")
            guard FileManager.default.fileExists(atPath: json.path) else {
                throw LoaderError.unreadable(path, "the directory has no tokenizer.json")
            }
            let config = url.appendingPathComponent("tokenizer_config.json")
            return try Tokenizer(
                tokenizerJSON: json, tokenizerConfig: FileManager.default.fileExists(atPath: config.path) ? config : nil)
        }
        if isGGUF(url) {
            return try Tokenizer(gguf: try GGUFVocabulary(file: try GGUFFile(path: path)))
        }
        // A lone tokenizer.json; a sibling tokenizer_config.json names BOS/EOS.
        let config = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        return try Tokenizer(
            tokenizerJSON: url, tokenizerConfig: FileManager.default.fileExists(atPath: config.path) ? config : nil)
    }

    /// By magic number, not extension: GGUF files start with "GGUF".
    static func isGGUF(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data("GGUF".utf8)
    }
}
