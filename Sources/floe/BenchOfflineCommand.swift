import ArgumentParser
import FloeBench
import FloeCPU
import FloeEngine
import FloeRunner
import FloeTokenizers
import Foundation

/// `floe bench-offline`: continuous-batching throughput against the same requests run one at a
/// time, on any device (`--device`).
struct BenchOfflineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-offline", abstract: "Offline throughput: many prompts batched vs one at a time.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("num-prompts")) var prompts = 64
    @Option(name: .customLong("input-len")) var inputLength = 128
    @Option(name: .customLong("output-len")) var outputLength = 128
    @Option(name: .customLong("max-num-seqs"), help: "Most requests in one batch (256), as `floe serve --max-num-seqs`.")
    var maxNumSeqs = 256
    @Option(name: .customLong("max-num-batched-tokens"),
        help: "Token budget of one step (8192 on GPUs of 70 GiB or more, else 2048), as `floe serve --max-num-batched-tokens`.")
    var maxNumBatchedTokens: Int?
    @Option(help: "Sampling temperature of every request (0: greedy).") var temperature: Float = 0
    @Option(name: .customLong("top-p")) var topP: Float = 1
    @Option(name: .customLong("top-k")) var topK = 0
    @Option(name: .customLong("repetition-penalty")) var repetitionPenalty: Float = 1
    @Option(name: .customLong("frequency-penalty")) var frequencyPenalty: Float = 0
    @Option(name: .customLong("presence-penalty")) var presencePenalty: Float = 0
    @Option(name: .customLong("sequential-prompts"), help: "How many prompts to run one at a time for the baseline.")
    var sequentialPrompts = 4
    @Option(name: .customLong("kv-cache-memory"), help: "KV cache size (2GiB, 512MB) or fraction of available memory (0.3, 30%).")
    var kvCacheMemory = "1GiB"
    @Option(help: "Also write the results as JSON to this file.") var json: String?
    @Option(name: .customLong("prompts-out"), help: "Write the prompts' token ids as JSON, for driving a peer with the same requests.")
    var promptsOut: String?
    @Option(name: .customLong("speculative-config"), help: #"Speculative decoding as JSON, e.g. '{"method": "suffix"}'."#)
    var speculativeConfig: String?
    @Option(help: "random: random token prompts; repetitive: code the model is asked to copy (answers repeat the prompt).")
    var workload = "random"

    func run() async throws {
        let sampling = SamplingParams(
            temperature: temperature, topP: topP, topK: topK, repetitionPenalty: repetitionPenalty,
            frequencyPenalty: frequencyPenalty, presencePenalty: presencePenalty)
        do { try sampling.validate() } catch { throw ValidationError("\(error)") }
        let speculative: SpeculativeConfig?
        do { speculative = try speculativeConfig.map { try SpeculativeConfig(json: $0) } } catch {
            throw ValidationError("--speculative-config: \(error)")
        }
        let backend = try modelOptions.makeBackend()
        var options = EngineOptions(
            kvCacheBytes: try KVCacheBudget(parsing: kvCacheMemory).resolvedBytes(), maxModelLen: inputLength + outputLength,
            maxNumSeqs: maxNumSeqs, maxNumBatchedTokens: maxNumBatchedTokens ?? DeviceOptions.defaultMaxNumBatchedTokens(for: backend),
            speculative: speculative)
        options.gpuMemoryUtilization = try modelOptions.deviceOptions.gpuMemoryUtilizationForEngine()
        let llm = try LLM(model: try await modelOptions.localPath(), backend: backend, options: options)
        let prompts: [[Int]]
        switch workload {
        case "random":
            prompts = OfflineThroughput.randomPrompts(count: self.prompts, length: inputLength, vocabulary: llm.loaded.model.vocabularySize)
        case "repetitive":
            prompts = Self.copyPrompts(count: self.prompts, length: inputLength, tokenizer: llm.tokenizer)
        default:
            throw ValidationError("--workload must be random or repetitive, got \(workload)")
        }
        if let promptsOut { try JSONEncoder().encode(prompts).write(to: URL(fileURLWithPath: promptsOut)) }
        let result = try await OfflineThroughput.measure(
            llm: llm, prompts: prompts, outputLength: outputLength, sequentialPrompts: sequentialPrompts,
            sampling: sampling)
        print(String(
            format: "%d prompts × (%d in, %d out), %d threads: batched %.1f output tok/s; one at a time %.1f tok/s (%.2f×); peak RSS %.0f MB",
            result.prompts, result.inputLength, result.outputLength, modelOptions.resolvedThreads,
            result.batchedOutputTokensPerSecond, result.sequentialOutputTokensPerSecond,
            result.batchedOutputTokensPerSecond / result.sequentialOutputTokensPerSecond,
            Double(result.peakResidentBytes) / 1e6))
        if speculative != nil { print(SpeculativeReport(llm.stats.speculative)) }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: json))
        }
    }

    /// Prompts whose natural continuation repeats them: a code snippet shown, then asked for
    /// again, cut to `length` tokens (the "agentic/coding" workload suffix decoding targets).
    static func copyPrompts(count: Int, length: Int, tokenizer: Tokenizer) -> [[Int]] {
        let snippets = [
            "def update(self, key, value):\n    if key in self.cache:\n        self.order.remove(key)\n    self.cache[key] = value\n    self.order.append(key)\n    if len(self.order) > self.capacity:\n        oldest = self.order.pop(0)\n        del self.cache[oldest]\n",
            "for (index, item) in items.enumerated() {\n    total += item.price * Double(item.quantity)\n    if item.isDiscounted { total -= item.discount }\n    print(index, item.name, total)\n}\n",
            "SELECT customers.name, orders.total, orders.date\nFROM customers\nJOIN orders ON orders.customer_id = customers.id\nWHERE orders.total > 100\nORDER BY orders.date DESC;\n",
        ]
        return (0..<count).map { index in
            let snippet = snippets[index % snippets.count]
            let text = "Here is the file:\n\(snippet)\nRewrite the file exactly, then repeat it:\n\(snippet)\(snippet)\(snippet)\(snippet)"
            return Array(tokenizer.encode(text).prefix(length))
        }
    }

}
