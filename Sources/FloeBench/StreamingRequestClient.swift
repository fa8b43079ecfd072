import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends one streaming request to an OpenAI-compatible server and times it: the first token,
/// each chunk after it, the end. Token counts come from the final `usage` chunk
/// (`stream_options.include_usage`), else from the number of content chunks.
struct StreamingRequestClient: Sendable {
    enum Endpoint: String, Sendable { case completions = "/v1/completions", chat = "/v1/chat/completions" }

    let client: HTTPClient
    let baseURL: String
    let endpoint: Endpoint
    let model: String
    let apiKey: String?
    let ignoreEOS: Bool

    struct Outcome: Sendable {
        var succeeded: Bool
        var error: String?
        var promptTokens: Int
        var outputTokens: Int
        var ttft: Double = 0
        /// Gaps between content chunks after the first.
        var interTokenLatencies: [Double] = []
        var latency: Double = 0
        var text = ""
    }

    func send(_ request: BenchRequest) async -> Outcome {
        var outcome = Outcome(succeeded: false, promptTokens: request.inputTokens, outputTokens: 0)
        let start = ContinuousClock.now
        do {
            var http = HTTPClientRequest(url: baseURL + endpoint.rawValue)
            http.method = .POST
            http.headers.add(name: "Content-Type", value: "application/json")
            if let apiKey { http.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
            http.body = .bytes(ByteBuffer(bytes: try body(for: request)))
            let response = try await client.execute(http, timeout: .hours(6))
            guard response.status == .ok else {
                let text = try await response.body.collect(upTo: 1 << 20)
                outcome.error = "HTTP \(response.status.code): \(String(buffer: text).prefix(300))"
                return outcome
            }
            // Bytes, not text: a UTF-8 character may be split between network buffers.
            var pending: [UInt8] = []
            var last = start
            var chunks = 0
            var usage: (Int, Int)?
            for try await buffer in response.body {
                pending += buffer.readableBytesView
                while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                    pending.removeSubrange(...end)
                    guard line.hasPrefix("data:") else { continue }
                    let payload = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
                    if payload == "[DONE]" { continue }
                    guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else { continue }
                    if let error = object["error"] {
                        outcome.error = "error event: \(error)"
                        return outcome
                    }
                    if let u = object["usage"] as? [String: Any], let completion = u["completion_tokens"] as? Int {
                        usage = (u["prompt_tokens"] as? Int ?? request.inputTokens, completion)
                    }
                    let content = Self.content(of: object)
                    guard let content, !content.isEmpty else { continue }
                    let now = ContinuousClock.now
                    if chunks == 0 { outcome.ttft = (now - start).seconds } else { outcome.interTokenLatencies.append((now - last).seconds) }
                    last = now
                    chunks += 1
                    outcome.text += content
                }
            }
            outcome.latency = (ContinuousClock.now - start).seconds
            outcome.promptTokens = usage?.0 ?? request.inputTokens
            outcome.outputTokens = usage?.1 ?? chunks
            outcome.succeeded = chunks > 0 || outcome.outputTokens > 0
            if !outcome.succeeded { outcome.error = "no tokens in the stream" }
        } catch {
            outcome.error = "\(error)"
        }
        return outcome
    }

    private func body(for request: BenchRequest) throws -> Data {
        var json: [String: Any] = [
            "model": model, "stream": true, "stream_options": ["include_usage": true], "temperature": 0,
        ]
        if ignoreEOS { json["ignore_eos"] = true }
        switch endpoint {
        case .completions:
            json["max_tokens"] = request.outputTokens
            switch request.prompt {
            case .text(let text): json["prompt"] = text
            case .tokenIDs(let ids): json["prompt"] = ids
            }
        case .chat:
            json["max_completion_tokens"] = request.outputTokens
            guard case .text(let text) = request.prompt else {
                throw BenchError.invalid("token-id prompts only work with /v1/completions")
            }
            json["messages"] = [["role": "user", "content": text]]
        }
        return try JSONSerialization.data(withJSONObject: json)
    }

    /// The text of a completions or chat chunk's first choice.
    private static func content(of chunk: [String: Any]) -> String? {
        guard let choice = (chunk["choices"] as? [[String: Any]])?.first else { return nil }
        if let text = choice["text"] as? String { return text }
        return (choice["delta"] as? [String: Any])?["content"] as? String
    }
}

extension Duration {
    /// This duration in seconds, as a Double (for rates and latency statistics).
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
