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

    /// Takes a slot or throws the 429; pair with `release()`.
    func admit() throws(OpenAIError) {
        let now = active.add(1, ordering: .relaxed).newValue
        if let limit, now > limit {
            active.subtract(1, ordering: .relaxed)
            throw ErrorMapping.queueFull(limit: limit)
        }
    }

    func release() { active.subtract(1, ordering: .relaxed) }

    var activeCount: Int { active.load(ordering: .relaxed) }
}
