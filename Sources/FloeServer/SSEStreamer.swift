import FloeOpenAI
import FloeRunner
import Foundation
import Hummingbird

/// Writes a generation as server-sent events: `data: {json}\n\n` per chunk, then the optional
/// usage chunk and `data: [DONE]`.
///
/// The engine stream is drained by a separate pump task so that a client that goes away can be
/// detected (a failed write) and the pump cancelled: cancelling it ends the `LLM.stream`
/// iteration, which aborts the request in the engine and frees its KV blocks at once, instead
/// of whenever the response object happens to be released.
struct SSEStreamer: Sendable {
    let service: OpenAIService
    let promptTokens: Int
    let started: ContinuousClock.Instant
    /// Chunks sent before any token (chat's `role` deltas).
    let preamble: [Data]
    let chunk: @Sendable (CompletionDelta) throws -> Data
    /// Set when `stream_options.include_usage` asked for the final usage chunk.
    let usageChunk: (@Sendable (Usage) throws -> Data)?

    /// A write failed: the client disconnected.
    private struct ClientGone: Error {}

    func response(for deltas: AsyncThrowingStream<CompletionDelta, any Error>) -> Response {
        let (relay, continuation) = AsyncThrowingStream<CompletionDelta, any Error>.makeStream()
        let pump = Task {
            do {
                for try await delta in deltas { continuation.yield(delta) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        let body = ResponseBody { writer in
            defer {
                pump.cancel()
                service.admission.release()
            }
            try await write(relay, to: &writer)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    private func write(_ relay: AsyncThrowingStream<CompletionDelta, any Error>, to writer: inout any ResponseBodyWriter)
        async throws
    {
        var completionTokens = 0
        var finishReason = "abort"
        var firstToken: Double?
        do {
            for data in preamble { try await send(data, &writer) }
            do {
                for try await delta in relay {
                    if firstToken == nil, !delta.tokenIDs.isEmpty { firstToken = seconds(since: started) }
                    completionTokens += delta.tokenIDs.count
                    if let reason = delta.finishReason { finishReason = reason.rawValue }
                    try await send(try chunk(delta), &writer)
                }
            } catch is ClientGone {
                throw ClientGone()
            } catch {
                // The engine failed mid-stream: the status is already sent, so the error goes
                // into the stream as an event, as vLLM does.
                let body = try JSONEncoder().encode(ErrorMapping.openAIError(for: error).body)
                try await send(body, &writer)
                finishReason = "abort"
            }
            if let usageChunk {
                try await send(try usageChunk(Usage(promptTokens: promptTokens, completionTokens: completionTokens)), &writer)
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        } catch is ClientGone {
            finishReason = "abort"
        }
        service.metrics.recordFinished(
            reason: finishReason, promptTokens: promptTokens, completionTokens: completionTokens,
            seconds: seconds(since: started), firstTokenSeconds: firstToken)
    }

    private func send(_ json: Data, _ writer: inout any ResponseBodyWriter) async throws {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        do { try await writer.write(buffer) } catch { throw ClientGone() }
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
