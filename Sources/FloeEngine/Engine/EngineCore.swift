import Foundation

/// The engine: a scheduler and an executor driven on a dedicated thread, with a stream per
/// request for callers on any thread or task.
///
/// The loop runs on its own `Thread`, not the cooperative pool, because executor calls block
/// for the duration of a forward pass. Clients only touch a lock-protected mailbox; everything
/// else belongs to the loop. Each iteration takes new requests and aborts, schedules a step,
/// executes it and delivers the new tokens. A failed step ends only its own requests.
///
/// Releasing the engine shuts the loop down; streams still open then end with
/// `EngineError.shutDown`, so keep the engine alive while consuming them.
public final class EngineCore: EngineClient {
    public let config: SchedulerConfig
    private let mailbox = EngineMailbox()

    /// Starts the engine thread. `executor` moves to that thread: the caller must not use it
    /// afterwards.
    public init(config: SchedulerConfig, executor: sending any ModelExecutor) throws(SchedulerError) {
        self.config = config
        let loop = LoopTransfer(loop: EngineLoop(scheduler: try Scheduler(config: config), executor: executor, mailbox: mailbox))
        let thread = Thread { loop.loop.run() }
        thread.name = "floe-engine"
        thread.start()
    }

    deinit { mailbox.postShutdown() }

    public func submit(_ request: EngineRequest) throws(EngineError) -> AsyncThrowingStream<RequestOutput, any Error> {
        do {
            try Scheduler.checkAdmissible(
                promptTokenCount: request.promptTokenIDs.count, params: request.params, id: request.id, config: config)
        } catch {
            throw .rejected(error)
        }
        let (stream, continuation) = AsyncThrowingStream<RequestOutput, any Error>.makeStream()
        continuation.onTermination = { [mailbox] termination in
            if case .cancelled = termination { mailbox.postFinish(request.id, reason: .abort) }
        }
        guard mailbox.post(.init(request: request, continuation: continuation)) else {
            continuation.onTermination = nil
            throw .rejected(.duplicateRequestID(request.id))
        }
        return stream
    }

    public func finish(_ id: RequestID, reason: FinishReason) { mailbox.postFinish(id, reason: reason) }

    /// Aborts a request (its stream yields a final output with finish reason `.abort`).
    public func abort(_ id: RequestID) { finish(id, reason: .abort) }

    /// Stats as of the last step.
    public var stats: EngineStats { mailbox.stats }

    /// Stops the loop after the current step and waits for it; unfinished streams end with
    /// `EngineError.shutDown`.
    public func shutDown() {
        mailbox.postShutdown()
        mailbox.waitUntilExited()
    }
}

/// Carries the loop into the engine thread's closure. Safe because `EngineCore` keeps no
/// reference to the loop (nor the executor, received as `sending`): from here on only the
/// engine thread touches them.
private struct LoopTransfer: @unchecked Sendable {
    let loop: EngineLoop
}
