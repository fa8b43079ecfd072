import FloeEngine
import FloeOpenAI
import FloeRunner
import Foundation
import Hummingbird
import NIOCore

/// `POST /v1/completions` and `POST /v1/chat/completions`.
extension OpenAIService {
    func completions(_ request: Request, connection: (any Channel)?) async throws -> Response {
        let started = ContinuousClock.now
        let body = try JSONDecoder().decode(CompletionRequest.self, from: try await self.body(request))
        try checkModel(body.model)
        try body.checkSupported()
        let prompts = try promptTokenIDs(body.prompt)
        let number = nextRequestNumber()
        var params = try samplingParams(
            body.sampling, promptTokens: prompts.map(\.count).max() ?? 0, defaultMaxTokens: 16, number: number)
        params.logprobs = body.logprobs
        let wantsLogprobs = body.logprobs != nil, piece = tokenText
        let id = "cmpl-\(number)-\(UUID().uuidString.prefix(8))"
        let created = Self.now, model = modelName, n = params.n
        // vLLM numbers choices prompt-major: prompt i's sample j is choice i * n + j.
        let echoed = body.echo ? promptTexts(body.prompt) : nil
        if body.stream {
            let encode: @Sendable (CompletionResponse.Choice) throws -> Data = { choice in
                try JSONEncoder().encode(CompletionResponse(id: id, created: created, model: model, choices: [choice], usage: nil))
            }
            // Echo streams the prompt as each choice's first chunk, as vLLM does.
            let preamble = try (echoed ?? []).enumerated().flatMap { prompt, text in
                try (0..<n).map { try encode(.init(index: prompt * n + $0, text: text, finishReason: nil)) }
            }
            let chunk: @Sendable (CompletionDelta) throws -> Data = { delta in
                try encode(.init(
                    index: delta.sampleIndex, text: delta.text, finishReason: delta.finishReason?.rawValue,
                    logprobs: wantsLogprobs ? LogprobsPayload.Completion(delta.logprobs, withOffsets: false, text: piece) : nil))
            }
            let usageChunk: @Sendable (Usage) throws -> Data = { usage in
                try JSONEncoder().encode(CompletionResponse(id: id, created: created, model: model, choices: [], usage: usage))
            }
            let includeUsage = body.streamOptions?.includeUsage ?? false
            return try startStream(
                prompts: prompts, params: params, started: started, preamble: preamble, chunk: chunk,
                usageChunk: includeUsage ? usageChunk : nil)
        }
        let completions = try await generate(prompts: prompts, params: params, started: started, connection: connection)
        let choices = completions.enumerated().flatMap { prompt, completion in
            completion.samples.enumerated().map { index, sample in
                CompletionResponse.Choice(
                    index: prompt * n + index, text: (echoed?[prompt] ?? "") + sample.text,
                    finishReason: sample.finishReason?.rawValue, stopReason: sample.stopString,
                    logprobs: wantsLogprobs ? LogprobsPayload.Completion(sample.logprobs, withOffsets: true, text: piece) : nil)
            }
        }
        return try Self.json(CompletionResponse(
            id: id, created: created, model: model, choices: choices, usage: usage(of: completions)))
    }

    func chatCompletions(_ request: Request, connection: (any Channel)?) async throws -> Response {
        let started = ContinuousClock.now
        let body = try ChatCompletionRequest(json: try await self.body(request))
        try checkModel(body.model)
        let text = try renderChat(messages: body.messages, tools: body.tools, addGenerationPrompt: body.addGenerationPrompt)
        let prompt = llm.tokenizer.encode(text, addSpecialTokens: false)
        let number = nextRequestNumber()
        var params = try samplingParams(body.sampling, promptTokens: prompt.count, defaultMaxTokens: nil, number: number)
        params.logprobs = body.logprobs
        let wantsLogprobs = body.logprobs != nil, piece = tokenText
        let id = "chatcmpl-\(number)-\(UUID().uuidString.prefix(8))"
        let created = Self.now, model = modelName
        if body.stream {
            let preamble = try (0..<params.n).map { index in
                let choice = ChatCompletionChunk.Choice(index: index, delta: .init(role: "assistant", content: ""), finishReason: nil)
                return try JSONEncoder().encode(ChatCompletionChunk(id: id, created: created, model: model, choices: [choice]))
            }
            let chunk: @Sendable (CompletionDelta) throws -> Data = { delta in
                let choice = ChatCompletionChunk.Choice(
                    index: delta.sampleIndex, delta: .init(content: delta.text), finishReason: delta.finishReason?.rawValue,
                    logprobs: wantsLogprobs ? LogprobsPayload.Chat(delta.logprobs, text: piece) : nil)
                return try JSONEncoder().encode(ChatCompletionChunk(id: id, created: created, model: model, choices: [choice]))
            }
            let usageChunk: @Sendable (Usage) throws -> Data = { usage in
                try JSONEncoder().encode(ChatCompletionChunk(id: id, created: created, model: model, choices: [], usage: usage))
            }
            let includeUsage = body.streamOptions?.includeUsage ?? false
            return try startStream(
                prompts: [prompt], params: params, started: started, preamble: preamble, chunk: chunk,
                usageChunk: includeUsage ? usageChunk : nil)
        }
        let completion = try await generate(prompts: [prompt], params: params, started: started, connection: connection)[0]
        let choices = completion.samples.enumerated().map { index, sample in
            ChatCompletionResponse.Choice(
                index: index, message: .init(content: sample.text), finishReason: sample.finishReason?.rawValue,
                stopReason: sample.stopString, logprobs: wantsLogprobs ? LogprobsPayload.Chat(sample.logprobs, text: piece) : nil)
        }
        return try Self.json(ChatCompletionResponse(
            id: id, created: created, model: model, choices: choices, usage: usage(of: [completion])))
    }

