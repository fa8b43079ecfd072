import AsyncHTTPClient
import FloeEngine
import FloeRunner
import Foundation
import Testing

/// Several prompts in one `/v1/completions`, `echo`, the latency histograms, and the abort of
/// a non-streaming request whose client hangs up.
@Suite(.serialized)
struct BatchPromptAndAbortTests {
    func texts(_ reply: TestServer.Reply) -> [Int: String] {
        var out: [Int: String] = [:]
        for choice in reply.json["choices"] as? [[String: Any]] ?? [] {
            out[choice["index"] as? Int ?? -1, default: ""] += choice["text"] as? String ?? ""
        }
        return out
    }

    @Test func severalPromptsGiveEachPromptsOwnChoicesPromptMajor() async throws {
        let server = try await TestServer.start()
        let prompts = ["Once upon a time", "The little dog"]
        let lone = try await [
            server.request("/v1/completions", json: ["prompt": prompts[0], "max_tokens": 6, "temperature": 0]),
            server.request("/v1/completions", json: ["prompt": prompts[1], "max_tokens": 6, "temperature": 0]),
        ]
        let batch = try await server.request("/v1/completions", json: ["prompt": prompts, "max_tokens": 6, "temperature": 0, "n": 2])
        let ids = prompts.map { server.llm.tokenizer.encode($0) }
        let byIDs = try await server.request("/v1/completions", json: ["prompt": ids, "max_tokens": 6, "temperature": 0])
        let streamed = try await server.request(
            "/v1/completions", json: ["prompt": prompts, "max_tokens": 6, "temperature": 0, "stream": true])
        await server.stop()
        let expected = lone.map { texts($0)[0] ?? "" }
        #expect(!expected[0].isEmpty && !expected[1].isEmpty)
        #expect(texts(batch) == [0: expected[0], 1: expected[0], 2: expected[1], 3: expected[1]])
        #expect(texts(byIDs) == [0: expected[0], 1: expected[1]])
        let usage = try #require(batch.json["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == ids[0].count + ids[1].count)
        #expect(usage["completion_tokens"] as? Int == 4 * 6)
        var streamedTexts: [Int: String] = [:]
        for chunk in TestServer.events(streamed.text).chunks {
            for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                streamedTexts[choice["index"] as? Int ?? -1, default: ""] += choice["text"] as? String ?? ""
            }
        }
        #expect(streamedTexts == [0: expected[0], 1: expected[1]])
    }

    @Test func echoPrependsThePrompt() async throws {
        let server = try await TestServer.start()
        let plain = try await server.request("/v1/completions", json: ["prompt": "Once upon a time", "max_tokens": 5, "temperature": 0])
        let echoed = try await server.request(
            "/v1/completions", json: ["prompt": "Once upon a time", "max_tokens": 5, "temperature": 0, "echo": true])
        let streamed = try await server.request(
            "/v1/completions", json: ["prompt": "Once upon a time", "max_tokens": 5, "temperature": 0, "echo": true, "stream": true])
        let refused = try await server.request(
            "/v1/completions", json: ["prompt": "Once", "max_tokens": 2, "echo": true, "logprobs": 1])
        await server.stop()
        let text = texts(plain)[0] ?? ""
        #expect(texts(echoed)[0] == "Once upon a time" + text)
        let joined = TestServer.events(streamed.text).chunks
            .flatMap { $0["choices"] as? [[String: Any]] ?? [] }.map { $0["text"] as? String ?? "" }.joined()
        #expect(joined == "Once upon a time" + text)
        #expect(refused.status == 400 && refused.error["param"] as? String == "echo")
    }

    @Test func emptyPromptListIsRejected() async throws {
        let server = try await TestServer.start()
        let reply = try await server.request("/v1/completions", json: ["prompt": [String](), "max_tokens": 2])
        await server.stop()
        #expect(reply.status == 400)
    }

    /// SmolLM2, whose 3000 tokens take far longer on any CPU than noticing the hang-up does.
    @Test(.enabled(if: TestServer.smolLM2 != nil))
    func nonStreamingClientThatHangsUpIsAborted() async throws {
        let server = try await TestServer.start(
            model: TestServer.smolLM2!, options: .init(kvCacheBytes: 256 << 20, maxModelLen: 4096))
        let client = Task {
            let request = server.makeRequest(
                .POST, "/v1/completions", body: #"{"prompt": "Once", "max_tokens": 3000, "ignore_eos": true}"#, apiKey: nil)
            _ = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        }
        // Wait until the request holds KV blocks, then hang up.
        for _ in 0..<400 where server.llm.stats.kvCacheUsage == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(server.llm.stats.kvCacheUsage > 0)
        client.cancel()
        _ = await client.result
        for _ in 0..<400 where server.llm.stats.kvCacheUsage > 0 || server.llm.stats.runningCount > 0 {
            try await Task.sleep(for: .milliseconds(25))
        }
        let usage = server.llm.stats.kvCacheUsage
        let metrics = try await server.request(.GET, "/metrics")
        await server.stop()
        #expect(usage == 0)
        #expect(metrics.text.contains("floe:request_success_total{model_name=\"test-model\",finished_reason=\"abort\"} 1"))
    }

    @Test func streamingRequestsFillTheLatencyHistograms() async throws {
        let server = try await TestServer.start()
        _ = try await server.request("/v1/completions", json: ["prompt": "Once", "max_tokens": 4, "stream": true])
        _ = try await server.request("/v1/completions", json: ["prompt": "Once", "max_tokens": 4, "stream": true])
        let metrics = try await server.request(.GET, "/metrics")
        await server.stop()
        for name in ["time_to_first_token_seconds", "time_per_output_token_seconds", "e2e_request_latency_seconds"] {
            #expect(metrics.text.contains("# TYPE floe:\(name) histogram"), "\(name)")
            #expect(metrics.text.contains("floe:\(name)_count{model_name=\"test-model\"} 2"), "\(name)")
        }
        #expect(metrics.text.contains("floe:prompt_tokens_total{model_name=\"test-model\"} \(2 * server.llm.tokenizer.encode("Once").count)"))
    }
}

/// `/metrics` carries vLLM's speculative-decoding counters, equal to the engine's own numbers.
@Suite struct SpeculativeMetricsTests {
    @Test func draftAndAcceptanceCountersMatchTheEngine() async throws {
        var options = EngineOptions(kvCacheBytes: 16 << 20)
        options.speculative = try SpeculativeConfig(json: #"{"method": "suffix"}"#)
        let server = try await TestServer.start(options: options)
        // The second request repeats the first, whose response the global suffix tree now holds,
        // so drafts are proposed and accepted.
        for _ in 0..<2 {
            _ = try await server.request("/v1/completions", json: ["prompt": "Once upon a time", "max_tokens": 24, "temperature": 0])
        }
        let metrics = try await server.request(.GET, "/metrics")
        let stats = server.llm.stats.speculative
        await server.stop()
        #expect(stats.draftedTokens > 0 && stats.acceptedTokens > 0)
        let label = "{model_name=\"test-model\"}"
        #expect(metrics.text.contains("floe:spec_decode_num_drafts_total\(label) \(stats.draftCount)"))
        #expect(metrics.text.contains("floe:spec_decode_num_draft_tokens_total\(label) \(stats.draftedTokens)"))
        #expect(metrics.text.contains("floe:spec_decode_num_accepted_tokens_total\(label) \(stats.acceptedTokens)"))
        #expect(metrics.text.contains("floe:spec_decode_num_accepted_tokens_per_pos{model_name=\"test-model\",position=\"0\"} \(stats.acceptedPerPosition[0])"))
    }
}
