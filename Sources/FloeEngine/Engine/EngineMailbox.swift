import Dispatch
import Synchronization

/// The only state the engine thread shares with other threads: new requests and finishes
/// posted by clients, the ids in use, the latest stats, and a semaphore that wakes the loop.
final class EngineMailbox: Sendable {
    typealias Continuation = AsyncThrowingStream<RequestOutput, any Error>.Continuation

    struct Submission: Sendable {
        var request: EngineRequest
        var continuation: Continuation
    }

    struct Inbox: Sendable {
        var submissions: [Submission] = []
        var finishes: [(RequestID, FinishReason)] = []
        var isShutDown = false
    }

    private struct State: Sendable {
        var inbox = Inbox()
        var activeIDs: Set<RequestID> = []
        var stats = EngineStats()
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    /// Reserves the request's id and queues it; false if the id is in use or the engine stopped.
    func post(_ submission: Submission) -> Bool {
        let accepted = state.withLock { state in
            guard !state.inbox.isShutDown, state.activeIDs.insert(submission.request.id).inserted else { return false }
            state.inbox.submissions.append(submission)
            return true
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    func postFinish(_ id: RequestID, reason: FinishReason) {
        state.withLock { $0.inbox.finishes.append((id, reason)) }
        wakeup.signal()
    }

    func postShutdown() {
        state.withLock { $0.inbox.isShutDown = true }
        wakeup.signal()
    }

    /// Everything posted so far. With `waitingIfEmpty`, blocks until something arrives.
    func take(waitingIfEmpty: Bool) -> Inbox {
        while true {
            let inbox = state.withLock { state in
                let inbox = state.inbox
                state.inbox.submissions = []
                state.inbox.finishes = []
                return inbox
            }
            let isEmpty = inbox.submissions.isEmpty && inbox.finishes.isEmpty && !inbox.isShutDown
            if !isEmpty || !waitingIfEmpty { return inbox }
            // Surplus signals only cause an extra empty pass.
            wakeup.wait()
        }
    }

    /// Frees a finished request's id for reuse.
    func release(_ id: RequestID) { _ = state.withLock { $0.activeIDs.remove(id) } }

    var stats: EngineStats {
        get { state.withLock { $0.stats } }
        set { state.withLock { $0.stats = newValue } }
    }

    func markExited() { exited.signal() }
    func waitUntilExited() {
        exited.wait()
        exited.signal()  // let later callers through too
    }
}
