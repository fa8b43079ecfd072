import ArgumentParser
import FloeRunner
import FloeServer
import FloeTokenizers
import Foundation

/// `floe bench-embed`: embedding throughput in tokens/s, tokenization included, through the
/// same `EmbeddingEngine` the server uses — or, with `--grpc HOST:PORT`, end to end through a
/// running `floe serve --grpc-port` (Arctic's gRPC API: serialization, HTTP/2 and the server's
/// tokenization included). Inputs are Arctic's benchmark prompts (benchmark/embedding: "hello "
/// repeated), sized so each is exactly `--tokens` tokens with [CLS]/[SEP]; `--count` of them go
/// out as requests of `--batch-size` inputs, all at once (in process) or `--concurrency` at a
/// time (gRPC).
struct BenchEmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-embed", abstract: "Measure embedding throughput (tokens/s including tokenization).")

    @Option(help: "A sentence-transformers / BertModel folder. [env: FLOE_MODEL]")
    var model: String = ProcessInfo.processInfo.environment["FLOE_MODEL"] ?? "models/all-MiniLM-L6-v2"
    @Option(help: "Tokens per input, special tokens included.") var tokens = 50
    @Option(help: "Inputs embedded in the timed run.") var count = 1024
    @Option(name: .customLong("batch-size"), help: "Inputs per request.") var batchSize = 32
    @Option(help: "CPU threads (default: all cores). [env: FLOE_THREADS]") var threads: Int?
    @OptionGroup var deviceOptions: DeviceOptions
    @OptionGroup var instanceOptions: EmbeddingInstanceOptions
    @Option(name: .customLong("max-num-batched-tokens"), help: "Tokens in one forward pass (8192 on the CPU, 32768 on CUDA).")
    var maxBatchTokens: Int?
    @Option(help: "Timed repetitions; the best is reported.") var repeats = 3
    @Option(help: "HOST:PORT of a running `floe serve --grpc-port`: measure through Arctic's gRPC API instead of in process (the model folder then only supplies the tokenizer that sizes the prompts).")
    var grpc: String?
    @Option(help: "gRPC: requests in flight.") var concurrency = 64
    @Option(help: "gRPC: HTTP/2 connections.") var connections = 4
    @Option(help: "Also write the result as JSON here.") var json: String?

    func run() async throws {
        let text = Array(repeating: "hello", count: max(tokens - 2, 1)).joined(separator: " ")
        let requests = stride(from: 0, to: count, by: batchSize).map { Array(repeating: text, count: min(batchSize, count - $0)) }
        let measured: Int, label: String, send: @Sendable () async throws -> Int
        var engineToStop: EmbeddingEngine?
        defer { engineToStop?.shutdown() }
        if let grpc {
            let parts = grpc.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]), port > 0 else { throw ValidationError("--grpc expects HOST:PORT, got '\(grpc)'") }
            let tokenizer = try Tokenizer(tokenizerJSON: URL(fileURLWithPath: model).appendingPathComponent("tokenizer.json"))
            measured = tokenizer.encode(text, addSpecialTokens: false).count + (tokenizer.postProcessor?.process([], addSpecialTokens: true).count ?? 0)
            let generator = ArcticGRPCLoadGenerator(host: String(parts[0]), port: port, connections: connections, concurrency: concurrency)
            label = "gRPC \(grpc), \(concurrency) in flight over \(generator.connections) connections"
            send = { try await generator.send(requests) * measured }
        } else {
            let threadCount = threads ?? ProcessInfo.processInfo.environment["FLOE_THREADS"].flatMap(Int.init)
                ?? ProcessInfo.processInfo.activeProcessorCount
            let instances = try instanceOptions.loadInstances(directory: model, device: deviceOptions, threads: threadCount)
            let embeddingModel = instances[0]
            let engine = EmbeddingEngine(
                instances: instances, options: .init(maxBatchTokens: try maxBatchTokens ?? deviceOptions.defaultEmbeddingBatchTokens))
            engineToStop = engine
            measured = try embeddingModel.tokenize(text, truncateTo: nil).count
            label = EmbeddingInstanceOptions.describe(instances)
            send = {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for inputs in requests { group.addTask { try await engine.embed(inputs.map { .text($0) }).promptTokens } }
                    return try await group.reduce(0, +)
                }
            }
        }

        func once() async throws -> (seconds: Double, tokens: Int) {
            let start = Date()
            let total = try await send()
            return (Date().timeIntervalSince(start), total)
        }
        _ = try await once()  // warm-up: scratch buffers, page faults, GEMM plans, connections
        var best = Double.infinity, total = 0
        for _ in 0..<repeats {
            let run = try await once()
            best = min(best, run.seconds)
            total = run.tokens
        }
        let rate = Double(total) / best
        let rates = String(format: "%.0f tokens/s (%.1f inputs/s, best of %d: %.3f s)", rate, Double(count) / best, repeats, best)
        let name = URL(fileURLWithPath: model).standardizedFileURL.lastPathComponent
        print("floe bench-embed: \(name) \(measured)-token inputs x \(count) (requests of \(batchSize)), \(label): \(rates)")
        if let json {
            let result: [String: Any] = [
                "model": name, "tokens_per_input": measured, "inputs": count, "batch_size": batchSize, "via": grpc == nil ? "in-process" : "grpc",
                "setup": label, "seconds": best, "tokens_per_second": rate,
            ]
            try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: json))
        }
    }
}
