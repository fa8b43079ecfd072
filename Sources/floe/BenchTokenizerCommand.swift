import ArgumentParser
import FloeBench
import FloeRunner
import FloeTokenizers
import Foundation

/// `floe bench-tokenizer`: encode throughput (MB/s, tokens/s) on 1 and 2 threads for several
/// tokenizers on one mixed code + prose corpus. scripts/bench-tokenizers.sh runs it next to
/// Hugging Face `tokenizers` on the same corpus file.
struct BenchTokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-tokenizer", abstract: "Measure tokenizer encode throughput on a code + prose corpus.")

    @Option(name: .customLong("tokenizer"), help: "name=path (GGUF, HF directory or tokenizer.json); repeatable. Default: the test fixtures.")
    var tokenizers: [String] = []

    @Option(help: "Corpus file (documents separated by U+001E). Default: built from Sources/ and docs.")
    var corpus: String?

    @Option(name: .customLong("write-corpus"), help: "Write the corpus used to this file (for the HF run).")
    var writeCorpus: String?

    @Option(name: .customLong("corpus-mb"), help: "Size of the built corpus in MB.")
    var corpusMegabytes = 4

    @Option(help: "Thread counts to measure.")
    var threads: [Int] = [1, 2]

    @Option(help: "Timed repetitions (best is kept) after one warm-up.")
    var repetitions = 3

    @Flag(name: .customLong("linearity"), help: "Also time one 10 MB text against one 5 MB text (Llama-3 or the first tokenizer).")
    var linearity = false

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    static let defaults: [(String, String)] = [
        ("Llama-3", "Tests/Fixtures/tokenizers/llama3/tokenizer.json"),
        ("Qwen2.5", "Tests/Fixtures/Qwen2.5-Coder-0.5B-Instruct/hf-config/tokenizer.json"),
        ("GPT-2", "Tests/Fixtures/tokenizers/gpt2/tokenizer.json"),
        ("Llama-2", "Tests/Fixtures/tokenizers/llama2/tokenizer.json"),
        ("BERT", "Tests/Fixtures/all-MiniLM-L6-v2/tokenizer.json"),
    ]

    func run() throws {
        let documents = try corpus.map(TokenizerThroughput.read)
            ?? TokenizerThroughput.corpus(
                sourceRoots: ["Sources"], docRoots: ["docs", "/work/shared/docs"], targetBytes: corpusMegabytes * 1_000_000)
        guard !documents.isEmpty else { throw ValidationError("empty corpus") }
        if let writeCorpus { try TokenizerThroughput.write(documents, to: writeCorpus) }
        let bytes = documents.reduce(0) { $0 + $1.utf8.count }
        print("corpus: \(documents.count) documents, \(String(format: "%.2f", Double(bytes) / 1e6)) MB")
        let named = try tokenizers.isEmpty ? Self.defaults : tokenizers.map { spec in
            guard let eq = spec.firstIndex(of: "=") else { throw ValidationError("expected name=path, got \(spec)") }
            return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
        }
        var results: [TokenizerThroughput.Result] = []
        print("tokenizer   threads     MB/s     tokens/s    tokens")
        for (name, path) in named {
            let tokenizer = try TokenizerLoader.load(path: path)
            for threadCount in threads {
                let result = TokenizerThroughput.measure(
                    name: name, documents: documents, threads: threadCount, repetitions: repetitions
                ) { tokenizer.encode($0, addSpecialTokens: false).count }
                results.append(result)
                print(
                    name.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: "%7d %8.2f %12.0f %9d", threadCount,
                    result.megabytesPerSecond, result.tokensPerSecond, result.tokens))
            }
        }
        if linearity, let (name, path) = named.first(where: { $0.0 == "Llama-3" }) ?? named.first {
            let tokenizer = try TokenizerLoader.load(path: path)
            var text = documents.joined(separator: "\n")
            while text.utf8.count < 10_000_000 { text += "\n" + text }
            text = String(decoding: text.utf8.prefix(10_000_000), as: UTF8.self)
            let (small, large) = TokenizerThroughput.linearity(text: text, tokenizer: tokenizer)
            print(String(format: "%@ one text: 5 MB %.2f s, 10 MB %.2f s (ratio %.2f)", name, small, large, large / small))
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
        }
    }
}
