import FloeEngine
import FloeRunner
import Foundation

/// Offline throughput as vLLM's `benchmark_throughput` measures it: `promptCount` random
/// prompts of `inputLength` tokens, each generating exactly `outputLength` tokens (EOS
/// ignored), all submitted at once; output tokens per second of wall time. The same requests
/// run one at a time give the baseline continuous batching is measured against.
public enum OfflineThroughput {
    public struct Result: Sendable, Codable {
        public var prompts: Int
        public var inputLength: Int
        public var outputLength: Int
        public var batchedOutputTokensPerSecond: Double
        /// One request at a time, over the first `sequentialPrompts` prompts.
        public var sequentialOutputTokensPerSecond: Double
        public var sequentialPrompts: Int
        public var peakResidentBytes: Int
    }

    public static func randomPrompts(count: Int, length: Int, vocabulary: Int, seed: UInt64 = 42) -> [[Int]] {
        var generator = SeededGenerator(seed: seed)
        // Skip the lowest ids, where tokenizers keep their special tokens.
        return (0..<count).map { _ in (0..<length).map { _ in 256 + Int(generator.next() % UInt64(vocabulary - 256)) } }
    }

    /// `sampling`: the requests' sampling (greedy by default; vLLM's benchmark_throughput samples
    /// at temperature 1), each generating exactly `outputLength` tokens.
    public static func measure(
        llm: LLM, prompts: [[Int]], outputLength: Int, sequentialPrompts: Int, sampling: SamplingParams = .greedy
    ) async throws -> Result {
        var params = sampling
        params.maxTokens = outputLength
        params.ignoreEOS = true
        _ = try await llm.generate(promptTokenIDs: [prompts[0]], sampling: SamplingParams(temperature: 0, maxTokens: 4))
        let start = DispatchTime.now()
        let batched = try await llm.generate(promptTokenIDs: prompts, sampling: params)
        let batchedSeconds = seconds(since: start)
        let sequentialStart = DispatchTime.now()
        var sequentialTokens = 0
        for prompt in prompts.prefix(sequentialPrompts) {
            sequentialTokens += try await llm.generate(promptTokenIDs: [prompt], sampling: params)[0].samples[0].tokenIDs.count
        }
        let sequentialSeconds = seconds(since: sequentialStart)
        let outputTokens = batched.reduce(0) { $0 + $1.samples[0].tokenIDs.count }
        return Result(
            prompts: prompts.count, inputLength: prompts[0].count, outputLength: outputLength,
            batchedOutputTokensPerSecond: Double(outputTokens) / batchedSeconds,
            sequentialOutputTokensPerSecond: Double(sequentialTokens) / sequentialSeconds,
            sequentialPrompts: min(sequentialPrompts, prompts.count), peakResidentBytes: peakResidentBytes())
    }

    /// The process's peak resident set (Linux `ru_maxrss` is in KiB).
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    private static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
