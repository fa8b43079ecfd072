import Foundation
import FloeModels

/// Serves embedding requests from many callers with one or more model threads.
///
/// A request's inputs are tokenized on the caller's task (in parallel across cores for large
/// requests), never on a model thread; each input then joins one queue of sequences. Each model
/// thread runs its own instance of the model (`EmbeddingModel.replica(on:)`: shared weights,
/// its own activations and, on a GPU, its own stream) and packs queued sequences from any
/// number of requests into ragged batches of at most `maxBatchTokens` tokens, so small requests
/// share forward passes (as Arctic's replica submits every prompt as its own engine request and
/// lets vLLM batch them). With several instances, one thread's host work (packing, uploads,
/// read-back, handing out results) overlaps another's forward pass on the device, as Arctic
/// runs several engine replicas per GPU. A sequence's embedding lands at its own index, so a
/// request's order does not depend on which instance embedded which of its inputs; it finishes
/// when its last sequence has been embedded. The queue is bounded: a request that would push it
/// past `maxQueuedSequences` is refused at once instead of waiting without limit.
public final class EmbeddingEngine: @unchecked Sendable {
    public struct Options: Sendable {
        /// Tokens in one forward pass (at least one whole input always fits).
        public var maxBatchTokens: Int
        /// Sequences waiting for the model, over all requests.
        public var maxQueuedSequences: Int

        public init(maxBatchTokens: Int = 8192, maxQueuedSequences: Int = 65536) {
            self.maxBatchTokens = maxBatchTokens
            self.maxQueuedSequences = maxQueuedSequences
        }
    }

    /// One input of a request: text, or token ids the caller already has.
    public enum Input: Sendable, Equatable {
        case text(String)
        case tokens([Int32])
    }

    /// The embeddings of one request, back to back in input order.
    public struct Output: Sendable {
        public let embeddings: [Float]
        public let dimension: Int
        public let promptTokens: Int

        public var count: Int { dimension == 0 ? 0 : embeddings.count / dimension }
        public func embedding(_ index: Int) -> ArraySlice<Float> { embeddings[index * dimension..<(index + 1) * dimension] }
    }

    /// The first instance: tokenizer, dimension and limits (every instance shares them).
    public let model: EmbeddingModel
    public let options: Options
    /// Model threads, one per instance.
    public let instanceCount: Int
    private let profiler = EmbeddingProfiler()

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue: [QueuedSequence] = []
    private var queueHead = 0
    private var requests: [String: PendingRequest] = [:]
    private var stopped = false
    private var batchesRun = 0

    /// One model thread.
    public convenience init(model: EmbeddingModel, options: Options = Options()) {
        self.init(instances: [model], options: options)
    }

