import Foundation
import Testing

/// `/v1/completions`, `/v1/models`, `/tokenize`, `/detokenize`, `/health`, `/metrics` against a
/// real server on loopback (stories260K: tiny, so every test runs real generations).
@Suite(.serialized)
struct CompletionEndpointTests {
    @Test func completionHasTextAndExactUsage() async throws {
        let server = try await TestServer.start()
        let prompt = "Once upon a time"
        let reply = try await server.request("/v1/completions", json: ["model": "test-model", "prompt": prompt, "max_tokens": 12, "temperature": 0])
        await server.stop()
        #expect(reply.status == 200)
        let json = reply.json
        #expect(json["object"] as? String == "text_completion")
        let choice = try #require((json["choices"] as? [[String: Any]])?.first)
        #expect(!(choice["text"] as? String ?? "").isEmpty)
        #expect(choice["finish_reason"] as? String == "length")
        let usage = try #require(json["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == server.llm.tokenizer.encode(prompt).count)
        #expect(usage["completion_tokens"] as? Int == 12)
        #expect(usage["total_tokens"] as? Int == 12 + server.llm.tokenizer.encode(prompt).count)
    }

    @Test func seededSamplingIsRepeatableAndStopStringsEndTheText() async throws {
        let server = try await TestServer.start()
        let body: [String: Any] = ["prompt": "Once upon a time", "max_tokens": 20, "temperature": 0.9, "seed": 7, "top_k": 40]
        let first = try await server.request("/v1/completions", json: body)
        let second = try await server.request("/v1/completions", json: body)
        let greedy = try await server.request("/v1/completions", json: ["prompt": "Once upon a time", "max_tokens": 30, "temperature": 0])
        let text = ((greedy.json["choices"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
        // Stop at the second word of the greedy text: the stopped text must be its prefix.
        let words = text.split(separator: " ")
        try #require(words.count > 2)
        let stopped = try await server.request(
            "/v1/completions", json: ["prompt": "Once upon a time", "max_tokens": 30, "temperature": 0, "stop": [String(words[1])]])
        await server.stop()
        #expect(first.json["choices"] as? [[String: Any]] != nil)
        #expect(first.text.contains("\"text\"") && (first.json["choices"] as? [[String: Any]])?.first?["text"] as? String
            == (second.json["choices"] as? [[String: Any]])?.first?["text"] as? String)
        let choice = try #require((stopped.json["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "stop")
        #expect(choice["stop_reason"] as? String == String(words[1]))
        #expect(text.hasPrefix(choice["text"] as? String ?? "#"))
    }

    @Test func logprobsCoverEveryGeneratedToken() async throws {
        let server = try await TestServer.start()
        let reply = try await server.request(
            "/v1/completions", json: ["prompt": "Once upon a time", "max_tokens": 5, "temperature": 0, "logprobs": 2])
        let streamed = try await server.request(
            "/v1/completions", json: ["prompt": "Once upon a time", "max_tokens": 5, "temperature": 0, "logprobs": 2, "stream": true])
        await server.stop()
        let choice = try #require((reply.json["choices"] as? [[String: Any]])?.first)
        let logprobs = try #require(choice["logprobs"] as? [String: Any])
        let tokens = logprobs["tokens"] as? [String] ?? []
        #expect(tokens.count == 5)
        #expect(tokens.joined() == choice["text"] as? String)
        let values = logprobs["token_logprobs"] as? [Double] ?? []
        #expect(values.count == 5 && values.allSatisfy { $0 <= 0 })
        let top = logprobs["top_logprobs"] as? [[String: Double]] ?? []
        #expect(top.count == 5 && top.allSatisfy { (1...3).contains($0.count) })
        #expect((logprobs["text_offset"] as? [Int])?.first == 0)
        let streamedTokens = TestServer.events(streamed.text).chunks
            .flatMap { $0["choices"] as? [[String: Any]] ?? [] }
            .flatMap { ($0["logprobs"] as? [String: Any])?["tokens"] as? [String] ?? [] }
        #expect(streamedTokens == tokens)
    }

    @Test func streamingSendsChunksUsageAndDone() async throws {
        let server = try await TestServer.start()
        let reply = try await server.request(
            "/v1/completions",
            json: ["prompt": "Once upon a time", "max_tokens": 8, "n": 2, "stream": true, "stream_options": ["include_usage": true]])
        await server.stop()
        #expect(reply.status == 200)
        #expect(reply.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
        let (chunks, done) = TestServer.events(reply.text)
        #expect(done)
        let usage = try #require(chunks.last?["usage"] as? [String: Any])
        #expect(usage["completion_tokens"] as? Int == 16)
        let finishes = chunks.flatMap { $0["choices"] as? [[String: Any]] ?? [] }.compactMap { $0["finish_reason"] as? String }
        #expect(finishes == ["length", "length"])
    }

    @Test func modelsTokenizeDetokenizeHealthVersionMetrics() async throws {
        let server = try await TestServer.start()
        let models = try await server.request(.GET, "/v1/models")
        let tokenized = try await server.request("/tokenize", json: ["prompt": "Once upon a time", "add_special_tokens": false])
        let tokens = tokenized.json["tokens"] as? [Int] ?? []
        let detokenized = try await server.request("/detokenize", json: ["tokens": tokens])
        let health = try await server.request(.GET, "/health")
        let version = try await server.request(.GET, "/version")
        _ = try await server.request("/v1/completions", json: ["prompt": "Once", "max_tokens": 3])
        let metrics = try await server.request(.GET, "/metrics")
        await server.stop()
        #expect((models.json["data"] as? [[String: Any]])?.first?["id"] as? String == "test-model")
        #expect(tokenized.json["count"] as? Int == tokens.count && !tokens.isEmpty)
        #expect(detokenized.json["prompt"] as? String == "Once upon a time")
        #expect(health.status == 200)
        #expect(version.json["version"] as? String != nil)
        #expect(metrics.text.contains("floe:kv_cache_usage_perc"))
        #expect(metrics.text.contains("floe:request_success_total{model_name=\"test-model\",finished_reason=\"length\"} 1"))
        #expect(metrics.text.contains("floe:generation_tokens_total{model_name=\"test-model\"} 3"))
    }
}
