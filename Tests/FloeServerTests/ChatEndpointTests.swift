import Foundation
import Testing

/// `/v1/chat/completions` with SmolLM2's chat template (stories260K has none).
@Suite(.serialized, .enabled(if: TestServer.smolLM2 != nil, "SmolLM2 not fetched (scripts/fetch-model.sh smollm2-135m)"))
struct ChatEndpointTests {
    static var messages: [[String: Any]] { [
        ["role": "system", "content": "You are a helpful assistant."], ["role": "user", "content": "Say hello."],
    ] }

    @Test func chatCompletionAndStream() async throws {
        let server = try await TestServer.start(model: TestServer.smolLM2!, options: .init(kvCacheBytes: 32 << 20, maxModelLen: 512))
        let plain = try await server.request(
            "/v1/chat/completions", json: ["messages": Self.messages, "max_tokens": 6, "temperature": 0])
        let streamed = try await server.request(
            "/v1/chat/completions",
            json: ["messages": Self.messages, "max_completion_tokens": 6, "temperature": 0, "stream": true,
                "stream_options": ["include_usage": true]])
        let tokenized = try await server.request("/tokenize", json: ["messages": Self.messages])
        await server.stop()

        #expect(plain.status == 200)
        #expect(plain.json["object"] as? String == "chat.completion")
        let choice = try #require((plain.json["choices"] as? [[String: Any]])?.first)
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["role"] as? String == "assistant")
        let content = message["content"] as? String ?? ""
        #expect(!content.isEmpty)
        let usage = try #require(plain.json["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == tokenized.json["count"] as? Int)

        let (chunks, done) = TestServer.events(streamed.text)
        #expect(done)
        #expect(chunks.first?["object"] as? String == "chat.completion.chunk")
        let deltas = chunks.flatMap { $0["choices"] as? [[String: Any]] ?? [] }.compactMap { $0["delta"] as? [String: Any] }
        #expect(deltas.first?["role"] as? String == "assistant")
        // Greedy: the streamed text is the non-streamed text.
        #expect(deltas.compactMap { $0["content"] as? String }.joined() == content)
        #expect((chunks.last?["usage"] as? [String: Any])?["completion_tokens"] as? Int == usage["completion_tokens"] as? Int)
    }
}