    /// A model thread per instance, all taking batches from the one queue. `instances` (at
    /// least one) are replicas of one model (`EmbeddingModel.replica(on:)`), each on a backend
    /// no other thread drives at the same time, or one the backend lets threads share.
    public init(instances: [EmbeddingModel], options: Options = Options()) {
        precondition(!instances.isEmpty, "an embedding engine needs at least one model instance")
        precondition(instances.allSatisfy { $0.dimension == instances[0].dimension }, "embedding instances differ in dimension")
        model = instances[0]
        self.options = options
        instanceCount = instances.count
        for (index, instance) in instances.enumerated() {
            // Each thread holds the engine until `shutdown()` lets it return.
            let thread = Thread { self.run(instance.embedder) }
            thread.name = instances.count == 1 ? "floe-embedding-engine" : "floe-embedding-engine-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Stops the model threads once their batches in flight (if any) are done; queued requests
    /// fail. With `FLOE_PROFILE_EMBED=1`, prints where the model threads' time went.
    public func shutdown() {
        condition.lock()
        let first = !stopped
        stopped = true
        let pending = requests.values
        requests.removeAll()
        queue.removeAll()
        queueHead = 0
        condition.broadcast()
        condition.unlock()
        for request in pending { request.continuation.resume(throwing: EmbeddingEngineError.shutDown) }
        if first && profiler.enabled {
            FileHandle.standardError.write(Data(profiler.report(instances: instanceCount).utf8))
        }
    }

    /// How many forward passes have run (for tests and metrics).
    public var batchCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return batchesRun
    }

    /// Tokenizes `inputs` (over-long ones cut to `truncateTo` tokens when it is set, rejected
    /// otherwise; see `EmbeddingModel.tokenize`) and embeds them. `requestID` names the request for `abort(_:)`; ids must be
    /// unique among requests in flight. Cancelling the calling task aborts the request.
    public func embed(_ inputs: [Input], truncateTo: Int? = nil, requestID: String = UUID().uuidString) async throws -> Output {
        let sequences = try tokenize(inputs, truncateTo: truncateTo)
        let dimension = model.dimension
        let promptTokens = sequences.reduce(0) { $0 + $1.count }
        if sequences.isEmpty { return Output(embeddings: [], dimension: dimension, promptTokens: 0) }
        let embeddings = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[Float], any Error>) in
                submit(sequences, requestID: requestID, continuation: continuation)
            }
        } onCancel: {
            _ = abort(requestID)
        }
        return Output(embeddings: embeddings, dimension: dimension, promptTokens: promptTokens)
    }

    /// Fails request `requestID` with `EmbeddingEngineError.aborted` and drops its queued
    /// sequences. Returns false if no such request is in flight.
    @discardableResult
    public func abort(_ requestID: String) -> Bool {
        condition.lock()
        let request = requests.removeValue(forKey: requestID)
        condition.unlock()
        request?.continuation.resume(throwing: EmbeddingEngineError.aborted(requestID))
        return request != nil
    }

    /// Token ids for every input; large requests are split over the cores.
    func tokenize(_ inputs: [Input], truncateTo: Int?) throws -> [[Int32]] {
        var results = [Result<[Int32], EmbeddingInputError>](repeating: .success([]), count: inputs.count)
        let model = self.model
        @Sendable func one(_ input: Input) -> Result<[Int32], EmbeddingInputError> {
            switch input {
            case .text(let text): Result { () throws(EmbeddingInputError) in try model.tokenize(text, truncateTo: truncateTo) }
            case .tokens(let ids): Result { () throws(EmbeddingInputError) in try model.check(tokens: ids, truncateTo: truncateTo) }
            }
        }
        let chunks = inputs.count >= 64 ? ProcessInfo.processInfo.activeProcessorCount : 1
        if chunks <= 1 {
            for (index, input) in inputs.enumerated() { results[index] = one(input) }
        } else {
            results.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let out = buffer
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    let range = inputs.count * chunk / chunks..<inputs.count * (chunk + 1) / chunks
                    for index in range { out[index] = one(inputs[index]) }
                }
            }
        }
        return try results.enumerated().map { index, result throws(EmbeddingEngineError) in
            switch result {
            case .success(let ids): return ids
            case .failure(let error): throw EmbeddingEngineError.invalidInput(index: index, error)
            }
        }
    }

    private func submit(_ sequences: [[Int32]], requestID: String, continuation: CheckedContinuation<[Float], any Error>) {
        condition.lock()
        let failure: EmbeddingEngineError?
        if stopped {
            failure = .shutDown
        } else if requests[requestID] != nil {
            failure = .duplicateRequestID(requestID)
        } else if queue.count - queueHead + sequences.count > options.maxQueuedSequences {
            failure = .overloaded(queued: queue.count - queueHead, limit: options.maxQueuedSequences)
        } else {
            failure = nil
            let request = PendingRequest(continuation: continuation, count: sequences.count, dimension: model.dimension)
            requests[requestID] = request
            for (index, tokens) in sequences.enumerated() {
                queue.append(QueuedSequence(requestID: requestID, request: request, index: index, tokens: tokens))
            }
            condition.signal()
        }
        condition.unlock()
        if let failure { continuation.resume(throwing: failure) }
    }

    /// A model thread: wait for sequences, take a batch, embed it with this thread's instance,
    /// hand results back. The phases are timed for `FLOE_PROFILE_EMBED`.
    private func run(_ embedder: SentenceEmbedder) {
        let backend = embedder.backend
        var stopwatch = EmbeddingProfiler.Stopwatch()
        while true {
            condition.lock()
            while queueHead == queue.count && !stopped { condition.wait() }
            if stopped {
                condition.unlock()
                return
            }
            stopwatch.lap(.waitingForWork)
            let batch = takeBatch()
            // `submit` wakes one thread; if work is left, pass it on to another idle one.
            if queueHead < queue.count { condition.signal() }
            condition.unlock()
            if batch.isEmpty { continue }
            let sequences = batch.map(\.tokens)
            stopwatch.lap(.packing)
            let result = Result { () throws -> [Float] in
                let pooled = try embedder.enqueue(sequences)
                stopwatch.lap(.enqueueing)
                backend.synchronize()
                stopwatch.lap(.waitingForDevice)
                defer { stopwatch.lap(.readingBack) }
                return backend.readFloats(pooled)
            }
            deliver(batch, result)
            stopwatch.lap(.distributing)
            profiler.record(&stopwatch, sequences: sequences.count, tokens: sequences.reduce(0) { $0 + $1.count })
        }
    }

    /// Queued sequences of live requests, in arrival order, up to the token budget. Called
    /// with `condition` held.
    private func takeBatch() -> [QueuedSequence] {
        var batch: [QueuedSequence] = []
        var tokens = 0
        while queueHead < queue.count {
            let next = queue[queueHead]
            if requests[next.requestID] !== next.request {  // aborted: drop it
                queueHead += 1
                continue
            }
            if !batch.isEmpty && tokens + next.tokens.count > options.maxBatchTokens { break }
            batch.append(next)
            tokens += next.tokens.count
            queueHead += 1
        }
        // Reclaim the consumed prefix once it dominates the array.
        if queueHead > 4096 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        if !batch.isEmpty { batchesRun += 1 }
        return batch
    }

    private func deliver(_ batch: [QueuedSequence], _ result: Result<[Float], any Error>) {
        let dimension = model.dimension
        // The copies run before taking the lock, so model threads do not queue behind each
        // other's (or callers') for a batch's worth of embeddings: each sequence owns its slot.
        if case .success(let flat) = result {
            flat.withUnsafeBufferPointer { source in
                for (position, item) in batch.enumerated() {
                    item.request.store(source[position * dimension..<(position + 1) * dimension], at: item.index)
                }
            }
        }
        var finished: [(PendingRequest, EmbeddingEngineError?)] = []
        condition.lock()
        for item in batch {
            guard requests[item.requestID] === item.request else { continue }  // aborted meanwhile
            switch result {
            case .success:
                item.request.remaining -= 1
                if item.request.remaining == 0 {
                    requests.removeValue(forKey: item.requestID)
                    finished.append((item.request, nil))
                }
            case .failure(let error):
                requests.removeValue(forKey: item.requestID)
                finished.append((item.request, .modelFailed(String(describing: error))))
            }
        }
        condition.unlock()
        // The lock ordered every thread's slot copies before the last count down, so the
        // request's embeddings are complete here.
        for (request, failure) in finished {
            if let failure {
                request.continuation.resume(throwing: failure)
            } else {
                request.continuation.resume(returning: request.embeddings)
            }
        }
    }
}

