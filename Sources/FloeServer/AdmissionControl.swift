import FloeOpenAI
import Synchronization

/// Bounds the requests in the server: at most `maxNumSeqs` run and `maxWaitingRequests` wait;
/// beyond that new generation requests get 429 at once instead of queueing without limit.
final class AdmissionControl: Sendable {
    let limit: Int?
    private let active = Atomic<Int>(0)

    init(maxNumSeqs: Int, maxWaitingRequests: Int?) {
        limit = maxWaitingRequests.map { maxNumSeqs + $0 }
    }

    /// Takes `count` slots (one per prompt) or throws the 429; pair with
    /// `release(count)`.
    func admit(_ count: Int = 1) throws(OpenAIError) {
        let now = active.add(count, ordering: .relaxed).newValue
        if let limit, now > limit {
            active.subtract(count, ordering: .relaxed)
            throw ErrorMapping.queueFull(limit: limit)
        }
    }

    func release(_ count: Int = 1) { active.subtract(count, ordering: .relaxed) }

    var activeCount: Int { active.load(ordering: .relaxed) }
}
