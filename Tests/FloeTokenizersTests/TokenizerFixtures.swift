import Foundation
import Testing

@testable import FloeTokenizers

/// Fixture tokenizers, each parsed once per test process (the Qwen and Llama 3 files are
/// 11-17 MB) and shared by every suite.
enum TokenizerFixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Vector-file name -> tokenizer.json inside Tests/Fixtures.
    static let tokenizerPaths: [String: String] = [
        "smollm2": "SmolLM2-135M-Instruct/hf-config/tokenizer.json",
        "qwen2.5": "Qwen2.5-Coder-0.5B-Instruct/hf-config/tokenizer.json",
        "stories260K-tok512": "stories260K/hf/tokenizer.json",
        "gpt2": "tokenizers/gpt2/tokenizer.json",
        "llama3": "tokenizers/llama3/tokenizer.json",
        "llama2-spm": "tokenizers/llama2/tokenizer.json",
        "bert-uncased-wordpiece": "all-MiniLM-L6-v2/tokenizer.json",
        "unigram-metaspace": "tokenizers/unigram-metaspace/tokenizer.json",
        "unigram-bytefallback": "tokenizers/unigram-bytefallback/tokenizer.json",
        "wordpiece-misc": "tokenizers/wordpiece-misc/tokenizer.json",
    ]

    static let names = tokenizerPaths.keys.sorted()
    /// Tokenizers with a 61-string vector file in tokenizers/vectors/.
    static let vectorNames = names.filter {
        FileManager.default.fileExists(atPath: root.appendingPathComponent("tokenizers/vectors/\($0).json").path)
    }
    static let byteLevelNames = ["gpt2", "llama3", "qwen2.5", "smollm2"]

    private static let cache = TokenizerCache()

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try cache.get(name) {
            let path = try #require(tokenizerPaths[name])
            return try Tokenizer(tokenizerJSON: root.appendingPathComponent(path))
        }
    }

    struct VectorFile: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
        }
        let tokenizer: String
        let cases: [Case]
    }

    static func vectors(_ name: String) throws -> [VectorFile.Case] {
        let url = root.appendingPathComponent("tokenizers/vectors/\(name).json")
        return try JSONDecoder().decode(VectorFile.self, from: Data(contentsOf: url)).cases
    }

    /// llama.cpp's `.inp`/`.out` pairs: inputs split by a marker line, one line of ids each.
    static func llamaCppCases(_ name: String) throws -> [(String, [Int])] {
        let base = root.appendingPathComponent("tokenizers/llama.cpp-vocab-tests/ggml-vocab-\(name).gguf")
        let input = try String(contentsOf: base.appendingPathExtension("inp"), encoding: .utf8)
        let output = try String(contentsOf: base.appendingPathExtension("out"), encoding: .utf8)
        let texts = input.components(separatedBy: "\n__ggml_vocab_test__\n")
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.split(separator: " ").compactMap { Int($0) }
        }
        return Array(zip(texts, lines))
    }
}

/// Lock-protected memo: Swift Testing runs tests in parallel, and each tokenizer should be
/// parsed once.
final class TokenizerCache: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Tokenizer] = [:]

    func get(_ name: String, make: () throws -> Tokenizer) throws -> Tokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let value = values[name] { return value }
        let value = try make()
        values[name] = value
        return value
    }
}