/// A request waiting for its sequences. `remaining` changes only with the engine's lock held;
/// the embedding slots are written without it, each by the one model thread that embedded that
/// sequence (slots never overlap), and read once `remaining` reached zero under the lock.
private final class PendingRequest {
    let continuation: CheckedContinuation<[Float], any Error>
    var remaining: Int
    private let slots: UnsafeMutableBufferPointer<Float>
    private let dimension: Int

    init(continuation: CheckedContinuation<[Float], any Error>, count: Int, dimension: Int) {
        self.continuation = continuation
        remaining = count
        self.dimension = dimension
        slots = .allocate(capacity: count * dimension)
        slots.initialize(repeating: 0)
    }

    deinit { slots.deallocate() }

    func store(_ embedding: Slice<UnsafeBufferPointer<Float>>, at index: Int) {
        precondition(embedding.count == dimension)
        (slots.baseAddress! + index * dimension).update(from: embedding.base.baseAddress! + embedding.startIndex, count: dimension)
    }

    /// The embeddings in input order (complete once `remaining` is zero).
    var embeddings: [Float] { Array(slots) }
}

private struct QueuedSequence {
    let requestID: String
    let request: PendingRequest
    let index: Int
    let tokens: [Int32]
}

/// Why an embedding request failed.
public enum EmbeddingEngineError: Error, CustomStringConvertible, Equatable {
    case invalidInput(index: Int, EmbeddingInputError)
    case overloaded(queued: Int, limit: Int)
    case duplicateRequestID(String)
    case aborted(String)
    case shutDown
    case modelFailed(String)

    public var description: String {
        switch self {
        case .invalidInput(let index, let error): "input \(index): \(error)"
        case .overloaded(let queued, let limit): "the server is overloaded (\(queued) inputs queued, limit \(limit)); retry later"
        case .duplicateRequestID(let id): "request id '\(id)' is already in flight"
        case .aborted(let id): "request '\(id)' was aborted"
        case .shutDown: "the embedding engine is shut down"
        case .modelFailed(let message): "the model failed: \(message)"
        }
    }
}
