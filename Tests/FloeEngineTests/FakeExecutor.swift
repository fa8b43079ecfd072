import Foundation
@testable import FloeEngine

/// A model stand-in: logits are a hash of the request's whole context, so the sampled token is
/// a deterministic function of (request, position, tokens so far). It also simulates the
/// paged KV cache: each step first writes every scheduled token into its slot (as `storeKV`
/// does for the whole batch), then, for each request that needs logits, checks that every
/// slot of its block table holds the right token at the right position. Any scheduling or
/// block-table mistake shows up in `violations`.
final class FakeExecutor: ModelExecutor {
    let vocabularySize: Int
    let blockSize: Int
    var samplers = RequestSamplers()
    private(set) var steps: [SchedulerOutput] = []
    private(set) var violations: [String] = []
    /// Prompt + output as the executor knows it, per running request.
    private var contexts: [RequestID: [Int]] = [:]
    private var slots: [Int: (token: Int, position: Int)] = [:]
    /// Fails any step containing one of these requests.
    var poisoned: Set<RequestID> = []
    /// Makes steps take time, for tests that act while a request runs.
    var stepDelay: Duration = .zero
    /// When set, logits depend only on the last `window` tokens, so outputs fall into cycles
    /// that suffix decoding can predict (speculation tests).
    var window: Int?

    init(vocabularySize: Int = 50, blockSize: Int = 16) {
        self.vocabularySize = vocabularySize
        self.blockSize = blockSize
    }

    struct Failure: Error {}

    func execute(_ output: SchedulerOutput) throws -> ModelRunnerOutput {
        steps.append(output)
        if stepDelay > .zero { Thread.sleep(forTimeInterval: Double(stepDelay.components.attoseconds) / 1e18) }
        if output.scheduled.contains(where: { poisoned.contains($0.id) }) { throw Failure() }
        samplers.prepare(for: output)
        for id in output.finishedRequestIDs + output.preemptedRequestIDs { contexts[id] = nil }
        for scheduled in output.scheduled {
            if let new = scheduled.newRequest { contexts[scheduled.id] = new.promptTokenIDs + new.outputTokenIDs }
            let context = contexts[scheduled.id] ?? []
            let realCount = scheduled.tokenIDs.count - scheduled.draftTokenIDs.count
            let realEnd = scheduled.positionStart + realCount
            if realEnd > context.count || Array(context[scheduled.positionStart..<realEnd]) != Array(scheduled.tokenIDs.prefix(realCount)) {
                violations.append("\(scheduled.id): fed \(scheduled.tokenIDs) at \(scheduled.positions)")
            }
            for (offset, token) in scheduled.tokenIDs.enumerated() {
                let position = scheduled.positionStart + offset
                slots[slot(of: position, in: scheduled.blockTable)] = (token, position)
            }
        }
        var sampled: [RequestID: [SampledToken]] = [:]
        for scheduled in output.scheduled where scheduled.needsLogits {
            let context = contexts[scheduled.id]!
            let drafts = scheduled.draftTokenIDs
            if scheduled.contextLength - drafts.count != context.count { violations.append("\(scheduled.id): logits before the end") }
            let written = context + drafts
            for position in 0..<scheduled.contextLength {
                let stored = slots[slot(of: position, in: scheduled.blockTable)]
                if stored?.token != written[position] || stored?.position != position {
                    violations.append("\(scheduled.id): KV slot of position \(position) holds \(String(describing: stored))")
                    break
                }
            }
            // One logits row per verified position: after the context, then after each draft.
            let rows = (0...drafts.count).map { count -> UnsafeMutableBufferPointer<Float> in
                let values = logits(for: context + drafts.prefix(count))
                let row = UnsafeMutableBufferPointer<Float>.allocate(capacity: values.count)
                _ = row.initialize(from: values)
                return row
            }
            defer { rows.forEach { $0.deallocate() } }
            let tokens = drafts.isEmpty
                ? [samplers.sample(scheduled.id, logits: rows[0])]
                : samplers.verify(scheduled.id, drafts: drafts) { rows[$0] }
            contexts[scheduled.id]! += tokens.map(\.tokenID)
            sampled[scheduled.id] = tokens
        }
        return ModelRunnerOutput(sampledTokens: sampled)
    }

    private func slot(of position: Int, in table: [Int32]) -> Int {
        Int(table[position / blockSize]) * blockSize + position % blockSize
    }

    func logits(for context: [Int]) -> [Float] {
        Self.logits(for: window.map { Array(context.suffix($0)) } ?? context, vocabularySize: vocabularySize)
    }

    static func logits(for context: [Int], vocabularySize: Int) -> [Float] {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for token in context { hash = mix64(hash ^ UInt64(token)) }
        return (0..<vocabularySize).map { Float(mix64(hash ^ UInt64($0)) % 1000) / 100 }
    }
}

/// Runs a scheduler with an executor until every request finished, checking each step's
/// budget and limits; returns each request's output tokens and finish reason.
struct Driver {
    var scheduler: Scheduler
    let executor: FakeExecutor
    var outputs: [RequestID: [Int]] = [:]
    var finishReasons: [RequestID: FinishReason] = [:]
    var problems: [String] = []
    var stepCount = 0

    init(config: SchedulerConfig, executor: FakeExecutor? = nil) throws {
        scheduler = try Scheduler(config: config)
        self.executor = executor ?? FakeExecutor(blockSize: config.blockSize)
    }

    /// One schedule → execute → update round; returns the step's output.
    @discardableResult
    mutating func step() throws -> SchedulerOutput {
        let output = scheduler.schedule()
        stepCount += 1
        let config = scheduler.config
        if output.totalTokenCount > config.maxNumBatchedTokens { problems.append("step \(stepCount) over token budget") }
        if output.scheduled.count > config.maxNumSeqs { problems.append("step \(stepCount) over maxNumSeqs") }
        if Set(output.scheduled.map(\.id)).count != output.scheduled.count { problems.append("duplicate in step") }
        guard !output.isEmpty else {
            _ = scheduler.update(from: ModelRunnerOutput(sampledTokens: [:]))
            return output
        }
        let result = try executor.execute(output)
        for update in scheduler.update(from: result) {
            outputs[update.id, default: []] += update.newTokenIDs
            if let reason = update.finishReason { finishReasons[update.id] = reason }
        }
        return output
    }

    mutating func runToCompletion(maxSteps: Int = 10_000) throws {
        while scheduler.hasUnfinishedRequests, stepCount < maxSteps { try step() }
        if scheduler.hasUnfinishedRequests { problems.append("did not finish in \(maxSteps) steps") }
        problems += executor.violations
    }
}

func prompt(_ count: Int, seed: Int = 0) -> [Int] { (0..<count).map { ($0 * 7 + seed * 13) % 50 } }

func makeRequest(_ id: RequestID, promptLength: Int, maxTokens: Int = 8, seed: Int = 0, params: SamplingParams? = nil) -> Request {
    var p = params ?? SamplingParams(temperature: 0)
    p.maxTokens = maxTokens
    return Request(id: id, promptTokenIDs: prompt(promptLength, seed: seed), params: p)
}
