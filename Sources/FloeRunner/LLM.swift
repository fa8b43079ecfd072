import FloeEngine
import FloeModels
import FloeTensor
import FloeTokenizers
import Foundation
import Synchronization

/// The offline API, like vLLM's `LLM`: load a model once, then generate for many prompts at
/// once (batched by the engine) or stream one.
///
/// ```swift
/// let llm = try LLM(model: "models/SmolLM2-135M-Instruct.Q4_1.gguf", backend: CPUBackend())
/// let completions = try await llm.generate(["Once upon a time"], sampling: SamplingParams(temperature: 0, maxTokens: 32))
/// ```
public final class LLM: Sendable {
    public let loaded: LoadedModel
    public let engine: EngineCore
    private let nextID = Atomic<Int>(0)

    public init(model path: String, backend: any Backend, options: EngineOptions = EngineOptions()) throws {
        let loaded = try ModelLoader.load(path: path, backend: backend)
        var options = options
        options.kvCacheBytes = try options.resolvedKVCacheBytes(
            backend: backend, hiddenSize: loaded.model.config.hiddenSize,
            intermediateSize: loaded.model.config.intermediateSize, vocabularySize: loaded.model.vocabularySize)
        let config = try options.schedulerConfig(
            blockBytes: ModelRunner.blockBytes(model: loaded.model, blockSize: options.blockSize),
            modelMaxPositions: loaded.model.maxPositions)
        self.loaded = loaded
        let runner = ModelRunner(model: loaded.model, blockCount: config.blockCount, blockSize: config.blockSize)
        // FLOE_WARM_UP=0 skips it: a kernel profiler (Nsight Compute) then sees only the work itself.
        if ProcessInfo.processInfo.environment["FLOE_WARM_UP"] != "0" {
            try runner.warmUp(maxBatchedTokens: config.maxNumBatchedTokens, maxNumSeqs: config.maxNumSeqs, maxModelLen: config.maxModelLen)
        }
        engine = try EngineCore(config: config, executor: runner)
    }

    deinit { engine.shutDown() }

    public var tokenizer: Tokenizer { loaded.tokenizer }
    public var stats: EngineStats { engine.stats }

    /// Completes every prompt; results come back in prompt order.
    public func generate(_ prompts: [String], sampling: SamplingParams) async throws -> [Completion] {
        try await generate(promptTokenIDs: prompts.map { tokenizer.encode($0) }, sampling: sampling)
    }

    public func generate(promptTokenIDs prompts: [[Int]], sampling: SamplingParams) async throws -> [Completion] {
        let streams = try prompts.map { try submit($0, sampling: sampling) }
        return try await withThrowingTaskGroup(of: (Int, Completion).self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask { (index, try await Self.collect(stream.outputs, prompt: prompts[index], processor: stream.processor, finish: stream.finish)) }
            }
            var results = [Completion?](repeating: nil, count: prompts.count)
            for try await (index, completion) in group { results[index] = completion }
            return results.map { $0! }
        }
    }

    /// Applies the model's chat template to `messages` and completes it.
    public func chat(_ messages: [ChatMessage], sampling: SamplingParams) async throws -> Completion {
        guard let template = loaded.chatTemplate else { throw LLMError.noChatTemplate }
        let text = try loaded.renderChat(template: template, messages: messages)
        return try await generate(promptTokenIDs: [tokenizer.encode(text, addSpecialTokens: false)], sampling: sampling)[0]
    }

    /// Streams the text of one prompt as it is generated. Cancelling the consuming task aborts
    /// the request in the engine.
    public func stream(promptTokenIDs prompt: [Int], sampling: SamplingParams) throws -> AsyncThrowingStream<CompletionDelta, any Error> {
        let submitted = try submit(prompt, sampling: sampling)
        let (deltas, continuation) = AsyncThrowingStream<CompletionDelta, any Error>.makeStream()
        let task = Task {
            var processor = submitted.processor
            do {
                for try await output in submitted.outputs {
                    let (delta, stopped) = processor.process(output)
                    if stopped { submitted.finish(output.sampleIndex) }
                    continuation.yield(delta)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return deltas
    }

    private struct Submitted: Sendable {
        let outputs: AsyncThrowingStream<RequestOutput, any Error>
        let processor: OutputProcessor
        let finish: @Sendable (Int) -> Void
    }

    private func submit(_ prompt: [Int], sampling: SamplingParams) throws -> Submitted {
        try sampling.validate()
        guard !prompt.isEmpty else { throw LLMError.emptyPrompt }
        let id = RequestID("llm-\(nextID.add(1, ordering: .relaxed).newValue)")
        let outputs = try engine.submit(
            EngineRequest(id: id, promptTokenIDs: prompt, params: sampling, eosTokenIDs: loaded.stopTokenIDs))
        let n = sampling.n
        return Submitted(
            outputs: outputs, processor: OutputProcessor(tokenizer: tokenizer, params: sampling),
            finish: { [engine] index in engine.finish(n > 1 ? id.child(index) : id, reason: .stop) })
    }

    private static func collect(
        _ outputs: AsyncThrowingStream<RequestOutput, any Error>, prompt: [Int], processor: OutputProcessor,
        finish: @Sendable (Int) -> Void
    ) async throws -> Completion {
        var processor = processor
        for try await output in outputs {
            if processor.process(output).stoppedByString { finish(output.sampleIndex) }
        }
        return Completion(promptTokenIDs: prompt, samples: processor.samples, promptLogprobs: processor.promptLogprobs)
    }
}

public enum LLMError: Error, CustomStringConvertible {
    case noChatTemplate
    case emptyPrompt

    public var description: String {
        switch self {
        case .noChatTemplate: "the model has no chat template"
        case .emptyPrompt: "the prompt is empty"
        }
    }
}
