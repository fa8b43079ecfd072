import FloeCPU
@testable import FloeModels
import FloeRunner
import Foundation
import Testing

/// `EmbeddingEngine` with several model instances (all-MiniLM-L6-v2 on the CPU): replicas share
/// the weights and embed exactly as the original does, two instances give every request the
/// embeddings one instance gives, in its own input order, and shutdown and the queue bound work
/// as with one instance.
@Suite struct EmbeddingInstancesTests {
    /// Texts of different lengths, token-id inputs and one long input, so batches are ragged and
    /// a request's inputs land in different batches (and, with two instances, on both).
    static let requests: [[EmbeddingEngine.Input]] = (0..<12).map { request in
        (0..<(1 + request % 4)).map { index in
            switch (request + index) % 5 {
            case 0: .tokens([101, Int32(2000 + request * 7 + index), 2003, 1037, 102])
            case 1: .text(String(repeating: "a longer sentence about \(["rain", "tea", "ships"][request % 3]) ", count: 1 + request % 6))
            default: .text("request \(request) input \(index): \(["cats", "ships", "rain", "tea"][(request + index) % 4])")
            }
        }
    }

    static func instances(_ count: Int) throws -> [EmbeddingModel] {
        let model = try MiniLMEmbeddingTests.model.get()
        // Replicas on their own one-thread backends: the shared model's backend is the suite's.
        return try (0..<count).map { _ in try model.replica(on: CPUBackend(threads: 1)) }
    }

    /// Every request of `requests` through `engine`, all in flight together.
    static func embedAll(_ engine: EmbeddingEngine) async throws -> [EmbeddingEngine.Output] {
        let outputs = try await withThrowingTaskGroup(of: (Int, EmbeddingEngine.Output).self) { group in
            for (index, inputs) in requests.enumerated() { group.addTask { (index, try await engine.embed(inputs)) } }
            return try await group.reduce(into: [Int: EmbeddingEngine.Output]()) { $0[$1.0] = $1.1 }
        }
        return requests.indices.map { outputs[$0]! }
    }

    @Test func aReplicaSharesTheWeightsAndEmbedsIdentically() throws {
        let model = try MiniLMEmbeddingTests.model.get()
        let replica = try model.replica(on: CPUBackend(threads: 1))
        let original = model.embedder.model, copy = replica.embedder.model
        #expect(copy !== original)
        #expect(copy.wordEmbeddings.address == original.wordEmbeddings.address)
        #expect(zip(copy.layers, original.layers).allSatisfy { $0.qkv.weight.address == $1.qkv.weight.address && $0.output.weight.address == $1.output.weight.address })
        let sequences = try ["one short text", "and another, rather longer, text to embed", "x"].map { try model.tokenize($0) }
        // Same batch, same kernels: bit for bit (the thread counts differ, the sums' order does not).
        #expect(try replica.embedder.embedFlat(sequences) == model.embedder.embedFlat(sequences))
    }

    /// Two instances against one, same requests: batches form differently (that depends on
    /// timing), so embeddings are compared to a tolerance far below any real difference.
    @Test func twoInstancesEmbedAsOneDoes() async throws {
        let one = EmbeddingEngine(instances: try Self.instances(1), options: .init(maxBatchTokens: 48))
        defer { one.shutdown() }
        let two = EmbeddingEngine(instances: try Self.instances(2), options: .init(maxBatchTokens: 48))
        defer { two.shutdown() }
        #expect(two.instanceCount == 2)
        let expected = try await Self.embedAll(one)
        let got = try await Self.embedAll(two)
        for (request, (want, have)) in zip(expected, got).enumerated() {
            #expect(have.count == Self.requests[request].count && have.promptTokens == want.promptTokens)
            for input in 0..<want.count {
                let worst = zip(have.embedding(input), want.embedding(input)).map { abs($0 - $1) }.max() ?? .infinity
                #expect(worst < 1e-5, "request \(request) input \(input): max difference \(worst)")
            }
        }
    }

    @Test func manyConcurrentRequestsAllComplete() async throws {
        let model = try MiniLMEmbeddingTests.model.get()
        let texts = (0..<40).map { "text \($0) " + String(repeating: "word ", count: $0 % 7) }
        let expected = try model.embedder.embed(texts.map { try model.tokenize($0) })
        let engine = EmbeddingEngine(instances: try Self.instances(2), options: .init(maxBatchTokens: 64))
        defer { engine.shutdown() }
        // 120 requests of 1-3 texts each, all at once.
        let picks = (0..<120).map { request in (0..<(1 + request % 3)).map { (request * 7 + $0 * 13) % texts.count } }
        let outputs = try await withThrowingTaskGroup(of: (Int, EmbeddingEngine.Output).self) { group in
            for (request, indices) in picks.enumerated() {
                group.addTask { (request, try await engine.embed(indices.map { .text(texts[$0]) })) }
            }
            return try await group.reduce(into: [Int: EmbeddingEngine.Output]()) { $0[$1.0] = $1.1 }
        }
        #expect(outputs.count == picks.count)
        var tokens = 0
        for (request, indices) in picks.enumerated() {
            let output = try #require(outputs[request])
            #expect(output.count == indices.count)
            tokens += output.promptTokens
            for (position, text) in indices.enumerated() {
                let worst = zip(output.embedding(position), expected[text]).map { abs($0 - $1) }.max() ?? .infinity
                #expect(worst < 1e-5, "request \(request) input \(position)")
            }
        }
        // Every batch holds at most 64 tokens.
        #expect(engine.batchCount >= (tokens + 63) / 64)
    }

    @Test func shutdownFailsQueuedWorkOnEveryInstance() async throws {
        let engine = EmbeddingEngine(instances: try Self.instances(2), options: .init(maxBatchTokens: 256))
        let long = String(repeating: "word ", count: 250)
        // Thousands of 256-token batches: far more than run before the shutdown below.
        let first = Task { try await engine.embed(Array(repeating: .text(long), count: 1000)) }
        let second = Task { try await engine.embed(Array(repeating: .text(long), count: 1000)) }
        for _ in 0..<10_000 where engine.batchCount < 2 { try await Task.sleep(for: .milliseconds(1)) }
        engine.shutdown()
        await #expect(throws: EmbeddingEngineError.shutDown) { try await first.value }
        await #expect(throws: EmbeddingEngineError.shutDown) { try await second.value }
        await #expect(throws: EmbeddingEngineError.shutDown) { try await engine.embed([.text("late")]) }
    }

    @Test func theQueueBoundHoldsWithSeveralInstances() async throws {
        let engine = EmbeddingEngine(instances: try Self.instances(2), options: .init(maxQueuedSequences: 2))
        defer { engine.shutdown() }
        await #expect(throws: EmbeddingEngineError.overloaded(queued: 0, limit: 2)) {
            try await engine.embed([.text("a"), .text("b"), .text("c")])
        }
        #expect(try await engine.embed([.text("a"), .text("b")]).count == 2)
    }
}
