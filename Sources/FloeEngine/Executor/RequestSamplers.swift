/// The sampler of every request an executor is running, kept in step with the scheduler's
/// notices (new, finished, preempted requests).
public struct RequestSamplers: Sendable {
    private var samplers: [RequestID: RequestSampler] = [:]

    public init() {}

    /// Drops samplers of finished and preempted requests and creates those of new ones.
    public mutating func prepare(for output: SchedulerOutput) {
        for id in output.finishedRequestIDs { samplers[id] = nil }
        for id in output.preemptedRequestIDs { samplers[id] = nil }
        for scheduled in output.scheduled {
            if let newRequest = scheduled.newRequest { samplers[scheduled.id] = newRequest.makeSampler() }
        }
    }

    public var count: Int { samplers.count }

    public func params(of id: RequestID) -> SamplingParams? { samplers[id]?.params }

    /// Whether request `id`'s next token is the plain argmax of its logits.
    public func isPlainGreedy(_ id: RequestID) -> Bool { samplers[id]?.isPlainGreedy ?? false }

    /// Request `id`'s next draw when a device can make it (see `RequestSampler.deviceDraw`).
    public func deviceDraw(_ id: RequestID, vocabularySize: Int) -> RequestSampler.DeviceDraw? {
        samplers[id]?.deviceDraw(vocabularySize: vocabularySize)
    }

    /// Records `token`, picked elsewhere (a device argmax), as request `id`'s next token.
    public mutating func record(_ id: RequestID, token: Int) -> SampledToken {
        samplers[id]?.accept(token)
        return SampledToken(tokenID: token, logprobs: nil)
    }

    /// Samples request `id`'s next token from its logits row (used as scratch).
    public mutating func sample(_ id: RequestID, logits: UnsafeMutableBufferPointer<Float>) -> SampledToken {
        guard var sampler = samplers.removeValue(forKey: id) else {
            preconditionFailure("no sampler for \(id): its first ScheduledRequest carried no newRequest")
        }
        let token = sampler.sample(logits)
        samplers[id] = sampler
        return token
    }

    /// Verifies request `id`'s drafts (spec §4.7): `logits(i)` is the row after draft token
    /// `i - 1` (row 0 follows the last real token). Returns the accepted drafts and then one
    /// token: the correction at the first rejection, or the bonus token after the last row.
    public mutating func verify(
        _ id: RequestID, drafts: [Int], logits: (Int) -> UnsafeMutableBufferPointer<Float>
    ) -> [SampledToken] {
        guard var sampler = samplers.removeValue(forKey: id) else {
            preconditionFailure("no sampler for \(id): its first ScheduledRequest carried no newRequest")
        }
        var tokens: [SampledToken] = []
        for (index, draft) in drafts.enumerated() {
            let (token, accepted) = sampler.verify(logits(index), draft: draft)
            tokens.append(token)
            if !accepted {
                samplers[id] = sampler
                return tokens
            }
        }
        tokens.append(sampler.sample(logits(drafts.count)))
        samplers[id] = sampler
        return tokens
    }
}