    /// Admits and submits a streaming request (one admission slot, however many prompts); the
    /// slot is released when the stream ends.
    private func startStream(
        prompts: [[Int]], params: SamplingParams, started: ContinuousClock.Instant, preamble: [Data],
        chunk: @escaping @Sendable (CompletionDelta) throws -> Data, usageChunk: (@Sendable (Usage) throws -> Data)?
    ) throws -> Response {
        try admission.admit()
        var streams: [AsyncThrowingStream<CompletionDelta, any Error>] = []
        do {
            for prompt in prompts { streams.append(try llm.stream(promptTokenIDs: prompt, sampling: params)) }
        } catch {
            admission.release()
            throw error  // Dropping the streams already made aborts their requests.
        }
        let streamer = SSEStreamer(
            service: self, promptTokens: prompts.reduce(0) { $0 + $1.count }, started: started,
            preamble: preamble, chunk: chunk, usageChunk: usageChunk)
        return streamer.response(for: streams.count == 1 ? streams[0] : Self.merge(streams, samplesPerPrompt: params.n))
    }

    /// One stream of several prompts' deltas, choice indices made prompt-major.
    private static func merge(_ streams: [AsyncThrowingStream<CompletionDelta, any Error>], samplesPerPrompt n: Int)
        -> AsyncThrowingStream<CompletionDelta, any Error>
    {
        let (merged, continuation) = AsyncThrowingStream<CompletionDelta, any Error>.makeStream()
        let task = Task {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (prompt, stream) in streams.enumerated() {
                        group.addTask {
                            for try await var delta in stream {
                                delta.sampleIndex += prompt * n
                                continuation.yield(delta)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        // The consumer went away (client disconnect): cancel every prompt, aborting them all.
        continuation.onTermination = { _ in task.cancel() }
        return merged
    }

    /// Admits and runs a non-streaming request to the end. If the client disconnects first,
    /// the generation is cancelled, which aborts its requests in the engine and frees their KV
    /// blocks at once.
    private func generate(
        prompts: [[Int]], params: SamplingParams, started: ContinuousClock.Instant, connection: (any Channel)?
    ) async throws -> [Completion] {
        try admission.admit()
        defer { admission.release() }
        let llm = self.llm
        let work = Task { try await llm.generate(promptTokenIDs: prompts, sampling: params) }
        // Hummingbird does not cancel a handler whose client hung up, so watch the connection.
        // Polling (not closeFuture callbacks) leaves nothing behind on long keep-alive
        // connections.
        let detector = try? await connection?.pipeline.handler(type: ClientHangUpDetector.self).get()
        let watcher = connection.map { channel in
            Task {
                while !Task.isCancelled, channel.isActive, detector?.clientHasHungUp != true {
                    try? await Task.sleep(for: .milliseconds(50))
                }
                if !Task.isCancelled { work.cancel() }
            }
        }
        defer { watcher?.cancel() }
        let completions = try await withTaskCancellationHandler { try await work.value } onCancel: { work.cancel() }
        let elapsed = seconds(since: started)
        for completion in completions {
            let used = usage(of: [completion])
            metrics.recordFinished(
                reason: completion.samples.first?.finishReason?.rawValue ?? "abort", promptTokens: used.promptTokens,
                completionTokens: used.completionTokens, seconds: elapsed, firstTokenSeconds: nil)
        }
        return completions
    }

    private func usage(of completions: [Completion]) -> Usage {
        Usage(
            promptTokens: completions.reduce(0) { $0 + $1.promptTokenIDs.count },
            completionTokens: completions.reduce(0) { total, completion in
                total + completion.samples.reduce(0) { $0 + $1.tokenIDs.count }
            })
    }
}
