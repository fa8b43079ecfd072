import ArgumentParser
import FloeBench
import FloeCPU
import FloeRunner
import Foundation

/// `floe bench-offline`: continuous-batching throughput against the same requests run one at a
/// time, on the CPU.
struct BenchOfflineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-offline", abstract: "Offline throughput: many prompts batched vs one at a time.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("num-prompts")) var prompts = 64
    @Option(name: .customLong("input-len")) var inputLength = 128
    @Option(name: .customLong("output-len")) var outputLength = 128
    @Option(name: .customLong("max-num-seqs"), help: "Most requests in one batch (256), as `floe serve --max-num-seqs`.")
    var maxNumSeqs = 256
    @Option(name: .customLong("sequential-prompts"), help: "How many prompts to run one at a time for the baseline.")
    var sequentialPrompts = 4
    @Option(name: .customLong("kv-cache-memory"), help: "KV cache size (2GiB, 512MB) or fraction of available memory (0.3, 30%).")
    var kvCacheMemory = "1GiB"
    @Option(help: "Also write the results as JSON to this file.") var json: String?
    @Option(name: .customLong("prompts-out"), help: "Write the prompts' token ids as JSON, for driving a peer with the same requests.")
    var promptsOut: String?

    func run() async throws {
        let llm = try LLM(
            model: try await modelOptions.localPath(), backend: CPUBackend(threads: modelOptions.resolvedThreads),
            options: EngineOptions(
                kvCacheBytes: try KVCacheBudget(parsing: kvCacheMemory).resolvedBytes(), maxModelLen: inputLength + outputLength,
                maxNumSeqs: maxNumSeqs))
        let prompts = OfflineThroughput.randomPrompts(
            count: prompts, length: inputLength, vocabulary: llm.loaded.model.vocabularySize)
        if let promptsOut { try JSONEncoder().encode(prompts).write(to: URL(fileURLWithPath: promptsOut)) }
        let result = try await OfflineThroughput.measure(
            llm: llm, prompts: prompts, outputLength: outputLength, sequentialPrompts: sequentialPrompts)
        print(String(
            format: "%d prompts × (%d in, %d out), %d threads: batched %.1f output tok/s; one at a time %.1f tok/s (%.2f×); peak RSS %.0f MB",
            result.prompts, result.inputLength, result.outputLength, modelOptions.resolvedThreads,
            result.batchedOutputTokensPerSecond, result.sequentialOutputTokensPerSecond,
            result.batchedOutputTokensPerSecond / result.sequentialOutputTokensPerSecond,
            Double(result.peakResidentBytes) / 1e6))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: json))
        }
    }
}
