import FloeEngine
import FloeOpenAI
import FloeRunner
import Foundation
import Hummingbird

/// `POST /v1/completions` and `POST /v1/chat/completions`.
extension OpenAIService {
    func completions(_ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        let body = try JSONDecoder().decode(CompletionRequest.self, from: try await self.body(request))
        try checkModel(body.model)
        try body.checkSupported()
        let prompt = try promptTokenIDs(body.prompt)
        let number = nextRequestNumber()
        var params = try samplingParams(body.sampling, promptTokens: prompt.count, defaultMaxTokens: 16, number: number)
        params.logprobs = body.logprobs
        let wantsLogprobs = body.logprobs != nil, piece = tokenText
        let id = "cmpl-\(number)-\(UUID().uuidString.prefix(8))"
        let created = Self.now, model = modelName
        if body.stream {
            let chunk: @Sendable (CompletionDelta) throws -> Data = { delta in
                let choice = CompletionResponse.Choice(
                    index: delta.sampleIndex, text: delta.text, finishReason: delta.finishReason?.rawValue,
                    logprobs: wantsLogprobs ? LogprobsPayload.Completion(delta.logprobs, withOffsets: false, text: piece) : nil)
                return try JSONEncoder().encode(
                    CompletionResponse(id: id, created: created, model: model, choices: [choice], usage: nil))
            }
            let usageChunk: @Sendable (Usage) throws -> Data = { usage in
                try JSONEncoder().encode(CompletionResponse(id: id, created: created, model: model, choices: [], usage: usage))
            }
            let includeUsage = body.streamOptions?.includeUsage ?? false
            return try startStream(
                prompt: prompt, params: params, started: started, preamble: [], chunk: chunk,
                usageChunk: includeUsage ? usageChunk : nil)
        }
        let completion = try await generate(prompt: prompt, params: params, started: started)
        let choices = completion.samples.enumerated().map { index, sample in
            CompletionResponse.Choice(
                index: index, text: sample.text, finishReason: sample.finishReason?.rawValue, stopReason: sample.stopString,
                logprobs: wantsLogprobs ? LogprobsPayload.Completion(sample.logprobs, withOffsets: true, text: piece) : nil)
        }
        return try Self.json(CompletionResponse(
            id: id, created: created, model: model, choices: choices, usage: usage(of: completion)))
    }

    func chatCompletions(_ request: Request) async throws -> Response {
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
                prompt: prompt, params: params, started: started, preamble: preamble, chunk: chunk,
                usageChunk: includeUsage ? usageChunk : nil)
        }
        let completion = try await generate(prompt: prompt, params: params, started: started)
        let choices = completion.samples.enumerated().map { index, sample in
            ChatCompletionResponse.Choice(
                index: index, message: .init(content: sample.text), finishReason: sample.finishReason?.rawValue,
                stopReason: sample.stopString, logprobs: wantsLogprobs ? LogprobsPayload.Chat(sample.logprobs, text: piece) : nil)
        }
        return try Self.json(ChatCompletionResponse(
            id: id, created: created, model: model, choices: choices, usage: usage(of: completion)))
    }

    /// Admits and submits a streaming request; the slot is released when the stream ends.
    private func startStream(
        prompt: [Int], params: SamplingParams, started: ContinuousClock.Instant, preamble: [Data],
        chunk: @escaping @Sendable (CompletionDelta) throws -> Data, usageChunk: (@Sendable (Usage) throws -> Data)?
    ) throws -> Response {
        try admission.admit()
        let deltas: AsyncThrowingStream<CompletionDelta, any Error>
        do {
            deltas = try llm.stream(promptTokenIDs: prompt, sampling: params)
        } catch {
            admission.release()
            throw error
        }
        let streamer = SSEStreamer(
            service: self, promptTokens: prompt.count, started: started, preamble: preamble, chunk: chunk,
            usageChunk: usageChunk)
        return streamer.response(for: deltas)
    }

    /// Admits and runs a non-streaming request to the end.
    private func generate(prompt: [Int], params: SamplingParams, started: ContinuousClock.Instant) async throws
        -> Completion
    {
        try admission.admit()
        defer { admission.release() }
        let completion = try await llm.generate(promptTokenIDs: [prompt], sampling: params)[0]
        let used = usage(of: completion)
        metrics.recordFinished(
            reason: completion.samples.first?.finishReason?.rawValue ?? "abort", promptTokens: used.promptTokens,
            completionTokens: used.completionTokens, seconds: seconds(since: started))
        return completion
    }

    private func usage(of completion: Completion) -> Usage {
        Usage(
            promptTokens: completion.promptTokenIDs.count,
            completionTokens: completion.samples.reduce(0) { $0 + $1.tokenIDs.count })
    }
}
