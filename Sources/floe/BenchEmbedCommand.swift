import ArgumentParser
import FloeCPU
import FloeRunner
import Foundation

/// `floe bench-embed`: embedding throughput in tokens/s, tokenization included, through the
/// same `EmbeddingEngine` the server uses. Inputs are Arctic's benchmark prompts
/// (benchmark/embedding: "hello " repeated), sized so each is exactly `--tokens` tokens with
/// [CLS]/[SEP]; `--count` of them go out as requests of `--batch-size` inputs, all at once.
struct BenchEmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-embed", abstract: "Measure embedding throughput (tokens/s including tokenization).")

    @Option(help: "A sentence-transformers / BertModel folder. [env: FLOE_MODEL]")
    var model: String = ProcessInfo.processInfo.environment["FLOE_MODEL"] ?? "models/all-MiniLM-L6-v2"
    @Option(help: "Tokens per input, special tokens included.") var tokens = 50
    @Option(help: "Inputs embedded in the timed run.") var count = 1024
    @Option(name: .customLong("batch-size"), help: "Inputs per request.") var batchSize = 32
    @Option(help: "CPU threads (default: all cores). [env: FLOE_THREADS]") var threads: Int?
    @Option(name: .customLong("max-num-batched-tokens"), help: "Tokens in one forward pass.") var maxBatchTokens = 8192
    @Option(help: "Timed repetitions; the best is reported.") var repeats = 3

    func run() async throws {
        let threadCount = threads ?? ProcessInfo.processInfo.environment["FLOE_THREADS"].flatMap(Int.init)
            ?? ProcessInfo.processInfo.activeProcessorCount
        let embeddingModel = try EmbeddingModel.load(directory: model, backend: CPUBackend(threads: threadCount))
        let engine = EmbeddingEngine(model: embeddingModel, options: .init(maxBatchTokens: maxBatchTokens))
        defer { engine.shutdown() }
        let text = Array(repeating: "hello", count: max(tokens - 2, 1)).joined(separator: " ")
        let measured = try embeddingModel.tokenize(text, truncateTo: nil).count
        let requests = stride(from: 0, to: count, by: batchSize).map { Array(repeating: EmbeddingEngine.Input.text(text), count: min(batchSize, count - $0)) }

        func once() async throws -> (seconds: Double, tokens: Int) {
            let start = Date()
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for inputs in requests { group.addTask { try await engine.embed(inputs).promptTokens } }
                return try await group.reduce(0, +)
            }
            return (Date().timeIntervalSince(start), total)
        }
        _ = try await once()  // warm-up: scratch buffers, page faults
        var best = Double.infinity, total = 0
        for _ in 0..<repeats {
            let run = try await once()
            best = min(best, run.seconds)
            total = run.tokens
        }
        let rates = String(format: "%.0f tokens/s (%.1f inputs/s, best of %d: %.3f s)", Double(total) / best, Double(count) / best, repeats, best)
        print("floe bench-embed: \(embeddingModel.name) \(measured)-token inputs x \(count) (requests of \(batchSize)), \(threadCount) threads: \(rates)")
    }
}
