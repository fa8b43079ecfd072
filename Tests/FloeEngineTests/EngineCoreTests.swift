import Foundation
import Testing
@testable import FloeEngine

@Suite struct EngineCoreTests {
    let config = SchedulerConfig(maxModelLen: 1024, blockCount: 48, maxNumBatchedTokens: 64, maxNumSeqs: 4)

    func collect(_ stream: AsyncThrowingStream<RequestOutput, any Error>) async throws -> [RequestOutput] {
        var outputs: [RequestOutput] = []
        for try await output in stream { outputs.append(output) }
        return outputs
    }

    /// Polls `condition` until it holds or two seconds pass.
    func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<400 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition()
    }

    func request(_ id: RequestID, promptLength: Int, maxTokens: Int, seed: Int = 0, n: Int = 1) -> EngineRequest {
        EngineRequest(
            id: id, promptTokenIDs: prompt(promptLength, seed: seed),
            params: SamplingParams(temperature: 1, seed: UInt64(seed), maxTokens: maxTokens, n: n))
    }

    @Test func concurrentSubmitsMatchASoloSchedulerRun() async throws {
        let engine = try EngineCore(config: config, executor: FakeExecutor())
        let requests = (0..<8).map { request(RequestID("r\($0)"), promptLength: 10 + 9 * $0, maxTokens: 12 + $0, seed: $0) }
        let results = try await withThrowingTaskGroup(of: (RequestID, [RequestOutput]).self) { group in
            for request in requests {
                group.addTask { (request.id, try await collect(try engine.submit(request))) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        var driver = try Driver(config: config)
        for request in requests {
            try driver.scheduler.add(Request(id: request.id, promptTokenIDs: request.promptTokenIDs, params: request.params))
        }
        try driver.runToCompletion()
        for request in requests {
            let outputs = try #require(results[request.id])
            #expect(outputs.flatMap(\.newTokenIDs) == driver.outputs[request.id])
            #expect(outputs.last?.finishReason == .length)
            #expect(outputs.dropLast().allSatisfy { $0.finishReason == nil })
        }
        #expect(await eventually { engine.stats.runningCount == 0 && engine.stats.kvCacheUsage == 0 })
        engine.shutDown()
    }

    @Test func cancellingTheStreamAbortsTheRequest() async throws {
        let executor = FakeExecutor()
        // Slow steps leave a wide window for the checks below even when a busy machine starves
        // this task: 600 tokens take at least 2 minutes, while the test ends after the first
        // output (a loaded CI machine once let a 12 s window close).
        executor.stepDelay = .milliseconds(200)
        let engine = try EngineCore(config: config, executor: executor)
        let stream = try engine.submit(request("long", promptLength: 20, maxTokens: 600))
        // Waiting for the first output (not polling stats) proves the request is running
        // however slowly a loaded machine schedules this task.
        let (started, signal) = AsyncStream<Void>.makeStream()
        let consumer = Task {
            var count = 0
            for try await _ in stream {
                count += 1
                if count == 1 { signal.yield(()) }
            }
            return count
        }
        for await _ in started { break }
        consumer.cancel()
        _ = try? await consumer.value
        #expect(await eventually { engine.stats.runningCount == 0 && engine.stats.kvCacheUsage == 0 })
        // The id is free again once the engine dropped the request.
        let again = try engine.submit(request("long", promptLength: 20, maxTokens: 2))
        #expect(try await collect(again).flatMap(\.newTokenIDs).count == 2)
        engine.shutDown()
    }

    @Test func executorFailureEndsOnlyTheRequestsOfThatStep() async throws {
        let executor = FakeExecutor()
        executor.poisoned = ["bad"]
        var oneAtATime = config
        oneAtATime.maxNumSeqs = 1
        let engine = try EngineCore(config: oneAtATime, executor: executor)
        let bad = try engine.submit(request("bad", promptLength: 30, maxTokens: 5))
        let good = try engine.submit(request("good", promptLength: 30, maxTokens: 5, seed: 1))
        await #expect(throws: EngineError.self) { _ = try await collect(bad) }
        #expect(try await collect(good).flatMap(\.newTokenIDs).count == 5)
        let later = try engine.submit(request("later", promptLength: 30, maxTokens: 3, seed: 2))
        #expect(try await collect(later).last?.finishReason == .length)
        #expect(await eventually { engine.stats.kvCacheUsage == 0 })
        engine.shutDown()
    }

    @Test func parallelSamplesShareOneStream() async throws {
        let engine = try EngineCore(config: config, executor: FakeExecutor())
        let outputs = try await collect(try engine.submit(request("p", promptLength: 40, maxTokens: 6, n: 3)))
        #expect(Set(outputs.map(\.requestID)) == ["p"])
        for index in 0..<3 {
            let sample = outputs.filter { $0.sampleIndex == index }
            #expect(sample.flatMap(\.newTokenIDs).count == 6)
            #expect(sample.last?.finishReason == .length)
        }
        #expect(engine.stats.prefixCache.hitTokens == 64)  // two children hit the first's 2 full blocks
        engine.shutDown()
    }

    @Test func invalidRequestsAreRejectedAtSubmit() throws {
        let engine = try EngineCore(config: config, executor: FakeExecutor())
        #expect(throws: EngineError.rejected(.exceedsMaxModelLen(promptTokens: 1000, maxTokens: 100, maxModelLen: 1024))) {
            _ = try engine.submit(request("long", promptLength: 1000, maxTokens: 100))
        }
        #expect(throws: EngineError.rejected(.invalidSamplingParams(.invalid("top_p must be in (0, 1], got 0.0")))) {
            _ = try engine.submit(EngineRequest(id: "bad", promptTokenIDs: [1], params: SamplingParams(topP: 0)))
        }
        engine.shutDown()
    }

    @Test func frontendStopAndShutdownEndStreams() async throws {
        let executor = FakeExecutor()
        // Slow steps leave a wide window for the checks below even when a busy machine starves
        // this task: 600 tokens take at least 2 minutes, while the test ends after the first
        // output (a loaded CI machine once let a 12 s window close).
        executor.stepDelay = .milliseconds(200)
        let engine = try EngineCore(config: config, executor: executor)
        let stopped = try engine.submit(request("stopped", promptLength: 10, maxTokens: 600))
        let open = try engine.submit(request("open", promptLength: 10, maxTokens: 600, seed: 1))
        #expect(throws: EngineError.rejected(.duplicateRequestID("open"))) {
            _ = try engine.submit(request("open", promptLength: 10, maxTokens: 2))
        }
        var stoppedOutputs: [RequestOutput] = []
        for try await output in stopped {
            // Stop from the frontend as soon as the request has produced something.
            if stoppedOutputs.isEmpty { engine.finish("stopped", reason: .stop) }
            stoppedOutputs.append(output)
        }
        #expect(stoppedOutputs.last?.finishReason == .stop)
        engine.shutDown()
        await #expect(throws: EngineError.shutDown) { _ = try await collect(open) }
    }
}
