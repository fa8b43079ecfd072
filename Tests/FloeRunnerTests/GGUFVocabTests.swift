import FloeRunner
import FloeTokenizers
import FloeWeights
import Foundation
import Testing

/// llama.cpp's vocab-only GGUF files and their `.inp`/`.out` vectors (ids without BOS), read
/// through the real GGUF reader and `GGUFVocabulary(file:)`. Every pair shipped in
/// Tests/Fixtures/tokenizers/llama.cpp-vocab-tests/ with its .gguf is checked.
///
/// Not shipped: deepseek-llm (4 MB, needs its long Unicode-range regexes), llama-bpe and qwen2
/// (no .gguf in the shared data; their vectors run against tokenizer.json in
/// FloeTokenizersTests), baichuan and gpt-neox (no vectors), chameleon, command-r,
/// deepseek-r1-qwen, roberta-bpe (vectors without .gguf).
@Suite("llama.cpp vocab GGUF files")
struct GGUFVocabTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizers/llama.cpp-vocab-tests")

    static let vocabularies = [
        "bert-bge", "deepseek-coder", "falcon", "gpt-2", "llama-spm", "mpt", "phi-3", "refact", "starcoder",
    ]

    static func cases(_ name: String) throws -> [(String, [Int])] {
        let base = directory.appendingPathComponent("ggml-vocab-\(name).gguf")
        let input = try String(contentsOf: base.appendingPathExtension("inp"), encoding: .utf8)
        let output = try String(contentsOf: base.appendingPathExtension("out"), encoding: .utf8)
        let texts = input.components(separatedBy: "\n__ggml_vocab_test__\n")
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.split(separator: " ").compactMap { Int($0) }
        }
        return Array(zip(texts, lines))
    }

    @Test(arguments: vocabularies)
    func encodeMatchesLlamaCpp(name: String) throws {
        let path = Self.directory.appendingPathComponent("ggml-vocab-\(name).gguf").path
        let tokenizer = try TokenizerLoader.load(path: path)
        let cases = try Self.cases(name)
        #expect(cases.count >= 40)
        var failures = 0
        for (text, expected) in cases {
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            if ids != expected { failures += 1 }
            #expect(ids == expected, "\(name): \(text.debugDescription)")
        }
        #expect(failures == 0, "\(name): \(cases.count - failures)/\(cases.count) match")
    }

    /// Round trip where the vocabulary can spell the text (no unknown tokens, no lowercasing).
    @Test(arguments: ["gpt-2", "llama-spm", "starcoder", "falcon"])
    func decodeInvertsEncode(name: String) throws {
        let tokenizer = try TokenizerLoader.load(path: Self.directory.appendingPathComponent("ggml-vocab-\(name).gguf").path)
        for text in ["Hello world", " Hello, world!", "def f(x):\n    return x * 2\n", "naïve café 🦙"] {
            #expect(tokenizer.decode(tokenizer.encode(text, addSpecialTokens: false)) == text, "\(name)")
        }
    }

    @Test func bertFramesWithCLSAndSEP() throws {
        let tokenizer = try TokenizerLoader.load(path: Self.directory.appendingPathComponent("ggml-vocab-bert-bge.gguf").path)
        #expect(tokenizer.encode("This is an example sentence") == [101, 2023, 2003, 2019, 2742, 6251, 102])
        #expect(tokenizer.decode([101, 2023, 2003, 2019, 2742, 6251, 102], skipSpecialTokens: true) == "this is an example sentence")
    }

    @Test func loaderReadsHuggingFaceDirectoryAndFile() throws {
        let fixtures = Self.directory.deletingLastPathComponent().deletingLastPathComponent()
        let directory = try TokenizerLoader.load(path: fixtures.appendingPathComponent("all-MiniLM-L6-v2").path)
        let file = try TokenizerLoader.load(path: fixtures.appendingPathComponent("all-MiniLM-L6-v2/tokenizer.json").path)
        #expect(directory.encode("Hello world") == [101, 7592, 2088, 102])
        #expect(file.encode("Hello world") == directory.encode("Hello world"))
        #expect(throws: (any Error).self) { try TokenizerLoader.load(path: "/nonexistent/model.gguf") }
    }
}
