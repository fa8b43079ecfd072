import FloeEngine
import FloeModels
import FloeTensor
import Foundation

/// Runs one sequence to completion: prefill the prompt, then sample one token per step.
///
/// The smallest runner there is — one request, a KV cache whose block table is simply
/// `0, 1, 2, …` — used by `floe generate` and by model tests. The engine's scheduler drives the
/// same `CausalLM.forward` with many sequences at once.
public final class SingleSequenceGenerator {
    public struct Statistics: Sendable {
        public var promptTokens = 0
        public var prefillSeconds = 0.0
        public var generatedTokens = 0
        public var decodeSeconds = 0.0

        public var prefillTokensPerSecond: Double { Double(promptTokens) / max(prefillSeconds, 1e-9) }
        /// Tokens after the first (which comes from the prefill pass) over the decode time.
        public var decodeTokensPerSecond: Double { Double(max(generatedTokens - 1, 0)) / max(decodeSeconds, 1e-9) }
    }

    public let model: any CausalLM
    public let blockSize: Int
    private let cache: KVCache
    private let blockTable: [Int32]
    public let contextCapacity: Int

    /// - Parameter contextCapacity: the longest prompt + generation this generator can hold;
    ///   at most the model's `maxPositions`.
    public init(model: any CausalLM, contextCapacity: Int, blockSize: Int = 16) {
        self.model = model
        self.blockSize = blockSize
        self.contextCapacity = min(contextCapacity, model.maxPositions)
        let blocks = (self.contextCapacity + blockSize - 1) / blockSize
        cache = model.makeKVCache(blockCount: blocks, blockSize: blockSize)
        blockTable = (0..<blocks).map(Int32.init)
    }

    /// Logits of every position of `tokens` (a fresh context), `[tokens.count, vocab]`.
    public func logitsForEveryPosition(_ tokens: [Int]) throws -> [[Float]] {
        try checkFits(promptCount: tokens.count, maxTokens: 0)
        let batch = ForwardBatch.single(
            tokens: tokens.map(Int32.init), cachedCount: 0, blockTable: blockTable, blockSize: blockSize, allLogits: true)
        let logits = try model.forward(batch, cache: cache)
        let flat = try readFloats(logits)
        let vocabulary = model.vocabularySize
        return (0..<tokens.count).map { Array(flat[$0 * vocabulary..<($0 + 1) * vocabulary]) }
    }

    /// Generates up to `params.maxTokens` tokens after `prompt`, stopping early at a token in
    /// `stopTokens` (which is reported) or when `onToken` returns false.
    @discardableResult
    public func generate(
        prompt: [Int], params: SamplingParams, stopTokens: Set<Int> = [], prefillChunk: Int = 512,
        onToken: (Int) -> Bool = { _ in true }
    ) throws -> Statistics {
        try params.validate()
        guard !prompt.isEmpty else { throw GenerationError.emptyPrompt }
        try checkFits(promptCount: prompt.count, maxTokens: params.maxTokens)
        var sampler = Sampler(params: params)
        // Greedy decoding asks the backend for the argmax (a GPU then sends back one id).
        let deviceArgmax = params.isGreedy
        var statistics = Statistics(promptTokens: prompt.count)

        // Prefill in chunks so activation buffers stay bounded for long prompts.
        let start = DispatchTime.now()
        var logits: Tensor?
        var cached = 0
        while cached < prompt.count {
            let chunk = prompt[cached..<min(cached + prefillChunk, prompt.count)].map(Int32.init)
            logits = try step(chunk, cached: cached)
            cached += chunk.count
        }
        func next(_ logits: Tensor) -> Int {
            if deviceArgmax { return model.backend.argmaxRows(logits)[0] }
            return model.backend.readFloats(logits).withUnsafeBufferPointer { sampler.sample($0) }
        }
        var token = next(logits!)
        statistics.prefillSeconds = seconds(since: start)

        let decodeStart = DispatchTime.now()
        var context = prompt.count
        while statistics.generatedTokens < params.maxTokens {
            statistics.generatedTokens += 1
            if !onToken(token) || stopTokens.contains(token) || statistics.generatedTokens == params.maxTokens { break }
            token = next(try step([Int32(token)], cached: context))
            context += 1
        }
        statistics.decodeSeconds = seconds(since: decodeStart)
        return statistics
    }

    private func step(_ tokens: [Int32], cached: Int) throws -> Tensor {
        let batch = ForwardBatch.single(tokens: tokens, cachedCount: cached, blockTable: blockTable, blockSize: blockSize)
        return try model.forward(batch, cache: cache)
    }

    private func readFloats(_ tensor: Tensor) throws -> [Float] { model.backend.readFloats(tensor) }

    private func checkFits(promptCount: Int, maxTokens: Int) throws {
        // The last sampled token is never fed back, so the context holds prompt + maxTokens - 1.
        let needed = promptCount + max(maxTokens - 1, 0)
        guard needed <= contextCapacity else {
            throw GenerationError.contextTooLong(needed: needed, capacity: contextCapacity)
        }
    }

    private func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}

public enum GenerationError: Error, CustomStringConvertible, Equatable {
    case emptyPrompt
    case contextTooLong(needed: Int, capacity: Int)

    public var description: String {
        switch self {
        case .emptyPrompt: "the prompt is empty (no tokens to start from)"
        case .contextTooLong(let needed, let capacity):
            "prompt plus max tokens need \(needed) positions, but the context holds \(capacity)"
        }
    }
}
