import FloeCPU
import FloeModels
import FloeRunner
import Foundation
import Testing

/// `EmbeddingEngine` with all-MiniLM-L6-v2: many concurrent requests share forward passes and
/// each gets exactly its own embeddings; bad input, a full queue and aborts fail cleanly.
@Suite struct EmbeddingEngineTests {
    static let texts = (0..<24).map { "sentence number \($0) about \(["cats", "ships", "rain", "tea"][$0 % 4])" }

    @Test func concurrentRequestsGetTheirOwnEmbeddings() async throws {
        let model = try MiniLMEmbeddingTests.model.get()
        let expected = try model.embedder.embed(Self.texts.map { try model.tokenize($0) })
        let engine = EmbeddingEngine(model: model, options: .init(maxBatchTokens: 64))
        defer { engine.shutdown() }
        // 8 requests of 3 texts, all in flight together; a 64-token budget forces several batches.
        let outputs = try await withThrowingTaskGroup(of: (Int, EmbeddingEngine.Output).self) { group in
            for request in 0..<8 {
                let inputs = Self.texts[request * 3..<request * 3 + 3].map { EmbeddingEngine.Input.text($0) }
                group.addTask { (request, try await engine.embed(inputs)) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for (request, output) in outputs {
            #expect(output.count == 3 && output.dimension == 384)
            for i in 0..<3 {
                let want = expected[request * 3 + i]
                #expect(zip(output.embedding(i), want).allSatisfy { abs($0 - $1) < 1e-5 }, "request \(request) input \(i)")
            }
        }
        #expect(engine.batchCount >= 3)
    }

    @Test func badInputNamesTheInputAndTheEngineKeepsServing() async throws {
        let engine = EmbeddingEngine(model: try MiniLMEmbeddingTests.model.get())
        defer { engine.shutdown() }
        await #expect(throws: EmbeddingEngineError.invalidInput(index: 1, .empty)) {
            try await engine.embed([.text("fine"), .tokens([])])
        }
        await #expect(throws: EmbeddingEngineError.invalidInput(index: 0, .tooLong(tokens: 402, limit: 256))) {
            try await engine.embed([.text(String(repeating: "a ", count: 400))])
        }
        await #expect(throws: EmbeddingEngineError.invalidInput(index: 0, .tokenOutOfRange(token: -1, vocabularySize: 30522))) {
            try await engine.embed([.tokens([101, -1, 102])])
        }
        let output = try await engine.embed([.text("still here")])
        #expect(output.count == 1 && output.promptTokens == 4)
        #expect(engine.abort("no-such-request") == false)
    }

    @Test func aFullQueueRefusesAtOnce() async throws {
        let engine = EmbeddingEngine(model: try MiniLMEmbeddingTests.model.get(), options: .init(maxQueuedSequences: 2))
        defer { engine.shutdown() }
        await #expect(throws: EmbeddingEngineError.overloaded(queued: 0, limit: 2)) {
            try await engine.embed([.text("a"), .text("b"), .text("c")])
        }
        #expect(try await engine.embed([.text("a"), .text("b")]).count == 2)
    }

    /// An abort by id ends a request in flight with `.aborted`, and the engine goes on serving.
    @Test func abortEndsARequestInFlight() async throws {
        let engine = EmbeddingEngine(model: try MiniLMEmbeddingTests.model.get(), options: .init(maxBatchTokens: 256))
        defer { engine.shutdown() }
        // ~2000 forward passes of 256 tokens: far longer than it takes to abort it.
        let long = String(repeating: "word ", count: 250)
        let task = Task { try await engine.embed(Array(repeating: .text(long), count: 2000), requestID: "big") }
        var aborted = false
        for _ in 0..<10_000 where !aborted {
            aborted = engine.abort("big")
            if !aborted { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(aborted)
        await #expect(throws: EmbeddingEngineError.aborted("big")) { try await task.value }
        #expect(try await engine.embed([.text("after the abort")]).count == 1)
    }

    @Test func aShutDownEngineRefuses() async throws {
        let engine = EmbeddingEngine(model: try MiniLMEmbeddingTests.model.get())
        engine.shutdown()
        await #expect(throws: EmbeddingEngineError.shutDown) { try await engine.embed([.text("late")]) }
    }
}
