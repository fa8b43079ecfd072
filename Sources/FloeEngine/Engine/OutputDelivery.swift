import Dispatch

/// Hands clients their outputs off the engine thread. Yielding to a request's stream resumes the
/// task awaiting it, which costs a few microseconds a request (scheduling the task, often waking
/// a thread): 64 requests made ~0.3 ms per step that the engine thread spent between steps
/// while the GPU idled. The engine thread now queues a step's stream operations as one batch
/// and goes on to the next step; a serial queue performs them, so each stream still sees its
/// outputs, then its end, in the order the engine produced them.
///
/// Every operation on a client's continuation goes through here, so that none overtakes an
/// earlier one still queued.
final class OutputDelivery: Sendable {
    enum Operation: Sendable {
        case yield(EngineMailbox.Continuation, RequestOutput)
        case finish(EngineMailbox.Continuation, (any Error)?)
        /// Frees a finished request's id for reuse, after its stream's end was delivered: a
        /// caller that reuses the id as soon as it sees the end cannot be refused, and a stream
        /// dropped before its end arrived cannot abort the id's next request.
        case release(RequestID)
    }

    private let queue = DispatchQueue(label: "floe-engine-delivery", qos: .userInitiated)
    private let mailbox: EngineMailbox

    init(mailbox: EngineMailbox) { self.mailbox = mailbox }

    /// Performs `operations` in order, after every batch sent before.
    func send(_ operations: [Operation]) {
        guard !operations.isEmpty else { return }
        queue.async {
            for operation in operations {
                switch operation {
                case .yield(let continuation, let output): continuation.yield(output)
                case .finish(let continuation, nil): continuation.finish()
                case .finish(let continuation, let error?): continuation.finish(throwing: error)
                case .release(let id): self.mailbox.release(id)
                }
            }
        }
    }

    /// Returns once every batch sent so far has been performed (the engine's exit: streams
    /// must have ended when `EngineCore.shutDown` returns).
    func drain() { queue.sync {} }
}
