import AsyncHTTPClient
import FloeRunner
import Foundation
import NIOCore
import Testing

/// Error bodies and statuses (400/401/404/429), and that a client leaving mid-stream aborts its
/// request and frees the KV cache.
@Suite(.serialized)
struct ErrorResponseTests {
    @Test func badRequestsGet400WithOpenAIBodies() async throws {
        let server = try await TestServer.start()
        let malformed = try await server.request(.POST, "/v1/completions", body: "{\"prompt\": ")
        let wrongType = try await server.request("/v1/completions", json: ["prompt": "Once", "temperature": "hot"])
        let invalid = try await server.request("/v1/completions", json: ["prompt": "Once", "top_p": 0])
        let tooLong = try await server.request("/v1/completions", json: ["prompt": "Once", "max_tokens": 100_000])
        let logprobs = try await server.request("/v1/completions", json: ["prompt": "Once", "logprobs": 21])
        let noTemplate = try await server.request("/v1/chat/completions", json: ["messages": [["role": "user", "content": "hi"]]])
        await server.stop()
        for reply in [malformed, wrongType, invalid, tooLong, logprobs, noTemplate] {
            #expect(reply.status == 400)
            #expect(reply.error["message"] is String)
            #expect(reply.error["type"] as? String == "BadRequestError")
            #expect(reply.error["code"] as? Int == 400)
        }
        #expect(wrongType.error["param"] as? String == "temperature")
        #expect((invalid.error["message"] as? String)?.contains("top_p") == true)
        #expect((tooLong.error["message"] as? String)?.contains("maximum context length") == true)
        #expect((logprobs.error["message"] as? String)?.contains("logprobs must be in [0, 20]") == true)
    }

    @Test func unknownModelIs404AndBadKeyIs401() async throws {
        let server = try await TestServer.start { $0.apiKey = "sk-secret" }
        let noKey = try await server.request("/v1/completions", json: ["prompt": "Once"])
        let wrongKey = try await server.request("/v1/completions", json: ["prompt": "Once"], apiKey: "nope")
        let unknown = try await server.request("/v1/completions", json: ["prompt": "Once", "model": "gpt-9"], apiKey: "sk-secret")
        let ok = try await server.request("/v1/completions", json: ["prompt": "Once", "max_tokens": 2], apiKey: "sk-secret")
        let health = try await server.request(.GET, "/health")
        await server.stop()
        #expect(noKey.status == 401 && wrongKey.status == 401)
        #expect(noKey.error["type"] as? String == "AuthenticationError")
        #expect(unknown.status == 404 && unknown.error["param"] as? String == "model")
        #expect(ok.status == 200 && health.status == 200)
    }

    @Test func fullQueueGets429WithRetryAfter() async throws {
        // SmolLM2, not stories260K: the long request must still be running when the second one
        // arrives, and stories260K can finish 400 tokens in that time on a fast machine.
        let model = try #require(TestServer.smolLM2, "run scripts/fetch-model.sh smollm2-135m first")
        let server = try await TestServer.start(
            model: model, options: EngineOptions(kvCacheBytes: 64 << 20, maxModelLen: 1024, maxNumSeqs: 1)
        ) {
            $0.maxWaitingRequests = 0
        }
        // One long stream holds the only slot while the second request arrives.
        let (firstChunk, signal) = AsyncStream<Void>.makeStream()
        let long = Task {
            let request = server.makeRequest(
                .POST, "/v1/completions", body: #"{"prompt": "Once", "max_tokens": 400, "ignore_eos": true, "stream": true}"#, apiKey: nil)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            var sent = false
            for try await _ in response.body where !sent {
                sent = true
                signal.yield()
            }
        }
        var iterator = firstChunk.makeAsyncIterator()
        await iterator.next()
        let refused = try await server.request("/v1/completions", json: ["prompt": "Once", "max_tokens": 2])
        long.cancel()
        _ = await long.result
        await server.stop()
        #expect(refused.status == 429)
        #expect(refused.headers.first(name: "retry-after") == "1")
        #expect(refused.error["type"] as? String == "RateLimitError")
    }

    @Test func disconnectMidStreamAbortsAndFreesKV() async throws {
        // SmolLM2, so the request is still running (holding KV) when the client hangs up.
        let model = try #require(TestServer.smolLM2, "run scripts/fetch-model.sh smollm2-135m first")
        let server = try await TestServer.start(model: model, options: EngineOptions(kvCacheBytes: 64 << 20, maxModelLen: 1024))
        let (firstChunk, signal) = AsyncStream<Void>.makeStream()
        let client = Task {
            let request = server.makeRequest(
                .POST, "/v1/completions", body: #"{"prompt": "Once", "max_tokens": 500, "ignore_eos": true, "stream": true}"#, apiKey: nil)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            for try await _ in response.body {
                signal.yield()
                try await Task.sleep(for: .seconds(30))  // stays until cancelled, which drops the connection
            }
        }
        var iterator = firstChunk.makeAsyncIterator()
        await iterator.next()
        #expect(server.llm.stats.kvCacheUsage > 0)
        client.cancel()
        _ = await client.result
        var usage = server.llm.stats.kvCacheUsage
        for _ in 0..<200 where usage > 0 || server.llm.stats.runningCount > 0 {
            try await Task.sleep(for: .milliseconds(25))
            usage = server.llm.stats.kvCacheUsage
        }
        let metrics = try await server.request(.GET, "/metrics")
        await server.stop()
        #expect(usage == 0)
        #expect(metrics.text.contains("finished_reason=\"abort\"} 1"))
    }
}
